"""The run-state machine, proven by random command sequences (hypothesis' RuleBasedStateMachine): after
every command the state is legal and is what a listener (the app) was told, steps only grow within a run,
every epoch trained is in exactly one run folder's history (rows consecutive and whole), and every ended
run has its summary with the right status."""
import csv
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from linreg_core.session import commands as c, states
from linreg_core.session.commands import UnknownCommand
from linreg_core.settings.config import Config
from linreg_core.session.controller import RunController
from linreg_core.session.events import Ended, Invalid, Progress, Saving, Setup, StateChanged
from linreg_core.storage.runs import HISTORY, SUMMARY

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `make test` runs it

SMALL = Config().replace(weights=(1.5, -2.0), bias=0.5, samples=40, batch_size=8, epochs=3)  # 5 steps an epoch
CONFIGS = [
    SMALL,
    SMALL.replace(lr=0.1, loss="mse"),
    SMALL.replace(seed=3, optimizer="adam"),
    SMALL.replace(loss="mse", lr=40.0),  # diverges within the first epoch
    SMALL.replace(patience=1, tolerance=1e9, epochs=6),  # stops early after its second epoch
    SMALL.replace(batch_size=64, epochs=2),  # clamped to one batch an epoch, with a notice
]


class ControllerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="linreg-states-"))
        self.events: list = []
        self.ctl = RunController(self.events.append, runs_dir=str(self.dir))
        self.ctl.load(CONFIGS[0])
        self.shown = None  # the state the app would show: the last one reported
        self.trained: dict[Path, list] = {}  # run folder -> every EpochResult trained in it, in order
        self.outcomes: dict[Path, str] = {}  # run folder -> how it last ended
        self.last_step = 0  # within the current run
        self.checked = 0  # events looked at so far
        self.folder = None  # the folder of the run being written, as the "saving" events tell

    def teardown(self):
        self.ctl.end()
        self._read_events()
        try:
            self._check_disk()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ commands
    @rule(i=st.integers(0, len(CONFIGS) - 1))
    def configure(self, i):
        self._handle_as_documented(c.Configure(CONFIGS[i]))

    @rule()
    def configure_refused(self):
        before = self.ctl.state
        self.ctl.handle(c.Configure(SMALL.replace(csv="/no/such/file.csv")))
        assert isinstance(self.events[-1], Invalid) and self.events[-1].field == "csv"
        assert self.ctl.state == before

    @rule(kind=st.sampled_from([c.Toggle, c.Start, c.Pause, c.Epoch, c.Stop, c.Reset, c.Continue, c.RetrySave]))
    def command(self, kind):
        self._handle_as_documented(kind())

    @rule(n=st.integers(1, 12))
    def step(self, n):
        self._handle_as_documented(c.Step(n))

    def _handle_as_documented(self, command):
        """The command does what states.py's table says (the app shows that at once, before the engine
        confirms it)."""
        before, begun = self.ctl.state, self.ctl.run_open
        self.ctl.handle(command)
        assert self.ctl.state == states.expected_after(type(command), before, begun), (command, before)

    @rule(lr=st.sampled_from([0.003, 0.03, 0.3]))
    def set_lr(self, lr):
        self.ctl.handle(c.SetLr(lr))
        assert self.ctl.trainer.lr == pytest.approx(lr)  # every config here has a constant schedule

    @rule(n=st.integers(1, 17))
    def train(self, n):
        """What the engine's loop does between commands."""
        before, rate = self.ctl.state, self.ctl.trainer.lr
        results = self.ctl.advance(n)
        if before not in (states.RUNNING, states.PAUSED):
            assert results == []
        assert all(r.lr == pytest.approx(rate) for r in results)  # the steps really use the rate set last
        for r in results:
            if r.epoch_result is not None:
                self.trained.setdefault(self.ctl.recorder.folder, []).append(r.epoch_result)

    @precondition(lambda self: self.ctl.state == states.RUNNING)
    @rule()
    def train_to_the_end(self):
        while self.ctl.wants_steps:
            self.train(97)
        assert self.ctl.state in states.ENDED

    # ------------------------------------------------------------------ invariants
    @invariant()
    def state_is_legal_and_what_the_app_shows(self):
        self._read_events()
        ctl, t = self.ctl, self.ctl.trainer
        assert ctl.state in states.STATES and ctl.state != states.LOADING
        assert self.shown == ctl.state
        if ctl.state == states.IDLE:
            assert t.steps == 0 and not ctl.run_open
        if ctl.state in (states.RUNNING, states.PAUSED) and t.steps > 0:
            assert ctl.run_open
        if ctl.state in states.ENDED:
            assert not ctl.run_open
        if ctl.state == states.FINISHED:
            assert t.status in ("finished", "early_stopped")
        if ctl.state == states.DIVERGED:
            assert t.status == "diverged"
        if ctl.state == states.PAUSED:
            assert ctl.budget >= 0

    @invariant()
    def the_listener_has_every_step(self):
        self.ctl.flush(force=True)
        self._read_events()
        assert self.last_step == self.ctl.trainer.steps

    @invariant()
    def disk_holds_exactly_what_was_trained(self):
        self._check_disk()

    # ------------------------------------------------------------------ helpers
    def _read_events(self):
        for event in self.events[self.checked:]:
            if isinstance(event, StateChanged):
                self.shown = event.state
            elif isinstance(event, Setup):
                self.last_step = 0  # a new run: counters start again
                self.folder = None
            elif isinstance(event, Progress):
                assert event.step >= self.last_step, "steps went back within a run"
                self.last_step = event.step
            elif isinstance(event, Saving):
                self.folder = Path(event.folder)  # the run being written
            elif isinstance(event, Ended):
                assert event.summary["status"] == event.outcome
                if self.folder is not None:
                    self.outcomes[self.folder] = event.outcome
        self.checked = len(self.events)

    def _check_disk(self):
        self._read_events()
        folders = {p for p in self.dir.iterdir() if p.is_dir()}
        assert set(self.trained) <= folders
        for folder in folders:
            raw = (folder / HISTORY).read_bytes()
            assert raw.endswith(b"\n"), "a torn row"
            with open(folder / HISTORY, newline="") as f:
                header, *rows = list(csv.reader(f))
            expected = self.trained.get(folder, [])
            assert [int(r[0]) for r in rows] == list(range(len(rows))), "rows not consecutive"
            assert [float(r[1]) for r in rows] == [e.loss_sum for e in expected]
            assert all(len(r) == len(header) for r in rows)
            open_now = self.ctl.run_open and self.ctl.recorder is not None and self.ctl.recorder.folder == folder
            if not open_now:
                summary = json.loads((folder / SUMMARY).read_text())
                assert summary["status"] == self.outcomes[folder]
                assert summary["epochs"] == len(rows)


ControllerMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                                               suppress_health_check=[HealthCheck.too_slow])
TestControllerStates = ControllerMachine.TestCase


def _controller(config=SMALL, runs_dir=None):
    events = []
    ctl = RunController(events.append, runs_dir=runs_dir)
    ctl.load(config)
    return ctl, events


def _run_until_idle(ctl):
    while ctl.wants_steps:
        ctl.advance(100)


def test_space_after_a_finished_run_starts_a_new_run_in_a_new_folder(tmp_path):
    ctl, events = _controller(runs_dir=str(tmp_path))
    ctl.handle(c.Toggle())
    _run_until_idle(ctl)
    assert ctl.state == states.FINISHED
    first = ctl.recorder.folder
    ctl.handle(c.Toggle())
    assert ctl.state == states.RUNNING and ctl.trainer.steps == 0
    ctl.advance(1)
    assert ctl.recorder.folder != first
    ctl.handle(c.Stop())
    assert ctl.state == states.STOPPED
    assert json.loads((first / SUMMARY).read_text())["status"] == "finished"
    assert json.loads((ctl.recorder.folder / SUMMARY).read_text())["status"] == "stopped"


def test_continue_after_stop_goes_on_in_the_same_folder(tmp_path):
    ctl, _ = _controller(runs_dir=str(tmp_path))
    ctl.handle(c.Step(7))  # one epoch and two steps
    _run_until_idle(ctl)
    ctl.handle(c.Stop())
    folder = ctl.recorder.folder
    ctl.handle(c.Continue())
    assert ctl.state == states.RUNNING
    _run_until_idle(ctl)
    assert ctl.state == states.FINISHED and ctl.recorder.folder == folder
    assert len((folder / HISTORY).read_text().splitlines()) == 1 + 3
    ctl.handle(c.Continue())  # finished: `epochs` more
    _run_until_idle(ctl)
    assert ctl.trainer.epoch == 6 and len((folder / HISTORY).read_text().splitlines()) == 1 + 6
    summary = json.loads((folder / SUMMARY).read_text())
    assert summary["status"] == "finished" and summary["epochs"] == 6
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_epoch_while_running_pauses_at_the_end_of_the_epoch():
    ctl, _ = _controller()
    ctl.handle(c.Toggle())
    ctl.advance(2)
    ctl.handle(c.Epoch())
    assert ctl.state == states.PAUSED
    _run_until_idle(ctl)
    assert ctl.trainer.steps == 5 and ctl.trainer.batch == 0


def test_a_start_sent_before_the_experiment_is_ready_is_kept():
    """The engine reads commands in order: a toggle queued behind the first configure acts once it is
    loaded (the app no longer drops a space pressed while LOADING)."""
    events = []
    ctl = RunController(events.append)
    ctl.handle(c.Toggle())  # nothing loaded yet: ignored, not an error
    assert ctl.state == states.LOADING
    ctl.handle(c.Configure(SMALL))
    ctl.handle(c.Toggle())
    assert ctl.state == states.RUNNING
    assert [e.state for e in events if isinstance(e, StateChanged)] == ["loading", "idle", "running"]


def test_an_edit_while_running_restarts_and_keeps_running(tmp_path):
    ctl, events = _controller(runs_dir=str(tmp_path))
    ctl.handle(c.Toggle())
    ctl.advance(6)
    first = ctl.recorder.folder
    ctl.handle(c.Configure(SMALL.replace(loss="mse")))
    assert ctl.state == states.RUNNING and ctl.trainer.steps == 0
    assert json.loads((first / SUMMARY).read_text())["status"] == "stopped"


def test_a_refused_setting_keeps_the_run_going():
    ctl, events = _controller()
    ctl.handle(c.Toggle())
    ctl.advance(3)
    ctl.handle(c.Configure(SMALL.replace(csv="/no/such.csv")))
    assert isinstance(events[-1], Invalid) and ctl.state == states.RUNNING and ctl.trainer.steps == 3
