"""The trainer as a user sees it: it recovers the truth, stops where asked, survives divergence."""
import math

import pytest

from linreg_core.settings.config import Config
from linreg_core.model.results import History
from linreg_core.analysis.summary import summarize
from linreg_core.training.trainer import Trainer, trainer_for

TRUE_W, TRUE_B = (8.1, 2.0, 2.0, 4.0), 1.1


def _finish(config: Config) -> Trainer:
    trainer = trainer_for(config)
    for _ in trainer.run(chunk=64):
        pass
    return trainer


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mse_reaches_the_least_squares_optimum_within_1e_3(seed):
    # With noise sd 0.01 on 500 samples the optimum itself lies up to ~1e-3 from the true parameters
    # (0.69e-3 for seed 0, 0.94e-3 for seed 1), so the optimum is what SGD can be held to.
    trainer = _finish(Config(seed=seed).replace(loss="mse"))
    w, b = trainer.parameters()
    s = summarize(trainer)
    assert w == pytest.approx(s.ls_weights, abs=1e-3) and b == pytest.approx(s.ls_bias, abs=1e-3)
    assert w == pytest.approx(TRUE_W, abs=1.5e-3) and b == pytest.approx(TRUE_B, abs=1.5e-3)


def test_mae_defaults_recover_the_true_parameters_within_0_05():
    trainer = _finish(Config())
    w, b = trainer.parameters()
    assert trainer.status == "finished"
    assert w == pytest.approx(TRUE_W, abs=0.05) and b == pytest.approx(TRUE_B, abs=0.05)


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_every_optimizer_gets_close_with_mse(optimizer):
    lr = {"adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05}.get(optimizer, 0.01)
    trainer = _finish(Config().replace(loss="mse", optimizer=optimizer, lr=lr, epochs=60))
    w, b = trainer.parameters()
    assert w == pytest.approx(TRUE_W, abs=0.05) and b == pytest.approx(TRUE_B, abs=0.05)


def test_same_seed_same_run_to_the_last_digit_and_reset_replays_it():
    a, b = _finish(Config(seed=9)), trainer_for(Config(seed=9))
    first = [r.loss for r in b.run()]
    b.reset()
    second = [r.loss for r in b.run(chunk=5)]
    assert first == second and a.parameters() == b.parameters()


def test_run_stops_between_any_two_steps_and_resumes_where_it_was():
    trainer = trainer_for(Config())
    taken = list(trainer.run(max_steps=45))
    assert [r.step for r in taken] == list(range(45)) and trainer.steps == 45
    assert (trainer.epoch, trainer.batch) == (1, 13)
    nxt = trainer.step()
    assert (nxt.step, nxt.epoch, nxt.batch) == (45, 1, 13)


def test_learning_rate_change_takes_effect_at_the_next_step():
    trainer = trainer_for(Config())
    trainer.step()
    trainer.set_lr(0.3)
    assert trainer.step().lr == 0.3


def test_step_and_epoch_bookkeeping_matches_the_tutorial_batches():
    trainer = trainer_for(Config().replace(epochs=2))
    results = list(trainer.run())
    assert trainer.batches_per_epoch == 32 and len(results) == 64
    ends = [r for r in results if r.epoch_result]
    assert [r.step for r in ends] == [31, 63] and ends[-1].status == "finished"
    assert ends[0].epoch_result.loss_sum == pytest.approx(sum(r.loss for r in results[:32]))


def test_divergence_is_data_with_last_finite_parameters_and_history_kept():
    trainer = trainer_for(Config().replace(loss="mse", lr=10))
    history = History()
    for r in trainer.run():
        history.add(r)
    assert trainer.status == "diverged"
    div = trainer.divergence
    assert div.step == trainer.steps + 1 and div.reason in ("non-finite", "exploding")
    w, b = trainer.parameters()
    assert all(math.isfinite(v) for v in (*w, b))
    assert history.losses and all(math.isfinite(x) for x in history.losses[:-1])
    assert summarize(trainer).status == "diverged"


def test_early_stopping_ends_the_run():
    trainer = _finish(Config().replace(loss="mse", epochs=500, patience=3, tolerance=1e-3))
    assert trainer.status == "early_stopped" and trainer.epoch < 500


def test_batch_larger_than_the_data_is_clamped_with_a_notice():
    trainer = trainer_for(Config().replace(samples=50, batch_size=64))
    assert trainer.batch_size == 50 and trainer.batches_per_epoch == 1
    assert "larger than the 50 training samples" in trainer.notices[0]


def test_standardized_training_reports_weights_in_data_units():
    config = Config().replace(loss="mse", standardize=True, weights=(3.0, -2.0), bias=10.0, epochs=40)
    trainer = _finish(config)
    w, b = trainer.parameters()
    assert w == pytest.approx((3.0, -2.0), abs=2e-3) and b == pytest.approx(10.0, abs=2e-3)
    s = summarize(trainer)
    assert s.ls_weights == pytest.approx((3.0, -2.0), abs=1e-3)


def test_test_split_reports_test_loss_and_metrics():
    trainer = trainer_for(Config().replace(test_fraction=0.2, loss="mse", epochs=30))
    results = list(trainer.run(chunk=32))
    assert trainer.n_train == 400
    assert results[-1].epoch_result.test_loss < 1e-3
    s = summarize(trainer)
    assert s.test is not None and s.test.r2 > 0.999


def test_penalties_shrink_the_weights():
    plain = _finish(Config().replace(loss="mse", epochs=20)).parameters()[0]
    shrunk = _finish(Config().replace(loss="mse", epochs=20, l2=0.5)).parameters()[0]
    assert sum(abs(w) for w in shrunk) < sum(abs(w) for w in plain) - 1


@pytest.mark.parametrize("schedule", ["step", "exponential", "inverse", "cosine"])
def test_schedules_lower_the_rate_over_epochs(schedule):
    trainer = trainer_for(Config().replace(schedule=schedule, epochs=40))
    lrs = [r.epoch_result.lr for r in trainer.run(chunk=32) if r.epoch_result]
    assert lrs[0] == 0.03 and lrs[-1] < lrs[0] and all(a >= b for a, b in zip(lrs, lrs[1:]))


def test_float64_runs_the_same_experiment():
    single = _finish(Config().replace(loss="mse")).parameters()
    double = _finish(Config(dtype="float64").replace(loss="mse")).parameters()
    assert double[0] == pytest.approx(single[0], abs=1e-5) and double[1] == pytest.approx(single[1], abs=1e-5)


def test_history_stays_bounded_over_many_steps():
    history = History(max_points=100)
    trainer = trainer_for(Config().replace(epochs=400, samples=64, batch_size=1))
    for r in trainer.run(chunk=64):
        history.add(r)
    assert trainer.steps == 25_600 and len(history.losses) <= 100 and history.steps[0] == 0


def test_large_data_batch_gathering_gives_the_same_numbers(monkeypatch):
    import linreg_core.training.batching as batching

    epoch_gather = _finish(Config().replace(epochs=3))
    monkeypatch.setattr(batching, "GATHER_PER_BATCH_ABOVE", 0)
    batch_gather = _finish(Config().replace(epochs=3))
    assert batch_gather.parameters() == epoch_gather.parameters()
