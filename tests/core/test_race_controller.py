"""The race's state machine: the run keys act on the whole race, lanes end alone, the race is kept on disk."""
import csv

from linreg_core import states
from linreg_core.config import Config
from linreg_core.presets import preset
from linreg_core.race_controller import RaceController

SMALL = Config().replace(samples=64, weights=(3.0, -2.0), bias=0.5, noise=0.1, epochs=4)


def controller(runs_dir=None):
    events = []
    return RaceController(events.append, runs_dir), events


def run_to_end(ctl):
    while ctl.wants_steps:
        ctl.advance(50)


def kinds(events):
    return [e[0] for e in events]


def test_a_race_goes_idle_running_finished_and_reports_every_lane(tmp_path):
    ctl, events = controller(str(tmp_path))
    ctl.handle("configure", preset("lr", SMALL))
    assert ctl.state == states.IDLE and events[1][0] == "race_ready" and len(events[1][1].lanes) == 7
    ctl.handle("toggle")
    run_to_end(ctl)
    assert ctl.state == states.FINISHED
    ended = next(e for e in events if e[0] == "race_ended")
    assert ended[1] == "finished" and [r["lane"] for r in ended[2]] == list(range(1, 8))
    progress = [e[1] for e in events if e[0] == "race_progress"]
    assert sum(len(p.epochs) for p in progress) == 7 * SMALL.train.epochs  # every lane's every epoch, once
    race_dir = next(tmp_path.iterdir())
    rows = list(csv.DictReader(open(race_dir / "lanes.csv")))
    assert [r["lr"] for r in rows] == [s.settings["lr"] for s in events[1][1].lanes]
    assert all(r["status"].split(" · ")[0] in ("converged", "not converged") for r in rows)  # every lane ended: its verdict


def test_step_pause_stop_and_reset_act_on_the_whole_race():
    ctl, events = controller()
    ctl.handle("configure", preset("optimizers", SMALL))
    ctl.handle("step", 3)
    assert ctl.state == states.PAUSED and ctl.budget == 3
    run_to_end(ctl)
    assert ctl.race.tick == 3 and all(lane.steps == 3 for lane in ctl.race.lanes)
    ctl.handle("epoch")
    run_to_end(ctl)
    assert ctl.race.epoch == 1 and ctl.race.tick == 0
    ctl.handle("stop")
    assert ctl.state == states.STOPPED and [e[1] for e in events if e[0] == "race_ended"] == ["stopped"]
    ctl.handle("reset")
    assert ctl.state == states.IDLE and all(lane.steps == 0 for lane in ctl.race.lanes)


def test_diverging_lanes_stop_alone_and_all_diverged_is_diverged():
    ctl, events = controller()
    ctl.handle("configure", [SMALL.replace(loss="mse", lr=lr) for lr in (0.01, 50.0)])
    ctl.handle("toggle")
    run_to_end(ctl)
    assert ctl.state == states.FINISHED
    assert [lane.status for lane in ctl.race.lanes] == ["finished", "diverged"]
    ctl.handle("configure", [SMALL.replace(loss="mse", lr=lr) for lr in (50.0, 100.0)])
    ctl.handle("toggle")
    run_to_end(ctl)
    assert ctl.state == states.DIVERGED


def test_scale_lr_multiplies_every_running_lane():
    ctl, _ = controller()
    ctl.handle("configure", [SMALL.replace(lr=0.01), SMALL.replace(lr=0.1)])
    ctl.handle("scale_lr", 2.0)
    assert [lane.base_lr for lane in ctl.race.lanes] == [0.02, 0.2]


def test_lanes_on_other_data_are_refused_as_invalid_naming_the_setting():
    ctl, events = controller()
    ctl.handle("configure", [SMALL, SMALL.replace(samples=70)])
    assert events[-1][0] == "invalid" and events[-1][1] == "samples" and "lane 2" in events[-1][2]
    ctl.handle("toggle")  # nothing loaded: ignored, never raises
    assert ctl.state == states.LOADING


def test_presets_make_the_lanes_they_say():
    assert [c.train.lr for c in preset("lr", SMALL)] == [0.003, 0.00646, 0.0139, 0.03, 0.0646, 0.139, 0.3]
    assert [c.train.batch_size for c in preset("batch", SMALL, n_train=64)] == [1, 16, 64]
    assert [c.data.standardize for c in preset("standardize", SMALL)] == [False, True]
    assert len({c.train.optimizer for c in preset("optimizers", SMALL)}) == 6


def test_lanes_of_different_losses_carry_each_epochs_full_data_mse_equal_to_a_pass_over_the_rows():
    """The race chart's common unit: each epoch's MSE (from the moments, O(d²)) equals the MSE computed over
    every training row with the epoch's parameters; lanes of one loss carry none (their own loss is one unit)."""
    from linreg_core.reference import metrics

    ctl, events = controller()
    ctl.handle("configure", [SMALL.replace(loss=loss, lr=0.05) for loss in ("mae", "mse", "huber")])
    ctl.handle("toggle")
    run_to_end(ctl)
    X, y = ctl.race.lanes[0].split.raw_train
    seen = [(lane, e) for p in (e[1] for e in events if e[0] == "race_progress") for lane, e in p.epochs]
    assert len(seen) == 3 * SMALL.train.epochs
    for lane, e in seen:
        direct = metrics(X, y, e.weights, e.bias, "mse").mse
        assert abs(e.mse - direct) <= 1e-9 * max(direct, 1e-12), (lane, e.epoch, e.mse, direct)

    ctl, events = controller()
    ctl.handle("configure", [SMALL.replace(lr=lr) for lr in (0.01, 0.05)])
    ctl.handle("toggle")
    run_to_end(ctl)
    assert all(e.mse is None for p in (e[1] for e in events if e[0] == "race_progress") for _, e in p.epochs)
