"""The race's state machine (linreg_core/session/race_controller.py) under random command sequences
(hypothesis' RuleBasedStateMachine, as test_controller_states.py does for the single run): after every command
the state is what states.py's table says and what the listener was told; the lanes move together; a race
that begins is kept in one folder and ends exactly once with its lanes' table; a single run's commands leave a
race as it was. Then: a race folder that cannot be written (the race still runs, the error is in a Saving
event), and lane removal (a lane that diverges leaves its group, the others go on), seen through the events."""
import csv
import math
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from linreg_core.session import commands as c, states
from linreg_core.session.events import Invalid, Saving, StateChanged
from linreg_core.session.race_controller import RaceController, RaceEnded, RaceProgress, RaceSetup
from linreg_core.settings.config import FIELDS, Config

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `make test` runs it

SMALL = Config().replace(weights=(1.5, -2.0), bias=0.5, samples=40, batch_size=8, epochs=3)  # 5 batches an epoch
LANE_SETS = [
    [SMALL.replace(lr=0.01), SMALL.replace(lr=0.1)],
    [SMALL, SMALL.replace(optimizer="adam"), SMALL.replace(batch_size=20)],  # groups of other batch counts
    [SMALL.replace(loss="mse", lr=0.05), SMALL.replace(loss="mse", lr=40.0)],  # lane 2 diverges at once
    [SMALL.replace(loss="mse", lr=40.0), SMALL.replace(loss="mse", lr=80.0)],  # every lane diverges
    [SMALL.replace(epochs=2), SMALL.replace(patience=1, tolerance=1e9, epochs=5)],  # lanes of other lengths
]


class RaceMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="linreg-race-states-"))
        self.events: list = []
        self.ctl = RaceController(self.events.append, runs_dir=str(self.dir))
        self.ctl.load(LANE_SETS[0])
        self.checked = 0
        self.shown = None  # the state the listener was last told
        self.open_folder: str | None = None  # the folder of the race being written (its Saving event)
        self.ended: list[tuple[str, str]] = []  # (folder, outcome) of every race that ended, in order
        self.lane_steps: list[int] = [0] * 2  # within the current race, per lane

    def teardown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ commands
    @rule(i=st.integers(0, len(LANE_SETS) - 1))
    def configure(self, i):
        self._as_documented(c.Configure(LANE_SETS[i]))

    @rule()
    def configure_refused(self):
        before, lanes = self.ctl.state, len(self.ctl.race.lanes)
        self.ctl.handle(c.Configure([SMALL, SMALL.replace(samples=41)]))  # lanes on other data
        assert isinstance(self.events[-1], Invalid)
        assert self.ctl.state == before and len(self.ctl.race.lanes) == lanes

    @rule(kind=st.sampled_from([c.Toggle, c.Start, c.Pause, c.Epoch, c.Stop, c.Reset]))
    def command(self, kind):
        self._as_documented(kind())

    @rule(n=st.integers(1, 12))
    def step(self, n):
        self._as_documented(c.Step(n))

    @rule(command=st.sampled_from([c.Continue(), c.SetLr(0.5), c.Trace(), c.RetrySave()]))
    def single_runs_command(self, command):
        before, seen = self.ctl.state, len(self.events)
        rates = [lane.base_lr for lane in self.ctl.race.lanes]
        self.ctl.handle(command)
        assert self.ctl.state == before and len(self.events) == seen
        assert [lane.base_lr for lane in self.ctl.race.lanes] == rates

    @rule(factor=st.sampled_from([0.5, 2.0]))
    def scale_lr(self, factor):
        before = {i: lane.base_lr for i, lane in enumerate(self.ctl.race.lanes) if i in self.ctl.race.running}
        self.ctl.handle(c.ScaleLr(factor))
        hi = FIELDS["lr"].hi  # the rate is kept within --lr's range: doubling at the top stays at the top
        for i, lr in before.items():
            assert self.ctl.race.lanes[i].base_lr == pytest.approx(min(hi, lr * factor))

    def _as_documented(self, command):
        before, begun = self.ctl.state, self.ctl.run_open
        self.ctl.handle(command)
        expected = states.expected_after(type(command), before, begun)
        assert self.ctl.state == expected, (command, before)

    @rule(n=st.integers(1, 17))
    def train(self, n):
        before = self.ctl.state
        ticks = [lane.steps for lane in self.ctl.race.lanes]
        events = self.ctl.advance(n)
        if before not in (states.RUNNING, states.PAUSED):
            assert events == [] and [lane.steps for lane in self.ctl.race.lanes] == ticks

    @precondition(lambda self: self.ctl.state == states.RUNNING)
    @rule()
    def train_to_the_end(self):
        while self.ctl.wants_steps:
            self.train(97)
        assert self.ctl.state in states.ENDED

    # ------------------------------------------------------------------ invariants
    @invariant()
    def state_is_legal_and_what_the_listener_was_told(self):
        self._read_events()
        ctl, race = self.ctl, self.ctl.race
        assert ctl.state in states.STATES and ctl.state != states.LOADING
        assert self.shown == ctl.state
        if ctl.state == states.IDLE:
            assert race.tick == race.epoch == 0 and all(lane.steps == 0 for lane in race.lanes)
            assert not ctl.run_open
        if ctl.state in states.ENDED:
            assert not ctl.run_open
        if ctl.state == states.FINISHED:
            assert race.done and not all(lane.status == "diverged" for lane in race.lanes)
        if ctl.state == states.DIVERGED:
            assert race.done and all(lane.status == "diverged" for lane in race.lanes)
        if ctl.state in (states.RUNNING, states.PAUSED):
            assert not race.done and ctl.budget >= 0
        if ctl.state == states.PAUSED:
            assert ctl.budget >= 0

    @invariant()
    def lanes_move_together_and_only_forward(self):
        race = self.ctl.race
        for lane in race.lanes:  # a running lane has taken every tick's share of batches
            if lane.status == "running":
                bpe = lane.batches_per_epoch  # each group's share of an epoch's ticks, rounded down
                assert lane.steps == race.epoch * bpe + race.tick * bpe // race.ticks_per_epoch

    @invariant()
    def every_race_begun_ends_once_in_its_own_folder(self):
        self._read_events()
        folders = [f for f, _ in self.ended]
        assert len(folders) == len(set(folders))  # ended once each
        for folder, outcome in self.ended:
            rows = list(csv.DictReader(open(Path(folder) / "lanes.csv")))
            assert len(rows) >= 2 and outcome in ("finished", "stopped", "diverged")
        if self.ctl.run_open:
            assert self.open_folder is not None and self.open_folder not in folders

    # ------------------------------------------------------------------ helpers
    def _read_events(self):
        for event in self.events[self.checked:]:
            if isinstance(event, StateChanged):
                self.shown = event.state
            elif isinstance(event, Saving):
                assert event.error is None, event.error
                if event.folder not in {f for f, _ in self.ended}:  # said when it begins and when it is written
                    assert self.open_folder in (None, event.folder), "a second folder before the first ended"
                    self.open_folder = event.folder
            elif isinstance(event, RaceEnded):
                assert self.open_folder is not None, "a race ended that was never begun"
                self.ended.append((self.open_folder, event.outcome))
                self.open_folder = None
            elif isinstance(event, RaceSetup):
                assert len(event.lanes) == len(self.ctl.race.lanes)
        self.checked = len(self.events)


RaceMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
test_race_state_machine = RaceMachine.TestCase


def test_configure_while_running_keeps_running_as_the_table_says():
    ctl = RaceController([].append)
    ctl.handle(c.Configure(LANE_SETS[0]))
    ctl.handle(c.Toggle())
    ctl.advance(2)
    ctl.handle(c.Configure(LANE_SETS[1]))
    assert ctl.state == states.expected_after(c.Configure, states.RUNNING) == states.RUNNING


def test_doubling_a_rate_at_the_top_of_its_range_keeps_it_there_and_the_race_runs_on():
    """] on a race whose lanes are near --lr's largest value: the rate stops at the top (found by the state
    machine in CI: 1280 was expected, the lane said 1000), and the lanes still train."""
    hi = FIELDS["lr"].hi
    ctl = RaceController([].append)
    ctl.handle(c.Configure([SMALL.replace(lr=hi * 0.6), SMALL.replace(lr=0.01)]))
    ctl.handle(c.Toggle())
    ctl.handle(c.ScaleLr(2.0))
    assert [lane.base_lr for lane in ctl.race.lanes] == [hi, 0.02]
    ctl.advance(3)
    assert all(lane.steps > 0 for lane in ctl.race.lanes)


# ---------------------------------------------------------------------- a race folder that cannot be written
@pytest.mark.parametrize("blocker", ["a file in the way", "a file above it", "a folder not writable"])
def test_a_race_whose_folder_cannot_be_written_still_runs_and_says_why(tmp_path, blocker):
    import os

    if blocker == "a file in the way":
        runs = tmp_path / "runs"
        runs.write_text("not a folder\n")  # the runs folder's place is taken by a file
    elif blocker == "a file above it":
        (tmp_path / "data").write_text("a file where a folder should be\n")
        runs = tmp_path / "data" / "runs"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only folder: the permission cannot be refused here")
        runs = tmp_path / "runs"
        runs.mkdir()
        runs.chmod(0o500)
    events = []
    ctl = RaceController(events.append, str(runs))
    try:
        ctl.handle(c.Configure([SMALL.replace(lr=0.01), SMALL.replace(lr=0.1)]))
        ctl.handle(c.Toggle())
        while ctl.wants_steps:
            ctl.advance(50)
    finally:
        if blocker == "a folder not writable":
            runs.chmod(0o700)
    assert ctl.state == states.FINISHED  # the race ran to its end all the same
    ended = [e for e in events if isinstance(e, RaceEnded)]
    assert len(ended) == 1 and [r["status"] for r in ended[0].results] == ["finished", "finished"]
    saving = [e for e in events if isinstance(e, Saving)]
    assert saving and all(e.error for e in saving), saving  # each report says it was not written, and why
    assert not any(p.name.endswith(".csv") for p in tmp_path.rglob("*"))  # and nothing half-written appeared


# ---------------------------------------------------------------------- lane removal
def test_a_diverging_lane_leaves_its_group_and_the_others_go_on():
    """Three lanes in one group (same batch size): the middle one diverges in its first epoch. The events say
    so at once, the others keep stepping and finish every epoch, and the diverged lane's steps stop moving."""
    events = []
    ctl = RaceController(events.append)
    ctl.handle(c.Configure([SMALL.replace(loss="mse", lr=lr) for lr in (0.01, 50.0, 0.1)]))
    ctl.handle(c.Step(SMALL.train.epochs * 5))  # every tick of the race, paused after each chunk
    while ctl.wants_steps:
        ctl.advance(1)
        ctl.flush(force=True)
    progress = [e for e in events if isinstance(e, RaceProgress)]
    diverged_at = next(i for i, p in enumerate(progress) if p.lanes[1].status == "diverged")
    assert diverged_at < 5  # within its first epoch (5 ticks)
    frozen = progress[diverged_at].lanes[1].steps
    later = progress[diverged_at:]
    assert all(p.lanes[1].steps == frozen and p.lanes[1].status == "diverged" for p in later)
    assert all(math.isnan(p.lanes[1].batch_loss) for p in later)  # it left the race: no batch loss
    for lane in (0, 2):  # the others went on a step a tick, to the end (15 steps: 3 epochs of 5 batches)
        steps = [p.lanes[lane].steps for p in later]
        steps = [s for i, s in enumerate(steps) if i == 0 or s != steps[i - 1]]  # (the end's flush repeats one)
        assert steps == list(range(steps[0], 16))
        assert all(math.isfinite(p.lanes[lane].batch_loss) for p in later if p.lanes[lane].status == "running")
    epochs = [lane for p in progress for lane, _ in p.epochs]
    assert epochs.count(0) == epochs.count(2) == SMALL.train.epochs and epochs.count(1) == 0
    assert ctl.state == states.FINISHED
    ended = next(e for e in events if isinstance(e, RaceEnded))
    assert [r["status"] for r in ended.results] == ["finished", "diverged", "finished"]
