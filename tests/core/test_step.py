"""The one step (linreg_core/training/step.py): a chunk of steps read once at its end gives exactly what stepping one
at a time gives, divergences included (the same batch named, the same last finite parameters), for a run
alone and for every lane of a race; and a run alone is a group of one lane, the race's own step."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from linreg_core.settings.config import Config
from linreg_core.training import step
from linreg_core.training.race import Race
from linreg_core.training.trainer import trainer_for

SMALL = Config().replace(samples=96, weights=(3.0, -2.0), bias=0.5, noise=0.1, epochs=4)


def _same(a: float, b: float) -> bool:
    """Equal bit for bit (nan equal to nan)."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def _alone(config: Config, chunk: int):
    t = trainer_for(config)
    steps = [(r.step, r.epoch, r.batch, r.loss, r.status) for r in t.run(chunk=chunk)]
    return t, steps


lane = st.fixed_dictionaries({
    "lr": st.sampled_from([0.01, 0.1, 0.5, 3.0, 40.0]),  # the last ones diverge mid-epoch with MSE
    "optimizer": st.sampled_from(["sgd", "momentum", "adam", "rmsprop"]),
    "loss": st.sampled_from(["mae", "mse", "huber"]),
    "batch_size": st.sampled_from([1, 7, 16]),
    "l2": st.sampled_from([0.0, 0.1]),
    "dtype": st.sampled_from(["float32", "float64"]),
})


@settings(deadline=None, max_examples=30, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(options=lane, chunk=st.sampled_from([3, 16, 1000]), held=st.sampled_from([None, 10]))
def test_a_run_in_chunks_equals_the_run_step_by_step(options, chunk, held):
    """held: the residuals a chunk keeps for its losses before summing them (step.HELD_RESIDUALS), made
    small so that a chunk sums them in several blocks, one ending at its last step or not."""
    config = SMALL.replace(**options)
    one, steps_one = _alone(config, 1)
    default = step.HELD_RESIDUALS
    step.HELD_RESIDUALS = held or default
    try:
        many, steps_many = _alone(config, chunk)
    finally:
        step.HELD_RESIDUALS = default
    assert len(steps_one) == len(steps_many)
    for a, b in zip(steps_one, steps_many):
        assert a[:3] == b[:3] and a[4] == b[4] and _same(a[3], b[3]), (a, b)
    assert (one.status, one.epoch, one.batch, one.steps) == (many.status, many.epoch, many.batch, many.steps)
    assert one.divergence == many.divergence or (
        one.divergence.step == many.divergence.step and _same(one.divergence.loss, many.divergence.loss))
    w1, b1 = one.training_parameters()
    w2, b2 = many.training_parameters()
    assert all(_same(x, y) for x, y in zip([*w1, b1], [*w2, b2]))


def test_a_divergence_mid_chunk_names_its_batch_and_keeps_the_last_finite_parameters():
    config = SMALL.replace(loss="mse", lr=40.0, batch_size=7)
    one, _ = _alone(config, 1)
    many, _ = _alone(config, 1000)
    assert one.status == many.status == "diverged"
    assert one.divergence.batch > 1  # mid-epoch, not at a chunk's start
    assert (one.divergence.epoch, one.divergence.batch, one.divergence.step) == \
           (many.divergence.epoch, many.divergence.batch, many.divergence.step)
    w, b = many.training_parameters()
    assert all(math.isfinite(v) for v in (*w, b))
    assert (w, b) == one.training_parameters()


def _race(configs, ticks):
    race = Race(configs)
    epochs = {i: [] for i in range(len(configs))}
    while not race.done:
        for event in race.advance(ticks):
            if event.epoch_result is not None:
                epochs[event.lane].append(event.epoch_result)
    return race, epochs


@pytest.mark.parametrize("ticks,held", [(5, None), (1000, None), (1000, 50)])
def test_a_race_in_chunks_gives_the_diverging_lane_exactly_its_step_by_step_end(ticks, held, monkeypatch):
    configs = [SMALL.replace(loss="mse", lr=lr, batch_size=7, optimizer=opt)
               for lr, opt in [(0.05, "sgd"), (40.0, "sgd"), (0.05, "adam"), (9.0, "momentum")]]
    one, epochs_one = _race(configs, 1)
    if held:  # the chunk's residuals summed in blocks of about two steps
        monkeypatch.setattr(step, "HELD_RESIDUALS", held)
    many, epochs_many = _race(configs, ticks)
    for a, b in zip(one.lanes, many.lanes):
        assert (a.status, a.epoch, a.steps) == (b.status, b.epoch, b.steps)
        if a.divergence is not None:
            assert (a.divergence.epoch, a.divergence.batch, a.divergence.step) == \
                   (b.divergence.epoch, b.divergence.batch, b.divergence.step)
            assert a.training_parameters() == b.training_parameters()
    assert [lane.status for lane in many.lanes].count("diverged") >= 1
    for i in epochs_one:  # lanes that went on: the same epochs (a lane's column is its own; equal bit for bit
        # on this CPU, but after a lane leaves, the chunked group is wider for a while, and a GPU library may
        # pick another kernel for another width)
        assert [e.loss_sum for e in epochs_one[i]] == pytest.approx([e.loss_sum for e in epochs_many[i]], rel=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_run_alone_and_a_race_of_that_one_lane_are_the_same_step_bit_for_bit(optimizer):
    config = SMALL.replace(optimizer=optimizer, loss="mae", test_fraction=0.25)
    alone = trainer_for(config)
    epochs_alone = [r.epoch_result for r in alone.run(chunk=7) if r.epoch_result is not None]
    race, epochs = _race([config], 3)
    assert epochs[0] == epochs_alone
    assert race.lanes[0].training_parameters() == alone.training_parameters()
