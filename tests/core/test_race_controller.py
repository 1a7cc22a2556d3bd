"""The race's state machine: the run keys act on the whole race, lanes end alone, the race is kept on disk."""
import csv

import pytest

from linreg_core.session import commands as c, states
from linreg_core.session.events import Invalid
from linreg_core.settings.config import Config
from linreg_core.settings.presets import preset
from linreg_core.session.race_controller import RaceController, RaceEnded, RaceProgress, RaceSetup

SMALL = Config().replace(samples=64, weights=(3.0, -2.0), bias=0.5, noise=0.1, epochs=4)


def controller(runs_dir=None):
    events = []
    return RaceController(events.append, runs_dir), events


def run_to_end(ctl):
    while ctl.wants_steps:
        ctl.advance(50)


def kinds(events):
    return [type(e) for e in events]


def test_a_race_goes_idle_running_finished_and_reports_every_lane(tmp_path):
    ctl, events = controller(str(tmp_path))
    ctl.handle(c.Configure(preset("lr", SMALL)))
    assert ctl.state == states.IDLE and isinstance(events[1], RaceSetup) and len(events[1].lanes) == 7
    ctl.handle(c.Toggle())
    run_to_end(ctl)
    assert ctl.state == states.FINISHED
    ended = next(e for e in events if isinstance(e, RaceEnded))
    assert ended.outcome == "finished" and [r["lane"] for r in ended.results] == list(range(1, 8))
    progress = [e for e in events if isinstance(e, RaceProgress)]
    assert sum(len(p.epochs) for p in progress) == 7 * SMALL.train.epochs  # every lane's every epoch, once
    race_dir = next(tmp_path.iterdir())
    rows = list(csv.DictReader(open(race_dir / "lanes.csv")))
    assert [r["lr"] for r in rows] == [s.settings["lr"] for s in events[1].lanes]
    assert all(r["status"].split(" · ")[0] in ("converged", "not converged") for r in rows)  # every lane ended: its verdict


def test_step_pause_stop_and_reset_act_on_the_whole_race():
    ctl, events = controller()
    ctl.handle(c.Configure(preset("optimizers", SMALL)))
    ctl.handle(c.Step(3))
    assert ctl.state == states.PAUSED and ctl.budget == 3
    run_to_end(ctl)
    assert ctl.race.tick == 3 and all(lane.steps == 3 for lane in ctl.race.lanes)
    ctl.handle(c.Epoch())
    run_to_end(ctl)
    assert ctl.race.epoch == 1 and ctl.race.tick == 0
    ctl.handle(c.Stop())
    assert ctl.state == states.STOPPED and [e.outcome for e in events if isinstance(e, RaceEnded)] == ["stopped"]
    ctl.handle(c.Reset())
    assert ctl.state == states.IDLE and all(lane.steps == 0 for lane in ctl.race.lanes)


def test_diverging_lanes_stop_alone_and_all_diverged_is_diverged():
    ctl, events = controller()
    ctl.handle(c.Configure([SMALL.replace(loss="mse", lr=lr) for lr in (0.01, 50.0)]))
    ctl.handle(c.Toggle())
    run_to_end(ctl)
    assert ctl.state == states.FINISHED
    assert [lane.status for lane in ctl.race.lanes] == ["finished", "diverged"]
    ctl.handle(c.Configure([SMALL.replace(loss="mse", lr=lr) for lr in (50.0, 100.0)]))
    ctl.handle(c.Toggle())
    run_to_end(ctl)
    assert ctl.state == states.DIVERGED


def test_scale_lr_multiplies_every_running_lane():
    ctl, _ = controller()
    ctl.handle(c.Configure([SMALL.replace(lr=0.01), SMALL.replace(lr=0.1)]))
    ctl.handle(c.ScaleLr(2.0))
    assert [lane.base_lr for lane in ctl.race.lanes] == [0.02, 0.2]


def test_lanes_on_other_data_are_refused_as_invalid_naming_the_setting():
    ctl, events = controller()
    ctl.handle(c.Configure([SMALL, SMALL.replace(samples=70)]))
    assert isinstance(events[-1], Invalid) and events[-1].field == "samples" and "lane 2" in events[-1].message
    ctl.handle(c.Toggle())  # nothing loaded: ignored, never raises
    assert ctl.state == states.LOADING


def test_presets_make_the_lanes_they_say():
    assert [c.train.lr for c in preset("lr", SMALL)] == [0.003, 0.00646, 0.0139, 0.03, 0.0646, 0.139, 0.3]
    assert [c.train.batch_size for c in preset("batch", SMALL, n_train=64)] == [1, 16, 64]
    assert [c.data.standardize for c in preset("standardize", SMALL)] == [False, True]
    assert len({c.train.optimizer for c in preset("optimizers", SMALL)}) == 6


def test_lanes_of_different_losses_carry_each_epochs_full_data_mse_equal_to_a_pass_over_the_rows():
    """The race chart's common unit: each epoch's MSE (from the moments, O(d²)) equals the MSE computed over
    every training row with the epoch's parameters; lanes of one loss carry none (their own loss is one unit)."""
    from linreg_core.model.reference import metrics

    ctl, events = controller()
    ctl.handle(c.Configure([SMALL.replace(loss=loss, lr=0.05) for loss in ("mae", "mse", "huber")]))
    ctl.handle(c.Toggle())
    run_to_end(ctl)
    X, y = ctl.race.lanes[0].split.raw_train
    seen = [(lane, e) for p in (e for e in events if isinstance(e, RaceProgress)) for lane, e in p.epochs]
    assert len(seen) == 3 * SMALL.train.epochs
    for lane, e in seen:
        direct = metrics(X, y, e.weights, e.bias, "mse").mse
        assert abs(e.mse - direct) <= 1e-9 * max(direct, 1e-12), (lane, e.epoch, e.mse, direct)

    ctl, events = controller()
    ctl.handle(c.Configure([SMALL.replace(lr=lr) for lr in (0.01, 0.05)]))
    ctl.handle(c.Toggle())
    run_to_end(ctl)
    assert all(e.mse is None for p in (e for e in events if isinstance(e, RaceProgress)) for _, e in p.epochs)


def test_an_unknown_command_is_an_error_and_a_single_runs_command_leaves_a_race_as_it_was():
    from linreg_core.session.commands import UnknownCommand
    from linreg_core.session.controller import RunController

    ctl, events = controller()
    ctl.handle(c.Configure([SMALL.replace(lr=0.01), SMALL.replace(lr=0.1)]))
    for wrong in (("toggle",), "toggle", c.Toggle):  # the old tuple protocol, a name, a type: bugs, said so
        with pytest.raises(UnknownCommand):
            ctl.handle(wrong)
        with pytest.raises(UnknownCommand):
            RunController(events.append).handle(wrong)
    before, seen = ctl.state, len(events)
    for single_only in (c.Continue(), c.SetLr(0.5), c.Trace()):
        ctl.handle(single_only)
    assert ctl.state == before and len(events) == seen and [lane.base_lr for lane in ctl.race.lanes] == [0.01, 0.1]
