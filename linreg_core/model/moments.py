"""The float64 moments of a training set, summed once and shared: the diagnosis reads its Gram matrix
G = [X 1]ᵀ[X 1]/n, the loss surface its centred blocks (landscape.py).

With the column means μ and centred columns xc = x − μ, yc = y − ȳ over n rows:
    C = xcᵀxc/n (d, d)   s = xcᵀyc/n (d,)   v = ycᵀyc/n   and   G = [[C + μμᵀ, μ], [μᵀ, 1]]
Centring keeps the sums accurate for data far from 0 (a column near 1e5 loses its digits in xᵀx). Summed in
float64 chunks of rows on the CPU, so no float64 copy of a large X is ever made.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

CHUNK = 65_536  # rows per float64 pass (memory stays small at 1M rows)


@dataclass(frozen=True)
class Moments:
    n: int
    mu: torch.Tensor  # (d,) column means
    C: torch.Tensor  # (d, d) centred XᵀX/n
    s: torch.Tensor  # (d,) centred Xᵀy/n
    v: float  # the target's variance (population)
    y_mean: float

    @property
    def gram(self) -> torch.Tensor:
        """G = [X 1]ᵀ[X 1]/n: (d + 1, d + 1), half the Hessian of the MSE loss over [w; b]."""
        d = self.mu.shape[0]
        G = torch.empty(d + 1, d + 1, dtype=torch.float64)
        G[:d, :d] = self.C + torch.outer(self.mu, self.mu)
        G[:d, d] = G[d, :d] = self.mu
        G[d, d] = 1.0
        return G


def chunks(n: int) -> list[tuple[int, int]]:
    return [(a, min(a + CHUNK, n)) for a in range(0, n, CHUNK)]


def rows64(t: torch.Tensor, a: int, b: int) -> torch.Tensor:
    """Rows a..b of t as float64 on the CPU (a copy: never changed in place by the caller)."""
    return t[a:b].detach().to("cpu", torch.float64)


def moments(X: torch.Tensor, y: torch.Tensor) -> Moments:
    """X: (n, d), y: (n, 1), any dtype or device."""
    n, d = X.shape
    parts = chunks(n)
    mu = sum(rows64(X, a, b).sum(0) for a, b in parts) / n  # (d,)
    y_mean = float(sum(rows64(y, a, b).sum() for a, b in parts)) / n
    C = torch.zeros(d, d, dtype=torch.float64)
    s = torch.zeros(d, dtype=torch.float64)
    v = 0.0
    for a, b in parts:
        xc = rows64(X, a, b) - mu
        yc = rows64(y, a, b).reshape(-1) - y_mean
        C += xc.T @ xc
        s += xc.T @ yc
        v += float(yc @ yc)
    return Moments(n, mu, C / n, s / n, v / n, y_mean)
