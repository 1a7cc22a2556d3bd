"""The closed-form optimum every run is compared with, and the metrics of a fit, in float64."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Metrics:
    loss: float  # the run's own loss
    mse: float
    rmse: float
    mae: float
    r2: float  # 1 - SS_res / SS_tot; nan when y is constant

    def as_dict(self) -> dict[str, float]:
        return {"loss": self.loss, "mse": self.mse, "rmse": self.rmse, "mae": self.mae, "r2": self.r2}


def least_squares(X: torch.Tensor, y: torch.Tensor) -> tuple[tuple[float, ...], float]:
    """argmin ‖X·w + b − y‖² with an intercept. X: (n, d), y: (n, 1) or (n,). Returns (w, b)."""
    X64 = X.detach().to("cpu", torch.float64)
    A = torch.cat([X64, torch.ones(X64.shape[0], 1, dtype=torch.float64)], dim=1)  # (n, d+1)
    sol = torch.linalg.lstsq(A, y.detach().to("cpu", torch.float64).reshape(-1, 1), driver="gelsd").solution
    flat = sol.reshape(-1).tolist()
    return tuple(flat[:-1]), flat[-1]


def metrics(X: torch.Tensor, y: torch.Tensor, weights, bias: float, loss_name: str) -> Metrics:
    """Fit quality of y ≈ X·w + b on these samples, computed in float64."""
    from .losses import get

    X64 = X.detach().to("cpu", torch.float64)
    y64 = y.detach().to("cpu", torch.float64).reshape(-1, 1)
    w = torch.tensor(list(weights), dtype=torch.float64).reshape(-1, 1)
    pred = X64 @ w + bias  # (n, 1)
    d = pred - y64
    mse = float((d * d).mean())
    ss_tot = float(((y64 - y64.mean()) ** 2).sum())
    r2 = 1.0 - float((d * d).sum()) / ss_tot if ss_tot > 0 else math.nan
    return Metrics(float(get(loss_name).value(pred, y64)), mse, math.sqrt(mse), float(d.abs().mean()), r2)
