"""The loss over a grid of two parameters, the others held where they are: the picture of the descent.

Everything is in training units (the units the run steps in: standardized features give round bowls,
unscaled wide-range ones long thin valleys), float64, on the CPU.

MSE is exact from statistics of the data computed once, so a grid point costs O(1) whatever the data's size.
With centred columns xc = x − μ, yc = y − ȳ (n rows):
    L(w, b) = wᵀCw − 2wᵀs + v + (b + μ·w − ȳ)²,   C = xcᵀxc/n, s = xcᵀyc/n, v = yc·yc/n
(the cross terms vanish because centred columns sum to 0; centring keeps the sums accurate for data far from
0). Moving parameters i and j by α and β from p0 (δ = α·e_i + β·e_j on the weights):
    wᵀCw − 2wᵀs = q0 + 2δᵀ(C·w0 − s) + δᵀCδ,   μ·w = μ·w0 + μ·δ.
MAE and Huber have no such statistics: their residuals r0 = x·w0 + b0 − y move by α·a_i + β·a_j (a: the
column of parameter i, ones for the bias), and the mean loss over the rows is taken for all grid points at
once, a chunk of rows at a time; above MAX_ROWS[loss] rows, over an evenly spaced sample of that many rows
(Grid.rows says how many, Grid.exact whether all).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..model.derived import derived
from ..model.losses import HUBER_DELTA
from ..model.moments import Moments, moments

# MAE/Huber grids use at most this many rows: a 60×30 grid cost 2.3 µs a row for MAE and 8.8 µs for Huber
# here (benchmarks/landscape_speed.py, 2 cores), so these keep a redraw under 50 ms at any size.
MAX_ROWS = {"mae": 16_384, "huber": 4_096}
ROW_CHUNK = 2048  # rows per batched pass (grid points × rows stays within a few MB)


@dataclass(frozen=True)
class Grid:
    """loss[r][c] at parameter i = xs[c], parameter j = ys[r]; every other parameter at `center`."""

    i: int  # parameter index: 0..d-1 a weight, d the bias
    j: int
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    loss: tuple[tuple[float, ...], ...]  # (len(ys), len(xs))
    rows: int  # rows the loss was computed on (all of them for MSE)
    exact: bool  # False when MAE/Huber used a sample of the rows

    def argmin(self) -> tuple[int, int]:
        """(row, column) of the smallest loss."""
        flat = [(v, r, c) for r, row in enumerate(self.loss) for c, v in enumerate(row) if math.isfinite(v)]
        _, r, c = min(flat)
        return r, c


class Landscape:
    """The statistics of one training set, for the grids of any pair of parameters. X: (n, d), y: (n, 1)."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, loss: str, max_rows: int | None = None,
                 stats: Moments | None = None):
        """stats: X's and y's moments (model/moments.py) when already summed (the diagnosis shares them)."""
        n, d = X.shape
        self.n, self.d, self.loss = n, d, loss
        stats = stats if stats is not None else moments(X, y)
        self.mu, self.y_mean, self.C, self.s, self.v = stats.mu, stats.y_mean, stats.C, stats.s, stats.v
        if loss != "mse":  # the rows the batched losses are taken over
            max_rows = max_rows or MAX_ROWS[loss]
            idx = torch.arange(n) if n <= max_rows else torch.linspace(0, n - 1, max_rows).round().long()
            self.X_rows = X.detach().to("cpu", torch.float64)[idx]  # (m, d)
            self.y_rows = y.detach().to("cpu", torch.float64).reshape(-1)[idx]  # (m,)

    @property
    def rows(self) -> int:
        return self.n if self.loss == "mse" else len(self.y_rows)

    def value(self, w: list[float], b: float) -> float:
        """The loss at one point (the MSE exactly; MAE/Huber on the rows in use)."""
        g = self.grid(0, self.d, [*w, b], (w[0], w[0]) if self.d else (0, 0), (b, b), 1, 1)
        return g.loss[0][0]

    def grid(self, i: int, j: int, center: list[float], x_range: tuple[float, float],
             y_range: tuple[float, float], nx: int, ny: int) -> Grid:
        """The loss at nx × ny points: parameter i over x_range, j over y_range, the others at center
        ([w..., b], training units). i != j, each in 0..d (d: the bias)."""
        if i == j or not (0 <= i <= self.d and 0 <= j <= self.d):
            raise ValueError(f"two different parameters in 0..{self.d} are needed, got {i} and {j}")
        p0 = torch.tensor(center, dtype=torch.float64)  # (d + 1,)
        xs = torch.linspace(*x_range, nx, dtype=torch.float64)
        ys = torch.linspace(*y_range, ny, dtype=torch.float64)
        alpha = (xs - p0[i]).reshape(1, nx)  # moves of parameter i: (1, nx)
        beta = (ys - p0[j]).reshape(ny, 1)  # moves of parameter j: (ny, 1)
        loss = self._mse(i, j, p0, alpha, beta) if self.loss == "mse" else self._batched(i, j, p0, alpha, beta)
        return Grid(i, j, tuple(xs.tolist()), tuple(ys.tolist()), tuple(tuple(r) for r in loss.tolist()),
                    self.rows, self.loss == "mse" or self.rows == self.n)

    def _mse(self, i, j, p0, alpha, beta) -> torch.Tensor:
        d, C, mu = self.d, self.C, self.mu
        w0, b0 = p0[:d], p0[d]
        g = C @ w0 - self.s  # (d,)
        q0 = float(w0 @ C @ w0 - 2 * (w0 @ self.s))
        zero = torch.zeros_like(alpha * beta)  # (ny, nx)
        # δᵀ(C w0 − s), δᵀCδ and μ·δ for δ = α e_i + β e_j restricted to the weights
        lin, quad, shift = zero.clone(), zero.clone(), zero.clone()
        bias_move = zero.clone()
        for k, m in ((i, alpha), (j, beta)):
            if k == d:
                bias_move = bias_move + m
            else:
                lin = lin + m * g[k]
                shift = shift + m * mu[k]
        wi = [(k, m) for k, m in ((i, alpha), (j, beta)) if k < d]
        for k1, m1 in wi:
            for k2, m2 in wi:
                quad = quad + m1 * m2 * C[k1, k2]
        offset = b0 + float(mu @ w0) - self.y_mean  # b + μ·w − ȳ at p0
        return q0 + 2 * lin + quad + self.v + (offset + bias_move + shift) ** 2

    def _batched(self, i, j, p0, alpha, beta) -> torch.Tensor:
        d = self.d
        total = torch.zeros_like(alpha * beta)  # (ny, nx)
        m = len(self.y_rows)
        for a in range(0, m, ROW_CHUNK):
            x, y = self.X_rows[a:a + ROW_CHUNK], self.y_rows[a:a + ROW_CHUNK]
            r0 = x @ p0[:d] + p0[d] - y  # (k,)
            col_i = x[:, i] if i < d else torch.ones_like(y)
            col_j = x[:, j] if j < d else torch.ones_like(y)
            r = (alpha.unsqueeze(-1) * col_i + r0) + beta.unsqueeze(-1) * col_j  # (1, nx, k) + (ny, 1, k)
            if self.loss == "mae":
                total += r.abs_().sum(-1)
            else:  # Huber as ½c² + δ(|r| − |c|), c = clip(r, ±δ): fewer passes than a where()
                c = r.clamp(-HUBER_DELTA, HUBER_DELTA)
                total += c.square().sum(-1).mul_(0.5)
                total += (r.abs_().sum(-1) - c.abs_().sum(-1)).mul_(HUBER_DELTA)
        return total / m


def window(points: list[tuple[float, float]], zoom: float = 1.0, margin: float = 0.15,
           least: float = 1e-6, focus: tuple[float, float] | None = None) -> tuple[tuple[float, float], tuple[float, float]]:
    """A window holding every point (the path, the current point, the optimum) with a margin on each side;
    zoomed in (zoom > 1: 1/zoom as wide) about `focus` (the current point) when given, else about its centre;
    zoomed out about its centre. Never narrower than `least` in either direction."""
    xs = [p[0] for p in points if math.isfinite(p[0])]
    ys = [p[1] for p in points if math.isfinite(p[1])]
    if not xs or not ys:
        return (-1.0, 1.0), (-1.0, 1.0)

    def span(values, at):
        lo, hi = min(values), max(values)
        width = max(hi - lo, least, 1e-9 * max(abs(lo), abs(hi)))
        centre = at if at is not None and zoom > 1 and math.isfinite(at) else (lo + hi) / 2
        half = width * (0.5 + margin) / zoom
        return centre - half, centre + half
    return span(xs, focus[0] if focus else None), span(ys, focus[1] if focus else None)


def thin_to_cells(points: list[tuple[float, float]], x_range, y_range, nx: int, ny: int) -> list[tuple[float, float]]:
    """The points left after dropping each one that falls in the same grid cell as the point before it."""
    (x0, x1), (y0, y1) = x_range, y_range
    sx, sy = (nx - 1) / ((x1 - x0) or 1.0), (ny - 1) / ((y1 - y0) or 1.0)
    out, last = [], None
    for x, y in points:
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        cell = (round((x - x0) * sx), round((y - y0) * sy))
        if cell != last:
            out.append((x, y))
            last = cell
    return out


def view(trainer, i: int, j: int, held: str = "current", zoom: float = 1.0, nx: int = 60, ny: int = 30,
         others: list | None = None):
    """What the surface panel draws for a trainer: the grid of parameters i and j (d: the bias) around its
    path, its current point, the optimum of its loss (least squares for MSE, LAD for MAE, Huber's own) and
    the true parameters, the others held at their current values or at that optimum. Plain values
    (landscape_view.LandscapeView). The window holds the optimum and every run that has not diverged: a diverged
    run's leap would shrink the rest to a dot, so it is left out (the widget marks it at the window's edge),
    and the other parameters are held at the optimum (at its last values the whole grid would be one band)."""
    from .landscape_view import LandscapeView
    from ..model.results import DIVERGED

    d = trainer.split.X_train.shape[1]
    i, j = i % (d + 1), j % (d + 1)
    if i == j:
        j = (i + 1) % (d + 1)
    loss, stats = trainer.config.train.loss, derived(trainer.split)
    if loss not in stats.surfaces:
        stats.surfaces[loss] = Landscape(trainer.split.X_train, trainer.split.y_train, loss, stats=stats.moments)
    land = stats.surfaces[loss]
    std = trainer.split.standardizer
    best = trainer.loss_optimum()  # data units
    ow, ob = (std.to_training_units(list(best.weights), best.bias) if trainer.split.standardized
              else (list(best.weights), best.bias))
    optimum = [*ow, ob]
    w, b = trainer.training_parameters()
    now = [*w, b]
    true = None
    ds = trainer.experiment.dataset
    if ds.true_weights is not None:
        tw, tb = (std.to_training_units(list(ds.true_weights), ds.true_bias) if trainer.split.standardized
                  else (list(ds.true_weights), ds.true_bias))
        true = (([*tw, tb])[i], ([*tw, tb])[j])
    path = [(p[i], p[j]) for p in trainer.path.points()]
    anchors = [(optimum[i], optimum[j])]
    if trainer.status != DIVERGED:
        anchors += [(now[i], now[j]), *path]
    elif path:
        anchors.append(path[0])  # where it started: the run's way in stays on screen
    lanes = []  # a race: (lane number, path, now) of every lane on the same training data and loss
    for number, lane in others or []:
        if lane.split is trainer.split and lane.config.train.loss == trainer.config.train.loss:
            lw, lb = lane.training_parameters()
            lane_now = ([*lw, lb][i], [*lw, lb][j])
            lane_path = [(p[i], p[j]) for p in lane.path.points()]
            if lane.status != DIVERGED:
                anchors += [q for q in (*lane_path, lane_now) if all(map(math.isfinite, q))]
            lanes.append((number, lane_path, lane_now))
    x_range, y_range = window(anchors, zoom, focus=(now[i], now[j]) if trainer.status != DIVERGED else None)
    if trainer.status == DIVERGED:  # the others at a diverged run's last values put the whole grid at ~1e8
        held = "optimum"
    center = now if held == "current" else optimum
    grid = land.grid(i, j, center, x_range, y_range, nx, ny)
    names = [f"w[{n}]" for n in ds.feature_names] + ["b"]
    return LandscapeView((names[i], names[j]), grid.xs, grid.ys, grid.loss,
                         tuple(thin_to_cells(path, x_range, y_range, nx, ny)), (now[i], now[j]),
                         (optimum[i], optimum[j]), true, held, trainer.config.train.loss, grid.rows, grid.exact,
                         "standardized" if trainer.split.standardized else "data",
                         tuple((n, tuple(thin_to_cells(p, x_range, y_range, nx, ny)), c) for n, p, c in lanes))
