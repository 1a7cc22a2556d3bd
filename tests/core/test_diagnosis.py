"""Diagnosis as data: each pathology, built into a data set of its own, is named with its cause, and the advice
given works when followed (the suggested learning rate trains, standardizing fixes what it should)."""
import math

import pytest
import torch
from hypothesis import given, settings, strategies as st

from linreg_core.model import diagnosis
from linreg_core.settings.config import Config
from linreg_core.data.data import Standardizer
from linreg_core.analysis.summary import summarize
from linreg_core.training.trainer import Trainer, trainer_for


def _write_csv(path, X: torch.Tensor, y: torch.Tensor, names) -> str:
    rows = [",".join(names)] + [",".join(f"{v:.10g}" for v in (*x, t)) for x, t in zip(X.tolist(), y.tolist())]
    path.write_text("\n".join(rows) + "\n")
    return str(path)


@pytest.fixture
def wide_csv(tmp_path):
    """Three features whose scales span 1 to 1e5 (a count, a price, a year-like level) and a target near 6e4:
    the economic table's shape."""
    g = torch.Generator().manual_seed(7)
    n = 64
    X = torch.stack([torch.randn(n, generator=g) * 2 + 5, torch.randn(n, generator=g) * 2e4 + 1e5,
                     torch.randn(n, generator=g) * 10 + 1950], dim=1).double()
    y = 0.5 * X[:, 0] + 0.02 * X[:, 1] + 30 * X[:, 2] + 1000 + torch.randn(n, generator=g).double() * 50
    return _write_csv(tmp_path / "wide.csv", X, y, ["count", "price", "year", "employed"])


@pytest.fixture
def offset_csv(tmp_path):
    """Well-scaled features but a target with mean 65,000: out of reach of steps of size about lr."""
    g = torch.Generator().manual_seed(3)
    n = 200
    X = torch.randn(n, 3, generator=g).double()
    y = X @ torch.tensor([300.0, -200.0, 100.0], dtype=torch.float64) + 65_000 + torch.randn(n, generator=g).double()
    return _write_csv(tmp_path / "offset.csv", X, y, ["a", "b", "c", "y"])


def _finish(options: dict) -> Trainer:
    trainer = trainer_for(Config.from_options(options))
    for _ in trainer.run(chunk=64):
        pass
    return trainer


def _names(trainer):
    return [c.name for c in trainer.diagnosis.causes]


def test_the_tutorial_and_its_mse_twin_are_healthy():
    assert _finish({}).diagnosis is None
    assert _finish({"loss": "mse"}).diagnosis is None


def test_unscaled_features_diverge_with_standardize_first_and_a_learning_rate_from_the_data(wide_csv):
    t = _finish({"csv": wide_csv, "loss": "mse", "dtype": "float64"})
    assert t.status == "diverged" and t.diagnosis.kind == "diverged"
    assert _names(t)[:2] == ["feature_scales", "step_too_large"]
    scales = t.diagnosis.causes[0].values
    assert scales["largest_column"] == "price" and scales["largest"] / scales["smallest"] > 1e4
    suggested = t.diagnosis.causes[1].values["suggested_lr"]
    # the estimate is real: at the suggested rate the same run does not diverge; at 3× the stable rate it does
    assert _finish({"csv": wide_csv, "loss": "mse", "dtype": "float64", "lr": str(suggested)}).status == "finished"
    stable = t.diagnosis.causes[1].values["stable_lr"]
    assert _finish({"csv": wide_csv, "loss": "mse", "dtype": "float64", "lr": str(3 * stable)}).status == "diverged"


def test_following_the_advice_standardize_both_fits_the_wide_data(wide_csv):
    t = _finish({"csv": wide_csv, "loss": "mse", "standardize": "yes", "standardize_target": "yes",
                 "lr": "0.05", "epochs": "200"})
    s = summarize(t)
    assert t.diagnosis is None and s.train.r2 == pytest.approx(s.ls_train.r2, abs=1e-3)


def _follow(options: dict, cause) -> Trainer:
    """The same run with the cause's changes applied (as --follow-advice and the app's A do)."""
    return _finish({**options, **{k: _text(k, v) for k, v in cause.changes.items()}})


def _text(name, value) -> str:
    from linreg_core.settings.config import FIELDS
    return FIELDS[name].format(value)


def _progress(t: Trainer) -> float:
    return t.data_facts().progress(t.full_loss()) if t.status != "diverged" else -math.inf


def test_mae_on_unscaled_features_names_the_scales_first_and_standardizing_converges(wide_csv):
    options = {"csv": wide_csv, "batch_size": "64", "lr": "0.03"}
    t = _finish(options)
    assert t.status == "finished" and t.diagnosis.kind in ("oscillating", "not_converged", "stalled")
    first = t.diagnosis.advice
    assert first.name in ("feature_scales", "scales") and first.changes["standardize"] is True
    assert summarize(t).as_dict()["diagnosis"]["kind"] == t.diagnosis.kind
    followed = _follow(options, first)
    assert _progress(followed) >= diagnosis.CONVERGED_PROGRESS and summarize(followed).converged


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_an_unscaled_target_with_bounded_steps_says_standardize_the_target_and_that_converges(offset_csv, optimizer):
    # Adam moves each parameter about lr a step; MAE's gradient is bounded: 65,000 is out of reach
    options = {"csv": offset_csv, "optimizer": optimizer, "lr": "0.01"}
    t = _finish(options)
    assert t.diagnosis.kind in ("stalled", "not_converged")
    target = next(c for c in t.diagnosis.causes if c.name == "target_scale")
    assert target.advice == "standardize_target" and target.values["target_mean"] == pytest.approx(65_000, rel=1e-3)
    followed = _follow(options, t.diagnosis.advice)
    assert t.diagnosis.advice.changes.get("standardize_target") is True
    assert summarize(followed).converged


def test_a_too_large_mae_step_gets_advice_that_brings_the_run_closer():
    t = _finish({"lr": "5"})
    assert t.diagnosis is not None and not summarize(t).converged
    advice = t.diagnosis.advice
    assert advice.name in ("step_too_large", "noise_floor")
    assert advice.changes.get("lr", 5) < 5 or advice.changes.get("schedule") == "cosine"
    followed = _follow({"lr": "5"}, advice)
    assert summarize(followed).converged and _progress(followed) > _progress(t)


def test_a_too_small_mse_step_is_not_converged_with_a_rate_to_try():
    t = _finish({"loss": "mse", "lr": "0.0001", "epochs": "5"})
    assert t.diagnosis.kind == "not_converged" and t.diagnosis.progress < diagnosis.CONVERGED_PROGRESS
    small = next(c for c in t.diagnosis.causes if c.name == "step_too_small")
    suggested = small.values["suggested_lr"]
    assert _finish({"loss": "mse", "lr": str(suggested), "epochs": "5"}).diagnosis is None


def test_continuing_a_not_converged_run_clears_its_verdict_until_the_new_end():
    t = _finish({"loss": "mse", "lr": "0.003", "epochs": "3"})
    assert t.diagnosis.kind == "not_converged"
    t.extend(50)
    assert t.diagnosis is None
    for _ in t.run(chunk=64):
        pass
    assert t.diagnosis is None


def test_the_watch_sees_alternation_by_large_factors_only():
    def watch_of(losses):
        w = diagnosis.Watch(lambda: diagnosis.DataFacts((1.0, 1.0), 1.0, 1.0, 2.0, ((0.0,), 0.0), 0.0, 10.0))
        return [w.add(v) for v in losses]

    assert watch_of([1, 5, 1, 5, 1, 5])[-1] == diagnosis.OSCILLATING
    assert watch_of([1, 1.5, 1, 1.5, 1, 1.5])[-1] is None  # ups and downs, but small ones
    assert watch_of([5, 4, 3, 2, 1, 0.5])[-1] is None
    stalled = watch_of([9.0] * 12)
    assert stalled[:10] == [None] * 10 and stalled[-1] == diagnosis.STALLED  # 10 epochs without gain, far away


@settings(deadline=None, max_examples=60)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=4), st.floats(-1e3, 1e3), st.booleans(),
       st.booleans(), st.integers(0, 2**16))
def test_standardizing_the_features_and_target_round_trips_the_parameters(w, b, features, target, seed):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(20, len(w), generator=g, dtype=torch.float64) * 30 + 7
    y = torch.randn(20, 1, generator=g, dtype=torch.float64) * 500 + 1e4
    std = Standardizer.fit(X, y if target else None, features=features)
    wt, bt = std.to_training_units(w, b)
    back_w, back_b = std.to_data_units(wt, bt)
    assert back_w == pytest.approx(w, rel=1e-9, abs=1e-9) and back_b == pytest.approx(b, rel=1e-9, abs=1e-6)
    # and the prediction is the same function: ŷ = x·w + b in data units equals the un-scaled training one
    pred_data = X @ torch.tensor(w, dtype=torch.float64) + b
    Xt = std.apply(X) if features else X
    pred_train = Xt @ torch.tensor(wt, dtype=torch.float64) + bt
    assert torch.allclose(pred_train * std.y_scale + std.y_mean, pred_data, rtol=1e-9, atol=1e-6)


def test_no_advice_asks_for_a_rate_beyond_what_lr_accepts(tmp_path):
    g = torch.Generator().manual_seed(5)
    X = torch.randn(100, 2, generator=g).double()
    y = X @ torch.tensor([2.0, 3.0], dtype=torch.float64) + 1e6
    t = _finish({"csv": _write_csv(tmp_path / "big.csv", X, y, ["a", "b", "y"])})
    assert t.diagnosis.advice.changes.get("standardize_target") is True
    assert all(c.changes.get("lr", 0) <= 1000 for c in t.diagnosis.causes)


@pytest.mark.parametrize("loss", ["mae", "mse", "huber"])
def test_features_that_explain_nothing_are_said_to_and_nothing_is_advised(tmp_path, loss):
    """y independent of x: the optimum beats a constant by a hair, and chasing 1% of that hair is chasing the
    batches' noise (it once advised round after round: "not converged … predicted to arrive"). The claim
    itself is checked: the run ends as close to the optimum's loss as a constant prediction is."""
    g = torch.Generator().manual_seed(7)
    X = torch.randn(200, 1, generator=g).double()
    y = torch.randn(200, generator=g).double()
    t = _finish({"csv": _write_csv(tmp_path / "noise.csv", X, y, ["a", "y"]), "loss": loss})
    assert [c.name for c in t.diagnosis.causes] == ["no_signal"] and t.diagnosis.advice is None
    facts = t.data_facts()
    values = t.diagnosis.causes[0].values
    assert values["share"] < max(diagnosis.NO_SIGNAL_SHARE, values["chance"]) and values["chance"] == 2 * 1 / 200
    assert abs(t.full_loss() - facts.optimum_loss) < 0.05 * facts.constant_loss  # as good as a constant, or near


PUBLIC = "tests/data/public"
# name -> the run's options (MSE, float64): the tutorial's data (two seeds), a public table standardized
# (diabetes: 442 × 10, G's condition number about 470) and one left raw (grunfeld: 220 × 2, features about 1e3:
# condition number about 5e6, the ill-conditioned case)
STABLE_LR_DATA = {
    "tutorial": {},
    "tutorial-seed-3": {"seed": "3"},
    "diabetes-standardized": {"csv": f"{PUBLIC}/diabetes.csv", "standardize": "yes", "standardize_target": "yes"},
    "grunfeld-raw": {"csv": f"{PUBLIC}/grunfeld.csv"},
}


def _train_at(options: dict, factor: float, batch: int | None, epochs: int) -> tuple[Trainer, float, float]:
    """Train (MSE, float64) at factor × diagnosis.stable_lr for this batch size: (trainer, limit, first loss)."""
    base = {"loss": "mse", "dtype": "float64", "epochs": str(epochs), **options}
    n = trainer_for(Config.from_options(base)).n_train
    base["batch_size"] = str(batch or n)
    probe = trainer_for(Config.from_options(base))
    limit = diagnosis.stable_lr(probe.data_facts(), probe.batch_size)
    t = trainer_for(Config.from_options({**base, "lr": repr(factor * limit)}))
    first = t.full_loss()
    for _ in t.run(chunk=256):
        pass
    return t, limit, first


@pytest.mark.parametrize("name", list(STABLE_LR_DATA))
def test_full_batch_descent_is_stable_below_the_stable_rate_and_diverges_above_it(name):
    """The claim of diagnosis.stable_lr, by training on both sides of it with full batches (MSE, 200 epochs).
    "Stable" here: the run ends as finished (no loss non-finite or 1e6× its first) with a full-data loss below
    the one it started from; "unstable": the run ends as diverged. For a full batch the limit is exact up to the
    small tr(G)/n it adds to λ_max (1/λ_max(G) is where plain descent on MSE turns unstable, the Hessian being
    2G), so 0.9× and 1.1× of it fall on either side."""
    options = STABLE_LR_DATA[name]
    below, limit, first = _train_at(options, 0.9, None, 200)
    assert math.isfinite(limit) and limit > 0
    assert below.status == "finished" and below.full_loss() < first, (limit, below.full_loss(), first)
    above, _, _ = _train_at(options, 1.1, None, 200)
    assert above.status == "diverged", (limit, above.full_loss(), first)


@pytest.mark.parametrize("name", list(STABLE_LR_DATA))
def test_mini_batch_descent_is_stable_below_the_stable_rate_and_diverges_at_twice_it(name):
    """Batches of 16: stable_lr adds tr(G)/m to λ_max, an estimate of a batch's largest curvature, so it is only
    approximate (measured: runs at 1.1× still finish, 1.5× diverge). The claim tested, with a stated margin:
    0.9× is stable (finished, its full-data loss below its first) and 2× diverges."""
    options = STABLE_LR_DATA[name]
    below, limit, first = _train_at(options, 0.9, 16, 50)
    assert below.status == "finished" and below.full_loss() < first, (limit, below.full_loss(), first)
    above, _, _ = _train_at(options, 2.0, 16, 50)
    assert above.status == "diverged", (limit, above.full_loss(), first)


@pytest.mark.serial  # a wall-clock bound
@pytest.mark.parametrize("schedule", ["constant", "step", "exponential", "inverse", "cosine"])
def test_a_long_runs_schedule_is_averaged_in_closed_form_fast_and_equal_to_the_sum(schedule):
    """--epochs 1000000: a diagnosis scores ~30 candidates and summed a million factors for each, seconds per
    lane of training stalled (and a signal waited on it)."""
    import time

    from linreg_core.model import schedules

    def run(epochs):
        return diagnosis.Run(lr=0.03, loss="mae", optimizer="sgd", batch_size=16, steps=epochs * 2,
                             steps_per_epoch=2, initial=((0.0,), 0.0), standardized=False,
                             target_standardized=False, schedule=schedule)

    for n in (diagnosis.EXACT_SCHEDULE_EPOCHS + 1, 54_321):
        mean, last = diagnosis._schedule_factors(run(n))
        factors = [schedules.factor(schedule, e, n) for e in range(n)]
        assert mean == pytest.approx(sum(factors) / n, rel=1e-12) and last == factors[-1]
    start = time.perf_counter()
    for _ in range(30):
        diagnosis._schedule_factors(run(1_000_000))
    assert time.perf_counter() - start < 0.05


def test_more_epochs_under_a_vanishing_schedule_come_with_one_that_stretches():
    """Under `step` the rate halves every few epochs whatever the run's length: by epoch 50 it is about 0, and
    the more-epochs advice added steps of about 0 (longley: 100, 400 and 1,600 epochs ended at the same loss).
    The advice now asks for cosine with them. Both claims are checked by training: without its cosine, 4x the
    epochs gain next to nothing; with it, they gain many times more."""
    options = {"csv": f"{PUBLIC}/longley.csv", "standardize": "yes", "standardize_target": "yes", "schedule": "step"}
    t = _finish(options)
    advice = t.diagnosis.advice
    assert advice is not None and "epochs" in advice.changes and advice.changes.get("schedule") == "cosine"
    facts = t.data_facts()
    changed = {**options, **{k: str(v) for k, v in advice.changes.items() if k in ("lr", "epochs")}}
    epochs = advice.changes["epochs"]

    def progress(**more) -> float:
        return facts.progress(_finish({**changed, **more}).full_loss())

    kept, kept_longer = progress(), progress(epochs=str(4 * epochs))  # without its cosine: `step` kept
    assert abs(kept_longer - kept) < 0.01  # 4x the epochs: next to nothing
    stretched, stretched_longer = progress(schedule="cosine"), progress(schedule="cosine", epochs=str(4 * epochs))
    assert stretched_longer - stretched > 5 * (kept_longer - kept) > 0  # with it they count (here ill-conditioned
    # longley crawls either way: +0.009 against +0.0005)
