"""Losses as small pure functions, looked up by name.

Each loss has two forms over a batch of m samples:
- value(pred, y): the formula as written, for autograd mode and tests. pred, y: (m, 1).
- value_and_grad(d, m, lanes=False): the fast analytic form. d = pred - y, (m, 1), is consumed (changed in
  place). Returns (loss: 0-dim tensor, g: (m, 1) = ∂loss/∂pred). With lanes, d is (K, m), one row per lane
  of a race, and the loss is (K,): the same operations, summed per row. For MAE every operation and its order is the
  one autograd performs on the tutorial's `sum(|ŷ − y|) / len(y)`, so the two agree bit for bit.
- grad(d, m) and values(D, m): the same split in two, for the step (step.py): the gradient each step, the
  values of a chunk's steps at once at its end (D: the steps' d stacked, each lane's residuals a contiguous
  row, summed as value_and_grad sums them).
"""
from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import torch

HUBER_DELTA = 1.0


class Loss(NamedTuple):
    name: str
    value: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    value_and_grad: Callable[..., tuple[torch.Tensor, torch.Tensor]]
    grad: Callable[[torch.Tensor, int], torch.Tensor]  # (d, m) -> ∂loss/∂ŷ, d left as it was
    values: Callable[[torch.Tensor, int], torch.Tensor]  # (D: (..., m), m) -> the loss of each row, D consumed


def _one_over(m: int, like: torch.Tensor) -> torch.Tensor:
    return _one_over_cached(m, like.dtype, like.device)


@functools.lru_cache(maxsize=256)
def _one_over_cached(m: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    # 1/m as autograd's DivBackward computes it: a tensor 1 divided by the python int m
    with torch.inference_mode(False):
        return torch.ones((), dtype=dtype, device=device) / m


def mae_value(pred, y):
    return torch.sum(abs(pred - y.reshape(pred.shape))) / len(y)


def _sum(t: torch.Tensor, lanes: bool) -> torch.Tensor:
    """All of t, or each row of t (K, m): a lane's contiguous row is added up exactly as a single run's
    (m, 1) column is (a sum down strided columns rounds differently, and an adaptive optimizer can turn that
    last bit into a whole step when a gradient is near 0)."""
    return t.sum(1) if lanes else t.sum()


def mae_grad(d, m):
    return d.sgn().mul_(_one_over(m, d))  # sign(ŷ − y) / m


def mae_values(D, m):
    return D.abs_().sum(-1).div_(m)


def mae_value_and_grad(d, m, lanes=False):
    g = mae_grad(d, m)
    return _sum(d.abs_(), lanes).div_(m), g


def mse_value(pred, y):
    return torch.sum((pred - y.reshape(pred.shape)) ** 2) / len(y)


def mse_grad(d, m):
    return d.mul(2).mul_(_one_over(m, d))  # 2 (ŷ − y) / m


def mse_values(D, m):
    return D.square_().sum(-1).div_(m)


def mse_value_and_grad(d, m, lanes=False):
    g = mse_grad(d, m)
    return _sum(d.square_(), lanes).div_(m), g


def huber_value(pred, y):
    return torch.nn.functional.huber_loss(pred, y.reshape(pred.shape), reduction="sum", delta=HUBER_DELTA) / len(y)


def huber_grad(d, m):
    return d.clamp(-HUBER_DELTA, HUBER_DELTA).mul_(_one_over(m, d))  # clip(ŷ − y, ±δ) / m


def _huber_each(a):
    return torch.where(a < HUBER_DELTA, 0.5 * a * a, HUBER_DELTA * (a - 0.5 * HUBER_DELTA))


def huber_values(D, m):
    return _huber_each(D.abs_()).sum(-1).div_(m)


def huber_value_and_grad(d, m, lanes=False):
    g = huber_grad(d, m)
    return _sum(_huber_each(d.abs_()), lanes).div_(m), g


LOSSES: dict[str, Loss] = {
    "mae": Loss("mae", mae_value, mae_value_and_grad, mae_grad, mae_values),
    "mse": Loss("mse", mse_value, mse_value_and_grad, mse_grad, mse_values),
    "huber": Loss("huber", huber_value, huber_value_and_grad, huber_grad, huber_values),
}


def get(name: str) -> Loss:
    return LOSSES[name]
