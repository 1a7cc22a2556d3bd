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

from enum import StrEnum

from . import commands as c


class State(StrEnum):
    """The run state (the table above). A str: it compares, prints and writes as its name."""

    LOADING = "loading"
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"


LOADING, IDLE, RUNNING, PAUSED = State.LOADING, State.IDLE, State.RUNNING, State.PAUSED
FINISHED, STOPPED, DIVERGED = State.FINISHED, State.STOPPED, State.DIVERGED
STATES = tuple(State)
ENDED = (FINISHED, STOPPED, DIVERGED)  # a run was had; space starts a new one
STARTABLE = (IDLE, PAUSED, *ENDED)  # toggle / step / epoch begin or go on


def expected_after(command: type, state: str, begun: bool = True) -> State:
    """The state a command (its type, commands.py) leads to from `state`, as the table above says (the
    controller's behaviour; the tests hold it to this). begun: a run has taken its first step. Training
    afterwards may move on (a run that reaches its last epoch finishes); a configure that is refused leaves
    the state as it was."""
    state = State(state)
    if state == LOADING:
        return LOADING  # kept, carried out once ready
    if command in (c.Toggle, c.Start):
        return PAUSED if command is c.Toggle and state == RUNNING else RUNNING
    if command is c.Pause:
        return PAUSED if state == RUNNING else state
    if command in (c.Step, c.Epoch):
        return PAUSED
    if command is c.Stop:
        if state in (RUNNING, PAUSED):
            return STOPPED if begun else IDLE  # before the first step there is no run to stop
        return state
    if command is c.Reset:
        return IDLE
    if command is c.Continue:
        return RUNNING if state in (FINISHED, STOPPED) else state
    if command is c.Configure:
        return RUNNING if state == RUNNING else IDLE
    return state  # SetLr, ScaleLr, RetrySave, Trace, ShowLandscape


def can(command: type, state: str) -> bool:
    """Whether a command (its type) does something in a state (the app greys a key out when it does not)."""
    if command in (c.Toggle, c.Step, c.Epoch):
        return state in (LOADING, *STARTABLE, RUNNING)
    if command is c.Stop:
        return state in (RUNNING, PAUSED)
    if command is c.Reset:
        return state in (RUNNING, PAUSED, *ENDED)
    if command is c.Continue:
        return state in (FINISHED, STOPPED)
    return True  # SetLr, Configure, RetrySave: the app decides (lr keys wait out LOADING)
