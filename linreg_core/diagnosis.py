"""Why a run goes wrong, as data: what was seen (diverged, oscillating, stalled, not converged) and the causes
the data and the settings point to, each with its advice and the numbers behind it.

Everything is measured in training units (the features and the target as the trainer sees them, standardized
or not), in float64 on the CPU, from the training samples:
- G = [X 1]ᵀ[X 1]/n, (d+1, d+1): half the Hessian of the MSE loss. Its largest eigenvalue λ sets the largest
  stable step of gradient descent on MSE (lr < 1/λ); a mini-batch of m rows is sharper, about λ + tr(G)/m.
- the root mean square of each column of [X 1]: features spanning orders of magnitude make G ill-conditioned
  (long thin valleys), whatever the learning rate.
- "travel": how far the least-squares optimum lies from the initial parameters. Adam, AdaGrad and RMSProp
  move each parameter about lr per step, and MAE's (and Huber's) gradient is bounded too, so with those a
  run can move at most about lr × steps: an unscaled target (a bias of 65,000) is out of reach.
- "progress": the share of the way from the best constant prediction's loss to the optimum's that the run
  has come (1: at the optimum, 0: no better than predicting a constant, below 0: worse).

The trainer watches its epoch losses (`Watch`) and asks `diagnose()` when it sees something; the text that
explains a diagnosis to a person is written by the UI (tui/text.py) from these values.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch

from . import losses

DIVERGED, OSCILLATING, STALLED, NOT_CONVERGED = "diverged", "oscillating", "stalled", "not_converged"
BOUNDED_STEP_OPTIMIZERS = ("adagrad", "rmsprop", "adam")  # each parameter moves about lr a step
SCALE_SPAN_LIMIT = 100.0  # columns whose rms differ more than this: standardize
OSCILLATION_WINDOW = 6  # epochs whose losses must alternate up and down ...
OSCILLATION_FACTOR = 2.0  # ... each by at least this factor
STALL_EPOCHS = 10  # epochs without the best loss improving by STALL_GAIN of the gap left to the optimum ...
STALL_GAIN = 0.01
STALL_PROGRESS = 0.9  # ... while the run has come less than this share of the way
CONVERGED_PROGRESS = 0.95  # a run that ends below this share of the way did not converge
GRAM_CHUNK = 65_536  # rows per chunk when summing G (memory stays small at 1M rows)


@dataclass(frozen=True)
class Cause:
    """One reason, the advice it leads to, and its numbers (JSON values)."""

    name: str  # feature_scales | target_scale | step_too_large | step_too_small | more_epochs
    # (a column named None is the bias' constant column of ones)
    advice: str  # standardize | standardize_target | lr | epochs
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # diverged | oscillating | stalled | not_converged
    epoch: int  # the epoch it was seen at (0-based; a run's end: the epochs done)
    progress: float | None  # share of the way from the best constant's loss to the optimum's (1: there)
    causes: tuple[Cause, ...]

    def as_dict(self) -> dict:
        return {"kind": self.kind, "epoch": self.epoch, "progress": self.progress,
                "causes": [asdict(c) for c in self.causes]}


@dataclass(frozen=True)
class DataFacts:
    """What the data say about how hard they are to descend, in training units."""

    column_rms: tuple[float, ...]  # per feature, then 1.0 for the bias' constant column
    curvature: float  # λ_max(G)
    flattest: float  # λ_min(G): the flattest direction (0 for collinear columns)
    trace: float  # tr(G)
    optimum: tuple[tuple[float, ...], float]  # least-squares (w, b) in training units
    optimum_loss: float  # the run's loss at the optimum, training units
    constant_loss: float  # the run's loss of the best constant prediction (mean for MSE, median otherwise)

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


def data_facts(X: torch.Tensor, y: torch.Tensor, optimum: tuple[list[float], float], loss_name: str) -> DataFacts:
    """X: (n, d), y: (n, 1) in training units (any dtype or device); optimum: least squares in training units.
    Summed in float64 chunks of rows, so no float64 copy of a large X is made."""
    n, d = X.shape
    chunks = [(s, min(s + GRAM_CHUNK, n)) for s in range(0, n, GRAM_CHUNK)]

    def rows(a: int, b: int) -> torch.Tensor:
        return X[a:b].detach().to("cpu", torch.float64)

    mu = sum(rows(a, b).sum(0) for a, b in chunks) / n  # (d,)
    w, b0 = optimum
    w64 = torch.tensor(list(w), dtype=torch.float64).reshape(-1, 1)  # (d, 1)
    C = torch.zeros(d, d, dtype=torch.float64)  # centred XᵀX/n
    preds = []
    for a, b in chunks:
        x = rows(a, b)
        preds.append(x @ w64 + b0)
        xc = x - mu  # never in place: x may be the training data itself (float64 on the CPU)
        C += xc.T @ xc
    C /= n
    G = torch.empty(d + 1, d + 1, dtype=torch.float64)
    G[:d, :d] = C + torch.outer(mu, mu)
    G[:d, d] = G[d, :d] = mu
    G[d, d] = 1.0
    eig = torch.linalg.eigvalsh(G)  # ascending
    y64 = y.detach().to("cpu", torch.float64).reshape(-1, 1)
    loss = losses.get(loss_name)
    centre = float(y64.mean() if loss_name == "mse" else y64.median())
    return DataFacts(
        column_rms=tuple(torch.diagonal(G).sqrt().tolist()), curvature=float(eig[-1]),
        flattest=max(float(eig[0]), 0.0), trace=float(G.trace()), optimum=(tuple(w), float(b0)),
        optimum_loss=float(loss.value(torch.cat(preds), y64)),
        constant_loss=float(loss.value(torch.full_like(y64, centre), y64)))


def stable_lr(facts: DataFacts, batch_size: int) -> float:
    """The largest step plain gradient descent on MSE takes without diverging, about: 1/λ of a batch's G."""
    return 1.0 / (facts.curvature + facts.trace / max(batch_size, 1))


LR_MAX = 1000.0  # the largest --lr accepted (config.py): never suggest more


def round_lr(lr: float) -> float:
    return min(float(f"{lr:.2g}"), LR_MAX)


def causes(facts: DataFacts, kind: str, *, lr: float, loss: str, optimizer: str, batch_size: int, steps: int,
           steps_per_epoch: int,
           initial: tuple[list[float], float], standardized: bool, target_standardized: bool,
           feature_names: tuple[str, ...]) -> tuple[Cause, ...]:
    """The reasons that fit what was seen, most fundamental first. `steps`: the run's whole length in steps."""
    steps_per_epoch = max(steps_per_epoch, 1)
    found: list[Cause] = []
    rms = facts.column_rms
    if not standardized and facts.scale_span > SCALE_SPAN_LIMIT:
        names = (*feature_names, None)  # None: the bias' constant column of ones
        lo = min((i for i in range(len(rms)) if rms[i] > 0), key=lambda i: rms[i])
        hi = max(range(len(rms)), key=lambda i: rms[i])
        found.append(Cause("feature_scales", "standardize", {
            "smallest": rms[lo], "smallest_column": names[lo], "largest": rms[hi], "largest_column": names[hi],
            "condition": facts.curvature / max(facts.flattest, 1e-16 * facts.curvature)}))
    bounded = optimizer in BOUNDED_STEP_OPTIMIZERS or loss in ("mae", "huber")
    w_opt, b_opt = facts.optimum
    w0, b0 = initial
    travel = max(abs(a - c) for a, c in zip((*w_opt, b_opt), (*w0, b0)))
    reach = lr * steps
    travel_lr = round_lr(2 * travel / max(steps, 1))  # enough to get there in half the run
    scales_first = bool(found)  # unscaled features explain a bounded run's slowness too: standardize first
    if bounded and kind != DIVERGED and not scales_first and travel > 0.75 * reach and travel_lr > lr:
        reachable = 2 * travel / max(steps, 1) <= LR_MAX  # else no accepted lr covers it: only scaling helps
        found.append(Cause("target_scale", "lr" if target_standardized else "standardize_target", {
            "travel": travel, "reach": reach, "lr": lr, "suggested_lr": travel_lr if reachable else None,
            "optimizer": optimizer,
            "loss": loss}))
    if loss == "mse" and optimizer not in BOUNDED_STEP_OPTIMIZERS:
        limit = stable_lr(facts, batch_size)
        suggested = round_lr(0.5 * limit)
        if lr > limit or kind in (DIVERGED, OSCILLATING):
            found.append(Cause("step_too_large", "lr", {"lr": lr, "stable_lr": limit, "suggested_lr": suggested}))
        elif kind in (STALLED, NOT_CONVERGED):
            if lr < 0.25 * limit:
                found.append(Cause("step_too_small", "lr", {"lr": lr, "stable_lr": limit, "suggested_lr": suggested}))
            # the flattest direction's error shrinks by (1 − 2·lr·λ_min) a step: 100× needs ln(100)/(2·lr·λ_min)
            rate = 2 * max(lr, suggested) * facts.flattest
            needed = math.log(100) / rate if rate > 0 else math.inf
            condition = facts.curvature / max(facts.flattest, 1e-300)
            if condition > 100 and math.isfinite(needed) and needed > steps:
                found.append(Cause("more_epochs", "epochs", {
                    "steps": steps, "steps_needed": needed, "standardized": standardized, "condition": condition,
                    "epochs_needed": math.ceil(needed / steps_per_epoch)}))
    elif lr > travel_lr and (kind in (DIVERGED, OSCILLATING)
                             or (kind in (STALLED, NOT_CONVERGED) and lr > 10 * travel_lr)):
        found.append(Cause("step_too_large", "lr", {"lr": lr, "suggested_lr": min(travel_lr, round_lr(lr / 10))}))
    if not found:
        found.append(Cause("more_epochs", "epochs", {"steps": steps}))
    return tuple(found)


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
