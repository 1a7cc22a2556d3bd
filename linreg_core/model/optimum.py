"""The optimum of the loss a run minimizes, in float64: the fit every run is measured against.

- MSE: least squares (reference.least_squares).
- MAE: least absolute deviations. Iteratively reweighted least squares (weights 1/max(|r|, ε)) brings the fit
  near the optimum; the optimum of this linear program is a vertex where d + 1 residuals are 0, so the d + 1
  rows with the smallest residuals (linearly independent) are then solved exactly, and the vertex is
  certified optimal by its dual: u_S = −A_S⁻ᵀ·Σ_{i∉S} sign(r_i)·a_i must lie in [−1, 1]. A vertex that
  fails the check keeps the reweighted fit, reported as not exact with its last relative improvement.
- Huber (δ on the residual in training units): Newton's method on the active set (rows with |r| ≤ δ are
  quadratic, the others linear), which is exact once the set stops changing; a reweighted step (weights
  min(1, δ/|r|), a majorizer, always positive definite) wherever Newton's would not decrease the loss.

The design is centred and its columns scaled to a largest magnitude of 1 first (as least squares does), so a
column like a year (≈ 1950) is not nearly collinear with the intercept's column of ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from . import reference
from .losses import HUBER_DELTA

MAX_ITERATIONS = 200  # Huber's Newton steps
IRLS_ITERATIONS = 60  # LAD's reweighting before the pivots
RELATIVE_TOLERANCE = 1e-12  # reweighting stops when an iteration improves the loss by less than this share
WORK_BUDGET = 4e10  # multiply-adds of reweighting (rows × columns² per iteration): ~2-10 s; beyond, the best
# fit found is kept and reported as not exact (a 1M × 64 MAE problem gets 9 iterations)


@dataclass(frozen=True)
class Optimum:
    """The minimizer of a loss over all (w, b), in data units, and how it was found."""

    loss: str  # mae | mse | huber
    weights: tuple[float, ...]
    bias: float
    method: str  # "least squares" | "least absolute deviations" | "huber"
    exact: bool  # certified (least squares, an LAD vertex with its dual, Huber's settled active set)
    iterations: int

    def as_dict(self) -> dict:
        return {"loss": self.loss, "weights": list(self.weights), "bias": self.bias, "method": self.method,
                "exact": self.exact, "iterations": self.iterations}


def optimum(X: torch.Tensor, y: torch.Tensor, loss: str, target_scale: float = 1.0,
            least_squares: tuple[tuple[float, ...], float] | None = None) -> Optimum:
    """argmin over (w, b) of the loss of X·w + b against y. X: (n, d), y: (n, 1), data units. target_scale:
    the target's training scale (Huber's δ applies to the residual divided by it); least_squares: the
    least-squares fit when already known (the start of the iterations)."""
    ls = least_squares if least_squares is not None else reference.least_squares(X, y)
    if loss == "mse" or not all(math.isfinite(v) for v in (*ls[0], ls[1])):
        return Optimum(loss, tuple(ls[0]), ls[1], "least squares", True, 0)
    design = _Design(X, y)
    beta = design.to_beta(ls)
    if loss == "mae":
        beta, exact, its = _lad(design, beta)
        method = "least absolute deviations"
    elif loss == "huber":
        beta, exact, its = _huber(design, beta, HUBER_DELTA * target_scale / design.y_scale)
        method = "huber"
    else:
        raise ValueError(f"unknown loss {loss!r}")
    w, b = design.to_params(beta)
    return Optimum(loss, w, b, method, exact, its)


class _Design:
    """A = [(X − x̄)/s, 1] (n, d + 1) and y' = (y − ȳ)/t, both scaled to a largest magnitude of 1."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor):
        X64 = X.detach().to("cpu", torch.float64)
        y64 = y.detach().to("cpu", torch.float64).reshape(-1, 1)
        self.x_mean, self.y_mean = X64.mean(0), float(y64.mean())
        Xc = X64 - self.x_mean
        self.col_scale = torch.maximum(Xc.amax(0), -Xc.amin(0)).clamp_min(1e-300)  # (d,)
        yc = y64 - self.y_mean
        self.y_scale = float(yc.abs().max()) or 1.0
        n = X64.shape[0]
        self.A = torch.cat([Xc / self.col_scale, torch.ones(n, 1, dtype=torch.float64)], 1)  # (n, d + 1)
        self.y = yc / self.y_scale  # (n, 1)
        self.budget = max(3, int(WORK_BUDGET / max(n * self.A.shape[1] ** 2, 1)))  # iterations allowed

    def to_beta(self, params) -> torch.Tensor:
        w = torch.tensor(list(params[0]), dtype=torch.float64)
        b = params[1] + float(self.x_mean @ w)  # the intercept on centred columns
        beta = torch.cat([w * self.col_scale, torch.tensor([b - self.y_mean])]) / self.y_scale
        return beta.reshape(-1, 1)

    def to_params(self, beta: torch.Tensor) -> tuple[tuple[float, ...], float]:
        beta = beta.reshape(-1) * self.y_scale
        w = beta[:-1] / self.col_scale
        b = float(beta[-1]) + self.y_mean - float(self.x_mean @ w)
        return tuple(w.tolist()), b

    def residuals(self, beta: torch.Tensor) -> torch.Tensor:
        return self.A @ beta - self.y  # ŷ − y: (n, 1)

    def weighted_solve(self, weights: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor | None:
        """(Aᵀ·diag(weights)·A)⁻¹·rhs, or None when that matrix is singular."""
        gram = self.A.T @ (self.A * weights)
        try:
            return torch.linalg.solve(gram, rhs)
        except RuntimeError:  # singular
            return None


def _lad(design: _Design, beta: torch.Tensor) -> tuple[torch.Tensor, bool, int]:
    """Reweighting to near the optimum, then simplex pivots from the vertex nearest it to the exact one."""
    A, y = design.A, design.y

    def value(b):
        return float(design.residuals(b).abs().sum())

    best, best_value = beta, value(beta)
    eps = 1e-9 * max(best_value / A.shape[0], 1e-300)  # the residual below which a row weighs 1/ε
    its = 0
    for its in range(1, min(IRLS_ITERATIONS, design.budget) + 1):
        r = design.residuals(best)
        weights = 1.0 / r.abs().clamp_min(eps)
        new = design.weighted_solve(weights, A.T @ (y * weights))
        if new is None:
            break
        new_value = value(new)
        if not new_value < best_value:
            break
        improved = (best_value - new_value) / max(best_value, 1e-300)
        best, best_value = new, new_value
        if improved < RELATIVE_TOLERANCE:
            break
    basis = _nearest_basis(A, design.residuals(best).reshape(-1))
    if basis is not None:
        vertex, certified, pivots = _lad_pivots(A, y.reshape(-1), basis, max(design.budget - its, 3) * 4)
        its += pivots
        vertex = None if vertex is None else vertex.reshape(-1, 1)
        if vertex is not None and value(vertex) <= best_value * (1 + 1e-12) + 1e-300:
            return vertex, certified, its
    return best, False, its


def _nearest_basis(A: torch.Tensor, r: torch.Tensor) -> list[int] | None:
    """The d + 1 linearly independent rows with the smallest |residual| (Gram-Schmidt in that order)."""
    p = A.shape[1]
    basis: list[int] = []
    q = torch.zeros(0, p, dtype=torch.float64)  # orthonormal rows spanning the chosen rows
    for i in torch.argsort(r.abs()).tolist():
        a = A[i]
        rest = a - q.T @ (q @ a)
        norm = float(rest.norm())
        if norm > 1e-9 * max(float(a.norm()), 1e-300):
            basis.append(i)
            q = torch.cat([q, (rest / norm).reshape(1, -1)])
            if len(basis) == p:
                return basis
    return None


def _lad_pivots(A: torch.Tensor, y: torch.Tensor, basis: list[int], max_pivots: int):
    """The simplex method on the LAD program, vertex to vertex (Barrodale & Roberts' idea). At a vertex β
    through the rows S (their residuals 0), the dual u = −A_S⁻ᵀ·Σ_{i∉S} sign(r_i)·a_i certifies β optimal when
    |u| ≤ 1; otherwise releasing row j (|u_j| > 1) lowers the loss at slope 1 − |u_j|, and the line search
    along that edge stops at the residual crossing 0 where the slope turns ≥ 0: that row enters S.
    Returns (β, certified, pivots) or (None, False, pivots) when a basis is singular."""
    n = A.shape[0]
    S = list(basis)
    for pivot in range(max_pivots + 1):
        AS = A[S]
        try:
            beta = torch.linalg.solve(AS, y[S])  # (p,)
        except RuntimeError:
            return None, False, pivot
        r = A @ beta - y
        outside = torch.ones(n, dtype=torch.bool)
        outside[S] = False
        Ao, ro = A[outside], r[outside]
        u = torch.linalg.solve(AS.T, -(Ao.T @ torch.sign(ro)))
        j = int(u.abs().argmax())
        if float(u[j].abs()) <= 1 + 1e-9 or pivot == max_pivots:
            return beta, float(u[j].abs()) <= 1 + 1e-9, pivot
        e = torch.zeros_like(u)
        e[j] = torch.sign(u[j])
        rate = Ao @ torch.linalg.solve(AS, e)  # how fast each outside residual moves along the edge
        slope = 1 - float(u[j].abs()) + float(rate[ro == 0].abs().sum())
        t = -ro / rate
        crossing = (t > 0) & (rate != 0)
        rows = torch.nonzero(outside).reshape(-1)[crossing]
        order = torch.argsort(t[crossing])
        steps = 2 * rate[crossing].abs()[order]
        turned = torch.nonzero(slope + torch.cumsum(steps, 0) >= 0)
        if slope >= 0 or len(turned) == 0:
            return beta, False, pivot  # degenerate: no descent along this edge
        S[j] = int(rows[order[int(turned[0])]])
    return None, False, max_pivots


def _huber(design: _Design, beta: torch.Tensor, delta: float) -> tuple[torch.Tensor, bool, int]:
    """Minimize Σ huber_δ(a_iᵀβ − y_i) (scaled units: δ is in them too)."""
    A = design.A

    def value(b):
        a = design.residuals(b).abs()
        return float(torch.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta)).sum())

    current, current_value = beta, value(beta)
    scale = float(A.abs().sum()) * delta  # the size a gradient Aᵀψ(r) can have: its tolerance's unit
    its = 0
    for its in range(1, min(MAX_ITERATIONS, design.budget) + 1):
        r = design.residuals(current)
        grad = A.T @ r.clamp(-delta, delta)  # (p, 1)
        if float(grad.abs().max()) <= 1e-13 * scale:
            return current, True, its
        inside = (r.abs() <= delta).to(torch.float64)
        candidates = []
        step = design.weighted_solve(inside, grad)  # Newton on the active set
        if step is not None and bool(torch.isfinite(step).all()):
            candidates.append(current - step)
        majorizer = torch.minimum(torch.ones_like(r), delta / r.abs().clamp_min(1e-300))
        step = design.weighted_solve(majorizer, grad)
        if step is not None:
            candidates.append(current - step)
        moved = False
        for new in candidates:
            new_value = value(new)
            if new_value < current_value:
                current, current_value, moved = new, new_value, True
                break
        if not moved:  # no step decreases the loss: at the optimum to the last bits
            return current, True, its
    return current, False, its
