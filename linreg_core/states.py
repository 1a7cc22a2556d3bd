"""The run-state machine's states and commands, as names and plain values (no torch: the app imports this).

One run is the life of the parameters from the initial ones to an end. The controller (controller.py) owns
the state; the engine reports every transition; the app shows what was reported.

    state      what it means
    loading    no experiment is ready yet (starting, new data being prepared, or the settings were refused)
    idle       an experiment is ready at step 0; no run has begun
    running    steps are being taken
    paused     a run has begun and waits (or takes the steps asked for with n / N, then waits)
    finished   the run reached its last epoch (or stopped early: no improvement for `patience` epochs)
    stopped    the run was ended with x before its last epoch
    diverged   the loss became non-finite or exploded; the last finite parameters are kept

What each command does, by state (a command that does not apply is ignored, never an error):

    command    loading  idle       running             paused        finished / stopped   diverged
    toggle     queued   run        pause               run           new run, running     new run, running
    step n     queued   n steps    pause, n steps      n steps       new run, n steps     new run, n steps
    epoch      queued   1 epoch    pause at epoch end  rest of epoch new run, 1 epoch     new run, 1 epoch
    stop       -        -          stopped             stopped (*)   -                    -
    reset      -        -          idle (run stopped)  idle (stopped) idle                idle
    continue   -        -          -                   -             running, same run    -
    set_lr     -        next step  next step           next step     next run/continue    next run
    configure  load     idle       new run, running    idle          idle                 idle

(*) paused before the first step (n pressed, nothing taken yet): no run has begun, so x goes back to idle.
"queued": the engine reads commands in order, so a key pressed while the experiment loads acts once it is
ready. "new run": from the initial parameters, in a new run folder. "continue": a stopped run goes on to its
last epoch; a finished one trains `epochs` more; history is appended to the same folder and its summary
rewritten. A run that is replaced (reset, configure) while it has steps ends as "stopped".
"""
from __future__ import annotations

LOADING, IDLE, RUNNING, PAUSED = "loading", "idle", "running", "paused"
FINISHED, STOPPED, DIVERGED = "finished", "stopped", "diverged"
STATES = (LOADING, IDLE, RUNNING, PAUSED, FINISHED, STOPPED, DIVERGED)
ENDED = (FINISHED, STOPPED, DIVERGED)  # a run was had; space starts a new one
STARTABLE = (IDLE, PAUSED, *ENDED)  # toggle / step / epoch begin or go on


def expected_after(command: str, state: str, begun: bool = True) -> str:
    """The state a command leads to from `state`, as the table above says (the controller's behaviour; the
    tests hold it to this). begun: a run has taken its first step. Training afterwards may move on (a run
    that reaches its last epoch finishes); a configure that is refused leaves the state as it was."""
    if state == LOADING:
        return LOADING  # kept, carried out once ready
    if command in ("toggle", "start"):
        return PAUSED if command == "toggle" and state == RUNNING else RUNNING
    if command == "pause":
        return PAUSED if state == RUNNING else state
    if command in ("step", "epoch"):
        return PAUSED
    if command == "stop":
        if state in (RUNNING, PAUSED):
            return STOPPED if begun else IDLE  # before the first step there is no run to stop
        return state
    if command == "reset":
        return IDLE
    if command == "continue":
        return RUNNING if state in (FINISHED, STOPPED) else state
    if command == "configure":
        return RUNNING if state == RUNNING else IDLE
    return state  # set_lr, retry_save


def can(command: str, state: str) -> bool:
    """Whether a command does something in a state (the app greys a key out when it does not)."""
    if command in ("toggle", "step", "epoch"):
        return state in (LOADING, *STARTABLE, RUNNING)
    if command == "stop":
        return state in (RUNNING, PAUSED)
    if command == "reset":
        return state in (RUNNING, PAUSED, *ENDED)
    if command == "continue":
        return state in (FINISHED, STOPPED)
    return True  # set_lr, configure, retry_save: the app decides (lr keys wait out LOADING)
