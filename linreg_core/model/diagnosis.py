"""Why a run goes wrong, as data: what was seen (diverged, oscillating, stalled, not converged) and every cause
the data and the settings point to, ranked by how much fixing it is predicted to help, each with the setting
changes that fix it (followable: `linreg train --follow-advice`, the app's `A`) and the numbers behind it.

Everything is measured in training units (the features and the target as the trainer sees them, standardized
or not), in float64 on the CPU, from the training samples:
- G = [X 1]ᵀ[X 1]/n, (d+1, d+1): half the Hessian of the MSE loss. Its largest eigenvalue λ sets the largest
  stable step of gradient descent on MSE (lr < 1/λ; a mini-batch of m rows is sharper, about λ + tr(G)/m),
  its smallest the flattest direction, whose error shrinks by (1 − 2·lr·λ_min) a step.
- travel: how far each parameter's optimum (of the loss in use) lies from its initial value. A bounded step
  moves a parameter at most about lr (Adam, AdaGrad, RMSProp) or lr·rms(its column) (MAE's and Huber's
  gradient is a mean of ±x: SGD on MAE moves a weight of a feature of rms 0.05 by at most 0.05·lr a step).
- progress: the share of the way from the best constant prediction's loss to the optimum's that the run has
  come (1: at the optimum, 0: no better than a constant, below 0: worse).

Each cause is a fix (standardize the features, the target, another lr, a schedule, more epochs) with the
steps the run would need after it, predicted from G and the travel in the fixed units (standardizing is
simulated from G's centred block: a column's sd and mean, the correlation matrix): causes are ranked by
`gain`, the steps needed now over the steps needed after the fix (∞ for a fix that ends a divergence).

The trainer watches its epoch losses (`Watch`) and asks `causes()` when it sees something; the text that
explains a diagnosis to a person is written by the UI (tui/text.py) from these values.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import torch

from . import losses, schedules
from .moments import Moments, chunks, moments, rows64
from .results import Seen

DIVERGED, OSCILLATING, STALLED, NOT_CONVERGED = Seen.DIVERGED, Seen.OSCILLATING, Seen.STALLED, Seen.NOT_CONVERGED
BOUNDED_STEP_OPTIMIZERS = ("adagrad", "rmsprop", "adam")  # each parameter moves about lr a step
MOMENTUM_OPTIMIZERS = ("momentum", "nesterov")  # μ = 0.9: a step up to 1/(1 − μ) = 10 times lr·g
MOMENTUM = 0.9
SCALE_SPAN_LIMIT = 100.0  # columns whose rms differ more than this: standardize
OSCILLATION_WINDOW = 6  # epochs whose losses must alternate up and down ...
OSCILLATION_FACTOR = 2.0  # ... each by at least this factor
STALL_EPOCHS = 10  # epochs without the best loss improving by STALL_GAIN of the gap left to the optimum ...
STALL_GAIN = 0.01
STALL_PROGRESS = 0.9  # ... while the run has come less than this share of the way
CONVERGED_PROGRESS = 0.99  # "finished" means within 1% of the way from a constant prediction to the optimum
GAIN_LIMIT = 2.0  # a fix predicted to need fewer than half the steps is a cause
TRAVEL_MARGIN = 2.0  # bounded steps rarely all push the same way: plan for twice the straight-line steps
PRACTICAL_EPOCHS = 20_000  # beyond this many epochs a fix is out of practical reach (said, not advised)
CRAWL_EPOCHS = 4  # an ill-conditioned run that fell short gets this many times its epochs (longley, MAE: 800
# epochs of cosine at 0.2 end at 98.3% of the way, 3,200 converge; the fit crawls, it does not stop)
ILL_CONDITION = 1_000.0  # a run the model said would arrive, stopped short on data this ill-conditioned: the
# flattest direction is slower than the model sees (16-row longley, MAE: 0.957 after 50 epochs, 0.98 after 800)
COLLINEAR_LOADING = 0.3  # a column loading the flattest eigenvector at least this much is named as collinear
NO_SIGNAL_SHARE = 1e-3  # the optimum beats a constant prediction by less than this share of its loss, or by
# less than twice what d features of pure noise explain of n rows by chance (R² ≈ d/n): the features explain
# next to nothing, and "1% of the way" there is the batches' noise
PRIORITY = ("feature_scales", "scales", "target_scale", "step_too_large", "step_too_small", "noise_floor",
            "more_epochs", "ill_conditioned")  # among fixes predicted to reach: data first, then settings


@dataclass(frozen=True)
class Cause:
    """One reason, the setting changes that fix it and its numbers (JSON values)."""

    name: str  # feature_scales | target_scale | step_too_large | step_too_small | noise_floor | more_epochs
    # | ill_conditioned | no_signal (a column named None is the bias' constant column of ones)
    advice: str  # standardize | standardize_target | lr | schedule | epochs | none (nothing to follow)
    values: dict = field(default_factory=dict)
    changes: dict = field(default_factory=dict)  # {setting: new value}: what following the advice sets
    gain: float = 1.0  # steps needed now / steps needed after the fix (inf: the fix ends a divergence)


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # diverged | oscillating | stalled | not_converged
    epoch: int  # the epoch it was seen at (0-based; a run's end: the epochs done)
    progress: float | None  # share of the way from the best constant's loss to the optimum's (1: there)
    causes: tuple[Cause, ...]  # ranked: the first is the advice to follow first

    def as_dict(self) -> dict:
        return {"kind": self.kind, "epoch": self.epoch, "progress": self.progress,
                "causes": [asdict(c) for c in self.causes]}

    @property
    def advice(self) -> Cause | None:
        """The first cause with changes to follow (None: nothing this lab can set would help)."""
        return next((c for c in self.causes if c.changes), None)


@dataclass(frozen=True)
class DataFacts:
    """What the data say about how hard they are to descend, in training units."""

    column_rms: tuple[float, ...]  # per feature, then 1.0 for the bias' constant column
    curvature: float  # λ_max(G)
    flattest: float  # λ_min(G): the flattest direction (0 for collinear columns)
    trace: float  # tr(G)
    optimum: tuple[tuple[float, ...], float]  # the loss' optimum (w, b) in training units
    optimum_loss: float  # the run's loss at the optimum, training units
    constant_loss: float  # the run's loss of the best constant prediction (mean for MSE, median otherwise)
    gram: tuple[tuple[float, ...], ...] = ()  # G itself, (d+1, d+1)
    target_mean: float = 0.0  # of y, training units
    target_sd: float = 1.0
    residual_rms: float = 1.0  # of the optimum's residuals, training units
    # constant_loss − optimum_loss were the target standardized: MSE's gap scales by 1/sd², MAE's by 1/sd, but
    # Huber's is neither (quadratic inside δ, linear beyond), so it is measured (nan for the other losses)
    gap_target_standardized: float = math.nan
    rows: int = 0  # n, the training samples

    @property
    def scale_span(self) -> float:
        nonzero = [r for r in self.column_rms if r > 0]
        return max(nonzero) / min(nonzero)

    def progress(self, loss: float) -> float:
        gap = self.constant_loss - self.optimum_loss
        if not math.isfinite(loss):
            return -math.inf
        if gap <= 1e-12 * max(abs(self.constant_loss), 1e-300):  # the features explain nothing
            return 1.0 if loss <= self.constant_loss * (1 + 1e-9) else 0.0
        return (self.constant_loss - loss) / gap


def data_facts(X: torch.Tensor, y: torch.Tensor, optimum: tuple[list[float], float], loss_name: str,
               stats: Moments | None = None) -> DataFacts:
    """X: (n, d), y: (n, 1) in training units (any dtype or device); optimum: the loss' optimum in training
    units; stats: their moments (moments.py) when already summed. Summed in float64 chunks of rows, so no
    float64 copy of a large X is made."""
    stats = stats if stats is not None else moments(X, y)
    n = X.shape[0]
    w, b0 = optimum
    w64 = torch.tensor(list(w), dtype=torch.float64).reshape(-1, 1)  # (d, 1)
    preds = torch.cat([rows64(X, a, b) @ w64 + b0 for a, b in chunks(n)])  # the optimum's ŷ: (n, 1)
    G = stats.gram
    eig = torch.linalg.eigvalsh(G)  # ascending
    y64 = y.detach().to("cpu", torch.float64).reshape(-1, 1)
    loss = losses.get(loss_name)
    centre = float(y64.mean() if loss_name == "mse" else y64.median())
    sd = float(y64.std(correction=0)) if n > 1 else 0.0
    gap_standardized = math.nan
    if loss_name == "huber" and sd > 0:  # at the optimum scaled (an upper bound on that units' own optimum)
        gap_standardized = float(loss.value(torch.full_like(y64, centre / sd), y64 / sd) - loss.value(preds / sd, y64 / sd))
    return DataFacts(
        column_rms=tuple(torch.diagonal(G).sqrt().tolist()), curvature=float(eig[-1]),
        flattest=max(float(eig[0]), 0.0), trace=float(G.trace()), optimum=(tuple(w), float(b0)),
        optimum_loss=float(loss.value(preds, y64)),
        constant_loss=float(loss.value(torch.full_like(y64, centre), y64)),
        gram=tuple(tuple(r) for r in G.tolist()), target_mean=float(y64.mean()), target_sd=sd,
        residual_rms=float((preds - y64).square().mean().sqrt()), gap_target_standardized=gap_standardized, rows=n)


def stable_lr(facts: DataFacts, batch_size: int) -> float:
    """The largest step plain gradient descent on MSE takes without diverging, about: 1/λ of a batch's G."""
    return _plain_limit(facts.curvature, facts.trace, batch_size)


def _plain_limit(curvature: float, trace: float, batch_size: int) -> float:
    """1/λ of a batch of m rows' G, about λ_max + tr(G)/m (MSE's Hessian is 2G)."""
    return 1.0 / (curvature + trace / max(batch_size, 1))


LR_MAX = 1000.0  # the largest --lr accepted (config.py): never suggest more


def round_lr(lr: float) -> float:
    return min(float(f"{lr:.2g}"), LR_MAX)


@dataclass(frozen=True)
class Run:
    """What the causes need to know of a run's settings (training units for `initial`)."""

    lr: float
    loss: str
    optimizer: str
    batch_size: int
    steps: int  # the run's whole length in steps
    steps_per_epoch: int
    initial: tuple[tuple[float, ...], float]
    standardized: bool
    target_standardized: bool
    schedule: str = "constant"


@dataclass(frozen=True)
class _View:
    """The data as a run in some units would train on them: G's spectrum, each column's rms, the optimum, the
    initial parameters and the residuals' size at the optimum (rms)."""

    rms: tuple[float, ...]  # per column, the bias' 1.0 last
    curvature: float
    flattest: float
    trace: float
    optimum: tuple[float, ...]  # (w..., b)
    initial: tuple[float, ...]
    residual: float
    gap: float  # the constant prediction's loss minus the optimum's
    eigenvalues: tuple[float, ...] = ()  # of G, ascending
    error: tuple[float, ...] = ()  # (initial − optimum) along each eigenvector
    flattest_vector: tuple[float, ...] = ()  # G's eigenvector of the smallest eigenvalue (unit, (d+1,))


def _view(facts: DataFacts, run: Run, standardize: bool, standardize_target: bool) -> _View:
    """The current units, or those after standardizing the features and/or the target (simulated from G)."""
    G = torch.tensor(facts.gram, dtype=torch.float64)
    d = G.shape[0] - 1
    mu = G[:d, d]
    w = torch.tensor(facts.optimum[0], dtype=torch.float64)
    b = facts.optimum[1]
    residual, gap = facts.residual_rms, facts.constant_loss - facts.optimum_loss
    if standardize and not run.standardized:
        C = G[:d, :d] - torch.outer(mu, mu)  # centred: covariance
        sd = torch.diagonal(C).clamp_min(0).sqrt()
        sd = torch.where(sd > 0, sd, torch.ones_like(sd))
        G = torch.zeros_like(G)
        G[:d, :d] = C / torch.outer(sd, sd)
        G[d, d] = 1.0
        b = b + float(w @ mu)
        w = w * sd
    if standardize_target and not run.target_standardized:
        scale = facts.target_sd if facts.target_sd > 0 else 1.0
        linear = run.loss == "mae" or (run.loss == "huber" and residual >= losses.HUBER_DELTA)
        w, b, residual = w / scale, (b - facts.target_mean) / scale, residual / scale
        if run.loss == "huber" and facts.gap_target_standardized > 0:
            gap = facts.gap_target_standardized  # (scaled as MSE's, longley's Huber gap was 2,000× too small)
        else:  # (Huber: the data units' optimum, scaled, can lose to the constant when the features explain
            gap /= scale if linear else scale * scale  # almost nothing; its loss is linear or quadratic there)
    eig, vectors = torch.linalg.eigh(G)
    optimum, initial = (*w.tolist(), b), (*run.initial[0], run.initial[1])
    error = vectors.T @ (torch.tensor(initial, dtype=torch.float64) - torch.tensor(optimum, dtype=torch.float64))
    return _View(tuple(torch.diagonal(G).clamp_min(0).sqrt().tolist()), float(eig[-1]), max(float(eig[0]), 0.0),
                 float(G.trace()), optimum, initial, residual, max(gap, 1e-300),
                 tuple(eig.clamp_min(0).tolist()), tuple(error.tolist()), tuple(vectors[:, 0].tolist()))


FLOOR_SHARE = 0.01  # SGD on MSE settles lr·tr(G)·σ²/m above the optimum: at most this share of the gap


def _curvature_bound(view: _View, run: Run) -> bool:
    """Steps limited by the curvature (MSE, or Huber while residuals are inside δ) rather than bounded."""
    if run.optimizer in BOUNDED_STEP_OPTIMIZERS:
        return False
    return run.loss == "mse" or (run.loss == "huber" and view.residual < losses.HUBER_DELTA)


def _push(run: Run) -> float:
    return 1 / (1 - MOMENTUM) if run.optimizer in MOMENTUM_OPTIMIZERS else 1.0


def _stable(view: _View, run: Run) -> float:
    """The largest stable lr, about (MSE's Hessian is 2G, Huber's G inside δ). With momentum the step is
    lr/(1 − μ) once the velocity builds up: mini-batch noise makes that the limit in practice (heavy ball's
    full-batch (1 + μ) widening does not survive batches of 16)."""
    plain = _plain_limit(view.curvature, view.trace, run.batch_size) * (2.0 if run.loss == "huber" else 1.0)
    return plain / _push(run)


EXACT_SCHEDULE_EPOCHS = 10_000  # up to here the mean factor is summed epoch by epoch; past it, in closed form


def _schedule_factors(run: Run) -> tuple[float, float]:
    """(the schedule's mean factor over the run, its factor in the last epoch). A run of a million epochs is
    not summed epoch by epoch: a diagnosis scores some 30 candidates, and that took seconds per lane (a
    signal waited on it)."""
    epochs = max(run.steps // max(run.steps_per_epoch, 1), 1)
    last = schedules.factor(run.schedule, epochs - 1, epochs)
    if epochs <= EXACT_SCHEDULE_EPOCHS:
        mean = sum(schedules.factor(run.schedule, e, epochs) for e in range(epochs)) / epochs
    else:
        mean = _schedule_sum(run.schedule, epochs) / epochs
    if run.optimizer == "adagrad":  # its own step decays as 1/√k while the gradients keep their size (Σg² grows
        # with k): a rate that travels in a constant-step model overshoots early and crawls late (engel: 95% →
        # −78% on the advice `--standardize --lr 6.4`)
        n = max(run.steps, 1)  # Σ_{k≤n} k^(−1/2) in closed form (0.2% off at n = 1, exact enough above; a
        mean, last = mean * _schedule_sum("inverse", n) / n, last / math.sqrt(n)  # sum per call cost 10k terms)
    return mean, last


def _schedule_sum(name: str, n: int) -> float:
    """Σ_{e<n} schedules.factor(name, e, n) in closed form (n > EXACT_SCHEDULE_EPOCHS)."""
    if name == "constant":
        return float(n)
    if name == "step":
        full, rest = divmod(n, schedules.STEP_EVERY)
        g = schedules.STEP_GAMMA
        return schedules.STEP_EVERY * (1 - g ** full) / (1 - g) + rest * g ** full
    if name == "exponential":
        g = schedules.EXP_GAMMA
        return (1 - g ** n) / (1 - g)
    if name == "inverse":  # Σ_{k=1}^{n} k^(−1/2) = 2√n + ζ(1/2) + 1/(2√n) − 1/(24 n^(3/2)) + O(n^(−7/2))
        return 2 * math.sqrt(n) - 1.4603545088095868 + 0.5 / math.sqrt(n) - 1 / (24 * n ** 1.5)
    if name == "cosine":  # n/2 + ½ Σ cos(πe/n), and that sum is exactly 1
        return (n + 1) / 2
    raise ValueError(f"unknown schedule {name!r}")


def _terms(view: _View, run: Run) -> tuple[float, float]:
    """(a, c) with the run's score max(a/lr, c·lr). a/lr: the share of half the run the slowest part needs
    (bounded steps: the farthest parameter's travel at its top speed; curvature-bound: the flattest
    direction's error 100× smaller). c·lr: how coarse the last epoch's steps are (bounded: the largest move a
    step makes in the predictions over the jitter that costs FLOOR_SHARE of the gap, _jitter_tolerance;
    curvature-bound: SGD's noise floor lr·tr(G)·σ²/m over FLOOR_SHARE of the gap)."""
    push = _push(run)
    mean, last = _schedule_factors(run)
    half = 0.5 * max(run.steps, 1)
    if _curvature_bound(view, run):
        a = _descent_time(view, 2.0 if run.loss == "mse" else 1.0) / (push * mean) / half
        c = push * last * view.trace * view.residual ** 2 / (max(run.batch_size, 1) * FLOOR_SHARE * view.gap)
        return a, c
    a = c = 0.0
    tolerance = _jitter_tolerance(view, run.loss)
    for i, (o, s) in enumerate(zip(view.optimum, view.initial)):
        speed = push * (1.0 if run.optimizer in BOUNDED_STEP_OPTIMIZERS else view.rms[i])  # × lr: the top move
        travel = abs(o - s)
        if travel > 0:
            a = max(a, math.inf if speed <= 0 else TRAVEL_MARGIN * travel / (speed * mean) / half)
        if tolerance > 0:
            c = max(c, last * speed * view.rms[i] / tolerance)
    return a, c


def _jitter_tolerance(view: _View, loss: str) -> float:
    """The jitter ε in the predictions that costs FLOOR_SHARE of the gap, by what jitter costs each loss at the
    optimum (σ: its residual rms): MSE ε² exactly; MAE about ε²/σ while ε ≪ σ, ε beyond; Huber as MSE's half
    while σ is inside δ, as MAE otherwise. (MSE once had MAE's √(share·gap·σ): 16× too lenient on a target of
    sd 315, and its Adam advice, lr 40, ended further from the optimum than the run it fixed: ccard.)"""
    share = FLOOR_SHARE * view.gap
    if loss == "mse":
        return math.sqrt(share)
    if loss == "huber" and view.residual < losses.HUBER_DELTA:
        return math.sqrt(2 * share)
    return max(math.sqrt(share * view.residual), share)


def _descent_time(view: _View, hessian: float) -> float:
    """τ = lr·steps after which full-batch descent's excess loss ½·hessian·Σ λ_k·e_k²·exp(−2·hessian·λ_k·τ) (e_k: the
    initial error along G's k-th eigenvector) is below half of FLOOR_SHARE of the gap: directions that barely
    change the loss (collinear columns) need not converge for the fit to."""
    target = 0.5 * FLOOR_SHARE * view.gap
    lam = torch.tensor(view.eigenvalues, dtype=torch.float64)
    err2 = torch.tensor(view.error, dtype=torch.float64) ** 2

    def excess(tau: float) -> float:  # ½·eᵀHe with H = hessian·G: MSE's eᵀGe, Huber's ½eᵀGe inside δ
        return float(0.5 * hessian * (lam * err2 * torch.exp(-2 * hessian * lam * tau)).sum())

    if excess(0.0) <= target:
        return 0.0
    lo, hi = 0.0, 1.0
    while excess(hi) > target:
        lo, hi = hi, hi * 4
        if hi > 1e30:
            return math.inf
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if excess(mid) > target else (lo, mid)
    return hi


def _score(view: _View, run: Run) -> float:
    """≤ 1: the run is predicted to reach within 1% of the optimum of its loss; the larger, the further
    (inf: it diverges)."""
    if run.lr <= 0 or (_curvature_bound(view, run) and run.lr > _stable(view, run)):
        return math.inf
    a, c = _terms(view, run)
    return max(a / run.lr, c * run.lr)


def _best_lr(view: _View, run: Run) -> float:
    """The lr with the lowest score in these units: the balance √(a/c) of travel and coarseness, never above
    half the stable limit where the curvature bounds the step (enough to travel twice over when nothing is
    coarse)."""
    a, c = _terms(view, run)
    if not math.isfinite(a):
        best = run.lr
    elif a <= 0:  # nothing left to travel: the rate only has to be fine enough (√(a/c) said 0, and the next
        best = run.lr if c * run.lr <= 1 else 0.5 / c  # score divided by it: a target of 1e9, Huber)
    elif c <= 0:
        best = 2 * a
    else:
        best = math.sqrt(a / c)
    if _curvature_bound(view, run):
        best = min(best, 0.5 * _stable(view, run))
    best = round_lr(best)
    return best if best > 0 and math.isfinite(best) else run.lr


def _long_enough(view: _View, run: Run, cap: float) -> dict:
    """{"epochs": E, "lr": its best lr (at most cap)} for the fewest epochs E (doubling, up to PRACTICAL_EPOCHS)
    at which the run is predicted to arrive; {} when none does. A fix predicted to leave the run short was
    advised alone, and its round fell short as predicted (longley, Huber: standardize at lr 670, −999%)."""
    per_epoch = max(run.steps_per_epoch, 1)
    epochs = max(run.steps // per_epoch, 1)
    while epochs < PRACTICAL_EPOCHS:
        epochs = min(2 * epochs, PRACTICAL_EPOCHS)
        longer = replace(run, steps=epochs * per_epoch)
        lr = min(_best_lr(view, longer), cap)
        if _score(view, replace(longer, lr=lr)) <= 1:
            return {"epochs": epochs, **({"lr": lr} if lr != run.lr else {})}
    return {}


def _steps_needed(view: _View, run: Run) -> float:
    return _score(view, run) * 0.5 * max(run.steps, 1)


def causes(facts: DataFacts, kind: str, run: Run, feature_names: tuple[str, ...],
           progress: float | None = None) -> tuple[Cause, ...]:
    """Every reason that fits what was seen, best fix first. Each candidate fix is scored in the units it
    trains in (_score; an lr moved into its working range when the fix needs that), and kept when it is
    predicted to help at least GAIN_LIMIT-fold or to bring the run within reach. progress: how far the run
    came (Diagnosis.progress), where it has ended."""
    share = (facts.constant_loss - facts.optimum_loss) / max(abs(facts.constant_loss), 1e-300)
    chance = 2 * (len(facts.column_rms) - 1) / facts.rows if facts.rows else 0.0
    tolerance = max(NO_SIGNAL_SHARE, chance)
    # 1% of nothing is noise: once the run is as good as a constant (its loss at most `tolerance` above the
    # constant's), no setting helps. A run far above it (a target of 1e9 left unscaled) still gets its fixes.
    if kind != DIVERGED and share < tolerance and progress is not None and -progress * share <= tolerance:
        return (Cause("no_signal", "none", {"share": share, "chance": chance}, {}, 1.0),)
    now = _view(facts, run, False, False)
    score = _score(now, run)
    names = (*feature_names, None)  # None: the bias' constant column of ones
    steps, per_epoch = max(run.steps, 1), max(run.steps_per_epoch, 1)
    found: list[tuple[float, Cause]] = []  # (score after, cause)

    def candidate(name: str, advice: str, changes: dict, view: _View, values: dict, tuned: Run | None = None):
        """A fix: its changes, with the lr moved to the best for its units when that scores 2× better."""
        fixed = replace(run, **{k: v for k, v in changes.items() if k in ("schedule",)})
        after = _score(view, fixed)
        lr = _best_lr(view, fixed)
        if "schedule" in changes:  # a schedule settles its steps: at most 10× the lr with it (the model is rough there)
            lr = min(lr, 10 * run.lr)
        better = _score(view, replace(fixed, lr=lr))
        if better * GAIN_LIMIT <= after and lr != run.lr:
            changes, after = {**changes, "lr": lr}, better
        if 1 < after < math.inf and "epochs" not in changes:  # still short: the fix and the length it needs
            changes = {**changes, **_long_enough(view, replace(fixed, lr=changes.get("lr", run.lr)),
                                                 cap=10 * run.lr if "schedule" in changes else math.inf)}
        gain = score / after if after > 0 else math.inf
        if math.isinf(score) and math.isfinite(after):
            gain = math.inf
        if gain >= GAIN_LIMIT or (score > 1 >= after):
            values = {**values, "score": score, "score_after": after, "steps_needed": _steps_needed(now, run),
                      "steps_needed_after": after * 0.5 * steps,
                      **({"suggested_lr": changes["lr"]} if "lr" in changes else {})}
            found.append((after, Cause(name, advice, values, changes, gain)))

    rms = now.rms[:-1]
    if not run.standardized and rms:
        nonzero = [r for r in rms if r > 0] or [1.0]
        off = max(max(r, 1 / r) for r in nonzero)  # the column farthest from rms 1
        if facts.scale_span > SCALE_SPAN_LIMIT or off > 10:
            lo = min((i for i in range(len(rms)) if rms[i] > 0), key=lambda i: rms[i], default=0)
            hi = max(range(len(rms)), key=lambda i: rms[i])
            candidate("feature_scales", "standardize", {"standardize": True}, _view(facts, run, True, False), {
                "smallest": rms[lo], "smallest_column": names[lo], "largest": rms[hi], "largest_column": names[hi],
                "condition": now.curvature / max(now.flattest, 1e-16 * now.curvature)})
            if not run.target_standardized and not _curvature_bound(now, run):
                candidate("scales", "standardize_both", {"standardize": True, "standardize_target": True},
                          _view(facts, run, True, True), {
                              "target_mean": facts.target_mean, "target_sd": facts.target_sd, "smallest": rms[lo],
                              "smallest_column": names[lo], "largest": rms[hi], "largest_column": names[hi]})
    if not run.target_standardized and not _curvature_bound(now, run) \
            and (abs(facts.target_mean) > 10 or facts.target_sd > 10 or 0 < facts.target_sd < 0.1):
        candidate("target_scale", "standardize_target", {"standardize_target": True},
                  _view(facts, run, False, True),
                  {"target_mean": facts.target_mean, "target_sd": facts.target_sd, "optimizer": run.optimizer,
                   "loss": run.loss})
    lr = _best_lr(now, run)
    if lr != run.lr:
        name = "step_too_large" if lr < run.lr else "step_too_small"
        values = {"lr": run.lr, "suggested_lr": lr, "bounded": not _curvature_bound(now, run)}
        if _curvature_bound(now, run):
            values["stable_lr"] = _stable(now, run)
        candidate(name, "lr", {"lr": lr}, now, values)
    if run.schedule == "constant" and kind != DIVERGED and run.optimizer != "adagrad":  # (AdaGrad anneals its
        candidate("noise_floor", "schedule", {"schedule": "cosine"}, now, {"lr": run.lr})  # own steps)
    if kind == NOT_CONVERGED and score <= 1:
        # The model said these settings arrive and the run did not: its lr and schedule advice rests on the
        # same model, so it is not offered (following it made such runs worse: 0.957 → 0.932 on longley).
        # What is left: the data's own fixes, and what the run itself shows.
        # The model's own schedule advice stands for steps the curvature bounds; for bounded steps (Adam and
        # kin) its lr rests on the travel it misjudged (stackloss, MAE: cosine at 2× the lr 0.97, then 0.987;
        # at the same lr over twice the epochs, 0.997), and the run's own evidence decides.
        bounded = run.optimizer in BOUNDED_STEP_OPTIMIZERS
        keep = ("feature_scales", "scales", "target_scale") + (() if bounded else ("noise_floor",))
        found = [(a, c) for a, c in found if c.name in keep]
        short = _short_of_prediction(now, run, score, names, steps, per_epoch, progress)
        if not (short.name == "noise_floor" and any(c.name == "noise_floor" for _, c in found)):
            found.append((math.inf, short))
    found.sort(key=lambda sc: (max(sc[0], 1.0), PRIORITY.index(sc[1].name), sc[0]))  # the root cause first
    best_after = min([score] + [a for a, _ in found])
    if kind != DIVERGED and math.isfinite(best_after) and best_after > 1:
        # even the best fix leaves the run short: it needs more epochs (or cannot in practice)
        # travel-bound runs need score× the steps; coarse-bound ones score²× (a longer run affords a lower lr).
        # (score²× for every run said 52,595 epochs for longley's standardized momentum run, "beyond practical
        # training", with nothing to follow; it is travel-bound, and 200 epochs converge.)
        a, c = _terms(now, run)
        growth = best_after if a / run.lr >= c * run.lr else best_after ** 2
        epochs_needed = min(math.ceil(growth * steps / per_epoch), 1_000_000)
        condition = now.curvature / max(now.flattest, 1e-300)
        values = {"steps": steps, "steps_needed": best_after * 0.5 * steps, "standardized": run.standardized,
                  "condition": condition, "epochs_needed": epochs_needed}
        if epochs_needed > PRACTICAL_EPOCHS:
            found.append((math.inf, Cause("ill_conditioned", "none", values, {}, 1.0)))
        elif not found:
            longer = replace(run, steps=epochs_needed * per_epoch)
            lr = _best_lr(now, longer)
            changes = {"epochs": epochs_needed, **({"lr": lr} if lr != run.lr else {})}
            values["suggested_lr"] = lr
            found.append((1.0, Cause("more_epochs", "epochs", values, changes, best_after)))
    if not found and kind != DIVERGED:  # the data and settings look fine, yet the run fell short
        settle = run.schedule == "constant" and not _curvature_bound(now, run)
        more = min(2 * max(steps // per_epoch, 1), 1_000_000)
        found.append((1.0, Cause("noise_floor", "schedule", {"lr": run.lr}, {"schedule": "cosine"}, 1.0)
                      if settle else Cause("more_epochs", "epochs", {"steps": steps}, {"epochs": more}, 1.0)))
    return tuple(_stretched(c, run) for _, c in found)


VANISHING_SCHEDULES = ("step", "exponential")  # their rate falls by epochs, whatever the run's length


def _stretched(cause: Cause, run: Run) -> Cause:
    """More epochs under a schedule that has taken the rate to about 0 add steps of about 0 (longley, step:
    100, 400 and 1,600 epochs ended at the same loss to the last digit): the longer run gets cosine, which
    stretches with the run."""
    if run.schedule in VANISHING_SCHEDULES and "epochs" in cause.changes and "schedule" not in cause.changes:
        return replace(cause, changes={**cause.changes, "schedule": "cosine"})
    return cause


def _short_of_prediction(now: _View, run: Run, score: float, names: tuple, steps: int, per_epoch: int,
                         progress: float | None) -> Cause:
    """The cause of a run that fell short though predicted to arrive (score ≤ 1), from what the run shows
    (its progress is not enough to tell coarse steps from short travel: a duplicated column, Huber, ended at
    −34% of the way with lr 0.44, and at −100% with lr 0.044):
    - the data are ill-conditioned (condition > ILL_CONDITION) and the flattest directions carry error that
      matters (their share of the predictions' shift is above the tolerance the model itself uses): the part
      the model underrates, said with the columns that move together, and CRAWL_EPOCHS× the epochs (nothing
      to follow past PRACTICAL_EPOCHS). A direction the predictions do not see (two identical columns) is no
      such cause;
    - otherwise a constant rate gets cosine at twice the lr (more epochs at a constant rate kept bouncing:
      statecrime, Huber, 0.961 → 0.942; cosine at the same lr travels half as far: 0.827), and a decaying
      one twice the epochs."""
    condition = now.curvature / max(now.flattest, 1e-300)
    values = {"steps": steps, "standardized": run.standardized, "condition": condition, "observed": True,
              "steps_predicted": score * 0.5 * steps}
    if condition > ILL_CONDITION and _flat_directions_matter(now, run.loss):
        loading = sorted(((abs(x), i) for i, x in enumerate(now.flattest_vector) if abs(x) >= COLLINEAR_LOADING),
                         reverse=True)
        values["collinear"] = [names[i] for _, i in loading]
        more = min(CRAWL_EPOCHS * max(steps // per_epoch, 1), PRACTICAL_EPOCHS)
        if more <= steps // per_epoch:  # at the practical limit already: nothing left to follow
            return Cause("ill_conditioned", "none", values, {}, 1.0)
        return Cause("ill_conditioned", "epochs", {**values, "epochs_needed": more}, {"epochs": more}, 1.0)
    if run.schedule == "constant":  # constant steps bounce at a level the model put lower: let them settle,
        # over twice the epochs: cosine's mean factor is ½, so the run travels as far as it did and ends at rest
        more = min(2 * max(steps // per_epoch, 1), 1_000_000)
        return Cause("noise_floor", "schedule", {**values, "lr": run.lr, "epochs_needed": more},
                     {"schedule": "cosine", "epochs": more}, 1.0)
    more = min(2 * max(steps // per_epoch, 1), 1_000_000)
    return Cause("more_epochs", "epochs", {**values, "epochs_needed": more}, {"epochs": more}, 1.0)


def _flat_directions_matter(view: _View, loss: str) -> bool:
    """Whether a direction flatter than λ_max / ILL_CONDITION moves the predictions by more than the jitter
    that costs FLOOR_SHARE of the gap: √λ_k·|e_k| (e_k: the initial error along G's k-th eigenvector, the rms
    shift of the predictions it makes) against _terms' tolerance."""
    tolerance = _jitter_tolerance(view, loss)
    flat = view.curvature / ILL_CONDITION
    return any(lam < flat and math.sqrt(lam) * abs(e) > tolerance for lam, e in zip(view.eigenvalues, view.error))


class Watch:
    """Looks at each epoch's mean batch loss and says when the run oscillates or stalls (or stops doing so)."""

    def __init__(self, facts_of):
        self._facts_of = facts_of  # () -> DataFacts, computed on first need (a second at 1M × 64)
        self.losses: list[float] = []
        self._best = math.inf
        self._since_best = 0

    def reset(self) -> None:
        self.losses.clear()
        self._best, self._since_best = math.inf, 0

    def add(self, loss_mean: float) -> str | None:
        """The run's condition after this epoch: OSCILLATING, STALLED or None (fine, or too soon to say)."""
        self.losses.append(loss_mean)
        del self.losses[:-OSCILLATION_WINDOW]
        if self._oscillating():
            return OSCILLATING
        facts = None
        if loss_mean < self._best:
            gap = self._best - loss_mean
            if math.isinf(self._best):
                self._since_best = 0
            else:
                facts = self._facts_of()
                if gap >= STALL_GAIN * max(self._best - facts.optimum_loss, 0.0):
                    self._since_best = 0
                else:
                    self._since_best += 1
            self._best = loss_mean
        else:
            self._since_best += 1
        if self._since_best >= STALL_EPOCHS:
            facts = facts or self._facts_of()
            if facts.progress(self._best) < STALL_PROGRESS:
                return STALLED
        return None

    def _oscillating(self) -> bool:
        ls = self.losses
        if len(ls) < OSCILLATION_WINDOW or not all(math.isfinite(v) and v > 0 for v in ls):
            return False
        ratios = [b / a for a, b in zip(ls, ls[1:])]
        ups = [r > 1 for r in ratios]
        alternating = all(u != v for u, v in zip(ups, ups[1:]))
        return alternating and all(max(r, 1 / r) >= OSCILLATION_FACTOR for r in ratios)
