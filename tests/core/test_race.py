"""A race's lanes give the numbers of the same configs run alone, step together, and end alone."""
from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from linreg_core.settings.config import Config
from linreg_core.settings.errors import ConfigError
from linreg_core.training.race import Race
from linreg_core.model.results import DIVERGED, EARLY_STOPPED, FINISHED
from linreg_core.training.trainer import Trainer, trainer_for

SMALL = Config().replace(samples=64, weights=(3.0, -2.0), bias=0.5, noise=0.1, epochs=6)


def run_alone(config: Config) -> tuple[Trainer, list]:
    trainer = trainer_for(config)
    return trainer, [r.epoch_result for r in trainer.run(chunk=64) if r.epoch_result is not None]


def run_race(configs: list[Config], ticks: int = 3) -> tuple[Race, dict[int, list]]:
    race = Race(configs)
    epochs: dict[int, list] = {i: [] for i in range(len(configs))}
    while not race.done:
        for event in race.advance(ticks):
            if event.epoch_result is not None:
                epochs[event.lane].append(event.epoch_result)
    return race, epochs


def close(a: float | None, b: float | None, rel: float) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-3)


lane_settings = st.fixed_dictionaries({
    "lr": st.sampled_from([0.001, 0.01, 0.03, 0.1, 0.5, 3.0]),
    "optimizer": st.sampled_from(["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]),
    "loss": st.sampled_from(["mae", "mse", "huber"]),
    "batch_size": st.sampled_from([1, 7, 16, 64]),
    "schedule": st.sampled_from(["constant", "step", "cosine"]),
    "l1": st.sampled_from([0.0, 0.01]),
    "l2": st.sampled_from([0.0, 0.1]),
    "standardize": st.booleans(),
    "standardize_target": st.booleans(),
    "epochs": st.integers(1, 6),
    "patience": st.sampled_from([0, 2]),
})


@settings(deadline=None, max_examples=int(os.environ.get("LINREG_RACE_EXAMPLES", 25)),
          derandomize="LINREG_RACE_RANDOM" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow])
@given(lanes=st.lists(lane_settings, min_size=1, max_size=6), dtype=st.sampled_from(["float32", "float64"]),
       test_fraction=st.sampled_from([0.0, 0.25]), ticks=st.integers(1, 70))
def test_every_lane_gives_the_numbers_of_its_config_run_alone(lanes, dtype, test_fraction, ticks):
    rel = 1e-5 if dtype == "float32" else 1e-12
    configs = [SMALL.replace(dtype=dtype, test_fraction=test_fraction, **lane) for lane in lanes]
    race, epochs = run_race(configs, ticks)
    for i, config in enumerate(configs):
        (alone, alone_epochs), lane = run_alone(config), race.lanes[i]
        assert (lane.status, lane.epoch, lane.steps) == (alone.status, alone.epoch, alone.steps), config.train
        assert len(epochs[i]) == len(alone_epochs)
        for got, want in zip(epochs[i], alone_epochs):
            assert close(got.loss_sum, want.loss_sum, rel) and close(got.test_loss, want.test_loss, rel)
        w, b = lane.parameters()
        w0, b0 = alone.parameters()
        assert all(close(x, y, rel) for x, y in zip([*w, b], [*w0, b0])), (config.train, w, w0)
        if alone.divergence is not None:
            assert (lane.divergence.epoch, lane.divergence.batch) == (alone.divergence.epoch, alone.divergence.batch)


def test_epoch_results_match_the_single_run_epoch_by_epoch():
    configs = [SMALL.replace(test_fraction=0.25, optimizer=o, lr=lr)
               for o, lr in (("sgd", 0.03), ("adam", 0.05), ("momentum", 0.01))]
    _, epochs = run_race(configs, ticks=5)
    for i, config in enumerate(configs):
        _, alone = run_alone(config)
        assert len(epochs[i]) == len(alone) == SMALL.train.epochs
        for got, want in zip(epochs[i], alone):
            assert got.epoch == want.epoch and got.steps == want.steps
            assert close(got.loss_sum, want.loss_sum, 1e-5) and close(got.test_loss, want.test_loss, 1e-5)


def test_a_diverging_lane_stops_alone_and_the_others_finish():
    configs = [SMALL.replace(loss="mse", lr=lr) for lr in (0.01, 50.0, 0.1)]
    race, epochs = run_race(configs)
    assert [lane.status for lane in race.lanes] == [FINISHED, DIVERGED, FINISHED]
    assert epochs[1] == [] and len(epochs[0]) == len(epochs[2]) == SMALL.train.epochs
    w, b = race.lanes[1].parameters()
    assert all(math.isfinite(v) for v in (*w, b))  # the last finite parameters are kept


def test_lanes_with_other_epochs_or_patience_end_on_their_own():
    configs = [SMALL.replace(epochs=2), SMALL.replace(epochs=5),
               SMALL.replace(epochs=50, patience=1, tolerance=1e9)]
    race, epochs = run_race(configs)
    assert [len(epochs[i]) for i in range(3)] == [2, 5, 2]
    assert race.lanes[2].status == EARLY_STOPPED and race.lanes[1].status == FINISHED


def test_batch_sizes_share_one_epoch_clock():
    configs = [SMALL.replace(batch_size=bs) for bs in (1, 16, 64)]
    race = Race(configs)
    assert race.ticks_per_epoch == 64
    race.advance(32)  # half an epoch: each lane has taken half its batches
    assert race.groups[0].batch == 32 and race.groups[1].batch == 2 and race.groups[2].batch == 0
    events = race.advance(32)
    assert sorted(e.lane for e in events) == [0, 1, 2] and race.epoch == 1


def test_reset_runs_the_same_race_again():
    configs = [SMALL.replace(lr=lr, optimizer=o) for lr, o in ((0.03, "sgd"), (0.1, "rmsprop"))]
    race, _ = run_race(configs)
    first = [lane.parameters() for lane in race.lanes]
    race.reset()
    assert not race.done and all(lane.steps == 0 for lane in race.lanes)
    while not race.done:
        race.advance(7)
    assert [lane.parameters() for lane in race.lanes] == first


def test_the_rate_keys_scale_every_running_lane():
    race = Race([SMALL.replace(lr=0.01), SMALL.replace(lr=0.1)])
    race.set_lr(2.0)
    assert [lane.base_lr for lane in race.lanes] == [0.02, 0.2]
    assert race.groups[0].lr.tolist()[0] == pytest.approx([0.02, 0.2])


def test_lanes_on_other_data_or_too_many_are_refused_naming_the_setting():
    with pytest.raises(ConfigError) as e:
        Race([SMALL, SMALL.replace(samples=65)])
    assert "samples" in e.value.errors and "lane 2" in e.value.errors["samples"]
    with pytest.raises(ConfigError) as e:
        Race([SMALL.replace(lr=0.001 * (i + 1)) for i in range(17)])
    assert "1 to 16" in str(e.value)
    with pytest.raises(ConfigError) as e:
        Race([SMALL.replace(grads="autograd")])
    assert "grads" in e.value.errors
