"""Theory beside the run: the curvature of MSE on the run's own training data, the learning rates that are
stable and best, and the run's loss curve predicted before it runs (mini-batch SGD, heavy ball, Nesterov).

Units and data: the training split as the trainer trains on it (after --standardize / --standardize-target),
float64, rows z_i = [x_i; 1], θ = [w; b]: (D,) with D = d + 1. The lab's loss is L(θ) = mean_i (z_iᵀθ − y_i)²
and --l2 adds (l2/2)·Σw² through the gradient only (torch's weight decay: l2·w, never on b, never in the
logged loss). So
    H = 2·ZᵀZ/n + l2·P            (D, D), P = diag(1, …, 1, 0): the curvature of the penalized loss
    θ* = H⁺·2·Zᵀy/n               its minimizer; the error e = θ − θ*; r_i = y_i − z_iᵀθ* the residuals
    L(θ) = L(θ*) + eᵀ(ZᵀZ/n)e − l2·eᵀPθ*       (the second term alone when l2 = 0)

Full-batch descent (Goh 2017, "Why Momentum Really Works", Distill): in H's eigenbasis each direction's error
moves alone, by 1 − lr·λ a step (heavy ball β: the 2×2 block [[1 − lr·λ, −lr·β], [λ, β]] on (e, v), torch's
v ← β·v + g, p ← p − lr·v). Stable below 2/λmax (heavy ball 2(1 + β)/λmax; Nesterov 2(1 + β)/((1 + 2β)·λmax));
the best constant rate for plain descent is 2/(λmax + λmin), and a direction needs log(SHRINK)/log|rate|
steps to shrink its error by SHRINK.

Mini-batches drawn with replacement (--shuffle replace): a batch of m rows drawn uniformly, the gradient's
mean given θ is H·e and its noise comes from the rows themselves, so the first and second moments of the
error (and of the velocity) follow a linear recursion, exactly, over the data's own rows, with no assumption
about the data's distribution or dimension (theory_moments.py: the state [E[x·xᵀ]; E[x]; 1], x = [e; v]).
Bach & Moulines 2013 (NeurIPS, "Non-strongly-convex smooth stochastic approximation...") study this
recursion for averaged SGD; Paquette et al. 2022 ("Homogenization of SGD in high dimensions") its
high-dimensional limit, a Volterra equation; here it is iterated as it is. The expected batch loss (the lab
logs each step's batch loss before its update, and per epoch their mean: EpochResult.loss_mean; the log's
`loss:` is their sum, loss_sum = loss_mean × batches) is E[L(θ_t)], a linear function of that state. The
noise floor is the recursion's fixed point (μ = 0), solved in closed form (theory_moments.floor_second_moment).

The spread: the loss is quadratic in e, so its variance needs the error's fourth moments, which the
recursion does not carry. The ± one standard deviation given is the batch loss's across runs with e treated
as Gaussian with its exact mean and covariance (a Gaussian closure; it includes the batch's own sampling
noise). For an epoch's mean: the batches' sampling deviations are martingale differences (uncorrelated
across steps), so their part adds up exactly; the loss's own part is bounded by the sum of its steps' sds
(sd of a sum ≤ sum of sds). Measured against 64 runs (tests/core/test_theory.py) the result is 0.2–0.9 of the
runs' sd for SGD, but up to 4× too narrow for momentum at larger rates, where the loss has heavy tails. Without replacement (the tutorial's shuffle) the same prediction is an
approximation (rows within an epoch are not independent; the last batch may be short): tests/core/
test_theory.py measures the gap. Full batch without replacement is deterministic and exact.

Cost: the state has N = (k·D)² + k·D + 1 numbers (k = 1 SGD, 2 momentum). Up to N ≤ DENSE_MAX the step is
built once as an (N, N) matrix and applied as one product a step (the tutorial: N = 111, 1,600 steps in a few
ms, benchmarks/theory_speed.py); above, the structured step (O(n·D²) a step, from the rows) up to d = 64.
Above d = 64, or above the app's cost budget, the diagonal closure (theory_diagonal.py) predicts the mean
alone: an approximation whose error against the exact recursion and the runs is measured in the tests.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch

from ..data.data import split as make_split
from ..data.experiment import Experiment, prepare
from ..settings.config import Config
from ..training.batching import batch_count
from .theory_moments import F64, Recursion
from .rates import Place, place
from .theory_diagonal import diagonal_cost
from .theory_run import SPREAD_BUDGET, predict

BETA = 0.9  # the lab's momentum (optim.py)
SHRINK = 1e-3  # "epochs to shrink": the error along a direction down to this fraction of where it starts
DENSE_MAX = 1_300  # states up to this size step as one matrix
EXACT_MAX_FEATURES = 64
MAX_STEPS = 200_000  # steps predicted at most (the rest of a longer run is left out, said in the note)


class NotApplicable(NamedTuple):
    """The theory does not apply to this run; `reason` says why, in a sentence."""

    reason: str


@dataclass(frozen=True)
class Spectrum:
    eigenvalues: tuple[float, ...]  # of H, largest first
    eigenvectors: tuple[tuple[float, ...], ...]  # one per eigenvalue, over (w_1, …, w_d, b), unit length
    condition: float  # λmax / λmin (inf when H is singular)
    stable_lr: float  # full-batch gradient descent: 2/λmax
    stable_lr_momentum: float  # heavy ball β = 0.9: 2(1 + β)/λmax
    best_lr: float  # plain descent's best constant rate 2/(λmax + λmin), λmin the smallest above 0 (flat ones never move)


@dataclass(frozen=True)
class Directions:
    """Each eigendirection (largest λ first) at the configured rate and optimizer."""

    rate: tuple[float, ...]  # the full-batch error's factor a step (|1 − lr·λ|, or the 2×2 block's radius)
    epochs_to_shrink: tuple[float, ...]  # epochs its error takes to shrink by SHRINK (inf: never)
    initial_error: tuple[float, ...]  # the run's starting error along it, (θ_0 − θ*)·u


@dataclass(frozen=True)
class Prediction:
    kind: str  # "exact" (full batch), "expected" (with replacement), "approximate" (without replacement)
    method: str  # "dense" or "structured" (theory_moments.py)
    steps_per_epoch: int
    batch_size: int
    step_mean: tuple[float, ...]  # E[batch loss] at each step, before its update (step 0 first)
    step_sd: tuple[float, ...] | None  # its sd across runs (Gaussian closure); None: not computed
    epoch_mean: tuple[float, ...]  # E[the epoch's mean batch loss] (the log: EpochResult.loss_mean)
    epoch_sd: tuple[float, ...] | None  # its sd (bound, see the module's note)
    end_loss: tuple[float, ...]  # E[full-data training loss] at each epoch's end
    floor: float | None  # the expected batch loss the run settles at (None: it does not settle)
    optimum_loss: float  # the training loss at θ* (the floor of full-batch descent)
    diverges_at_step: int | None  # the first step (from 1) whose expected loss passes the lab's divergence limit
    note: str  # what is approximate, or left out
    error_steps: tuple[int, ...] = ()  # steps (0: the start) at which error_rms is given, up to 256
    error_rms: tuple[tuple[float, ...], ...] = ()  # per such step, √E[(error along u_j)²] for each direction
    # (largest λ first, training units): |error| itself for full batch, its root mean square across runs else

    @property
    def epoch_sum(self) -> tuple[float, ...]:
        """E[the log's `loss:` number], the sum of the epoch's batch losses."""
        return tuple(v * self.steps_per_epoch for v in self.epoch_mean)


@dataclass(frozen=True)
class Theory:
    lr: float
    optimizer: str
    l2: float
    shuffle: str
    optimum: tuple[float, ...]  # θ* = (w*, b*) in training units
    stable_lr: float  # for the configured optimizer
    lr_position: str  # where lr sits: "below the best rate", "between the best and the stable rate", …
    spectrum: Spectrum
    directions: Directions
    prediction: Prediction | None
    prediction_reason: str | None  # why there is no prediction (prediction None)
    feature_names: tuple[str, ...] = ()  # the data's, for w; the bias is the last parameter

    def error_along(self, weights, bias: float) -> tuple[float, ...]:
        """(θ − θ*)·u_j for each eigendirection (training units): the error the theory panel shrinks."""
        e = [v - o for v, o in zip([*weights, bias], self.optimum)]
        return tuple(sum(a * b for a, b in zip(u, e)) for u in self.spectrum.eigenvectors)

    def as_dict(self, steps: bool = True) -> dict:
        """JSON-ready; without `steps` the per-step curves are left out (linreg train --json)."""
        out = asdict(self)
        if self.prediction is not None:
            out["prediction"]["epoch_sum"] = list(self.prediction.epoch_sum)
            if not steps:
                for key in ("step_mean", "step_sd", "error_steps", "error_rms"):
                    del out["prediction"][key]
        return out


def why_not(config: Config) -> str | None:
    """Why the theory does not apply to this configuration (None: it does)."""
    tc = config.train
    if tc.loss != "mse":
        kind = "a sign (|ŷ − y|'s slope)" if tc.loss == "mae" else "clipped beyond its δ"
        return (f"the theory is for MSE, whose gradient is linear in the parameters; {tc.loss.upper()}'s "
                f"gradient is {kind}, so its steps follow no linear recursion")
    if tc.optimizer not in ("sgd", "momentum", "nesterov"):
        return (f"{tc.optimizer} divides each step by a running measure of the gradients themselves: its steps "
                "follow no linear recursion")
    if tc.schedule != "constant":
        return f"the {tc.schedule} schedule changes the rate every epoch; the theory is for a constant rate"
    if tc.l1:
        return "L1's gradient is a sign (l1·sign(w)): its steps follow no linear recursion"
    return None


def training_data(config: Config, experiment: Experiment | None = None):
    """(X: (n, d), y: (n,), w0, b0): the training split in training units, float64, and the run's initial
    parameters there, as the Trainer makes them (the seed's draw, or --init-params)."""
    ex = experiment if experiment is not None else prepare(config)
    d = config.data
    sp = make_split(ex.dataset, d.test_fraction, d.standardize, config.seed, F64, torch.device("cpu"),
                    d.standardize_target)
    w0, b0 = list(ex.init_weights), ex.init_bias
    if ex.init_in_data_units and sp.standardized:
        w0, b0 = sp.standardizer.to_training_units(w0, b0)
    return sp.X_train, sp.y_train.reshape(-1), list(w0), float(b0)


def theory(config: Config, experiment: Experiment | None = None, budget: float | None = None) -> Theory | NotApplicable:
    """The theory of this configured run, or why there is none (budget: see theory_of)."""
    reason = why_not(config)
    if reason is not None:
        return NotApplicable(reason)
    ex = experiment if experiment is not None else prepare(config)
    X, y, w0, b0 = training_data(config, ex)
    return theory_of(X, y, w0, b0, config, tuple(ex.dataset.feature_names), budget)


def prediction_cost(n: int, d: int, steps: int, optimizer: str) -> tuple[float, bool]:
    """(multiply-adds the predicted mean costs, whether it steps densely) for n rows, d features, `steps` steps:
    dense, steps·N² (N the state's size); structured, about 3·steps·n·D² (the rows' fourth moments a step).
    The spread costs steps·n·D² more (theory_run.SPREAD_BUDGET)."""
    D, k = d + 1, 1 if optimizer == "sgd" else 2
    N = (k * D) ** 2 + k * D + 1
    dense = N <= DENSE_MAX
    return (steps * N * N if dense else 3.0 * steps * n * D * D), dense


# A step's own time beside its arithmetic, in this module's multiply-add units (about 3e9 a second here):
# the dense step is one matrix-vector product (about 3 µs a step measured), the closure's a few small
# einsums (about 30 µs). Without them a million rows (62,500 steps an epoch) held the engine 7 s at setup.
STEP_OVERHEAD, CLOSURE_STEP_OVERHEAD = 1e4, 1e5


def _steps_within(budget: float, fixed: float, per_step: float, per_epoch: int) -> int:
    """The steps, in whole epochs (or all of a run shorter than one), that fit in budget after fixed."""
    steps = int(max(0.0, budget - fixed) // max(per_step, 1.0))
    return steps - steps % per_epoch if steps >= per_epoch else steps


def theory_of(X: torch.Tensor, y: torch.Tensor, w0: list[float], b0: float, config: Config,
              feature_names: tuple[str, ...] = (), budget: float | None = None) -> Theory:
    """The theory on given training data (float64, training units) and starting point. budget: the most
    multiply-adds the prediction may cost (None: no limit); above it the prediction is left out and the reason
    says so, and the spread is left out when the mean and it together would pass it (the app's engine thread
    computes this at each setup, so it bounds how long the first step waits)."""
    tc = config.train
    n, d = X.shape
    batch = min(tc.batch_size, n)
    per_epoch = batch_count(n, batch)
    replace = tc.shuffle == "replace"
    kind = "expected" if replace else "exact" if batch >= n else "approximate"
    rec = Recursion(X, y, tc.l2, tc.lr, batch, tc.optimizer, noisy=kind != "exact", beta=BETA)
    spectrum = _spectrum(rec)
    directions = _directions(rec, w0, b0, per_epoch)
    stable = {"sgd": spectrum.stable_lr, "momentum": spectrum.stable_lr_momentum,
              "nesterov": 2 * (1 + BETA) / ((1 + 2 * BETA) * max(spectrum.eigenvalues[0], 1e-300))}[tc.optimizer]
    prediction, why = None, None
    steps = min(tc.epochs * per_epoch, MAX_STEPS)
    cost, dense = prediction_cost(n, d, steps, tc.optimizer)
    exact_ok = d <= EXACT_MAX_FEATURES
    if budget is None:
        if exact_ok:
            prediction = predict(rec, w0, b0, tc.epochs, per_epoch, kind, dense, MAX_STEPS)
        else:  # too large to be exact
            prediction = predict(rec, w0, b0, tc.epochs, per_epoch, kind, dense, MAX_STEPS, 0, diagonal=True)
    else:  # the app's engine thread: as many whole epochs as the budget allows, by the method that fits more
        exact_steps = _steps_within(budget, 0.0, cost / steps + STEP_OVERHEAD, per_epoch) if exact_ok else 0
        closure_fixed = diagonal_cost(n, d, 0, tc.optimizer)
        closure_step = diagonal_cost(n, d, 1, tc.optimizer) - closure_fixed + CLOSURE_STEP_OVERHEAD
        closure_steps = _steps_within(budget, closure_fixed, closure_step, per_epoch)
        if exact_steps >= min(steps, per_epoch) and exact_steps >= min(closure_steps, steps):
            spread = budget - min(steps, exact_steps) * (cost / steps + STEP_OVERHEAD)
            prediction = predict(rec, w0, b0, tc.epochs, per_epoch, kind, dense, min(MAX_STEPS, exact_steps),
                                 spread)
        elif closure_steps >= min(steps, per_epoch):
            prediction = predict(rec, w0, b0, tc.epochs, per_epoch, kind, dense, min(MAX_STEPS, closure_steps),
                                 0, diagonal=True)
        else:
            why = (f"{n:,} rows × {d} features, {per_epoch:,} steps an epoch: too costly to predict beside the "
                   "run (`linreg theory` computes it)")
    position = _position(tc.lr, spectrum.best_lr, stable)
    if prediction is not None and prediction.diverges_at_step is not None and tc.lr < stable:
        position += ", yet the batches' noise makes the expected loss diverge (its second moment grows)"
    return Theory(tc.lr, tc.optimizer, tc.l2, tc.shuffle, tuple(rec.theta_star.tolist()), stable,
                  position, spectrum, directions, prediction, why, feature_names)


def _spectrum(rec: Recursion) -> Spectrum:
    lam = rec.lam.flip(0)  # largest first
    U = rec.U.flip(1)
    top, low = float(lam[0]), float(lam[-1])
    tiny = abs(top) * rec.D * torch.finfo(F64).eps
    condition = top / low if low > tiny else math.inf
    # the best rate balances the steepest direction against the flattest one the rate can move: a flat one
    # (λ ≈ 0: a constant or duplicated column, fewer rows than features) is never moved, whatever the rate
    # (nor does its error change the loss), so it is left out; 2/λmax would leave the steepest oscillating
    flattest = min((float(v) for v in lam if v > tiny), default=top)
    top = max(top, 1e-300)
    return Spectrum(tuple(lam.tolist()), tuple(tuple(u) for u in U.t().tolist()), condition, 2 / top,
                    2 * (1 + BETA) / top, 2 / (top + max(flattest, 0.0)))


def _directions(rec: Recursion, w0: list[float], b0: float, per_epoch: int) -> Directions:
    rate = torch.linalg.eigvals(rec.f).abs().max(dim=1).values.flip(0).tolist()  # (D,) largest λ first
    e0 = rec.U.t().mv(torch.tensor([*w0, b0], dtype=F64) - rec.theta_star).flip(0).tolist()
    epochs = []
    for r in rate:
        if r >= 1:
            epochs.append(math.inf)
        elif r == 0:
            epochs.append(1 / per_epoch)
        else:
            epochs.append(math.log(SHRINK) / math.log(r) / per_epoch)
    return Directions(tuple(rate), tuple(epochs), tuple(e0))


POSITION = {Place.ABOVE_STABLE: "at or above the stable rate: full-batch descent diverges",
            Place.BELOW_BEST: "below the best rate", Place.AT_BEST: "at the best rate",
            Place.BETWEEN: "between the best and the stable rate"}


def _position(lr: float, best: float, stable: float) -> str:
    return POSITION[place(lr, best, stable)]
