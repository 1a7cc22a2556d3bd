"""Update rules over plain tensors. Each returns new parameter tensors instead of changing them in place,
so the trainer still holds the previous (last finite) parameters when a step diverges.

The tutorial's SGD keeps its exact arithmetic, `p - g * lr`: torch.optim's `p.add_(g, alpha=-lr)`
rounds differently and MAE amplifies that into visibly different weights. The others follow
torch.optim's defaults (momentum 0.9; RMSprop alpha 0.99, eps 1e-8; Adagrad eps 1e-10; Adam betas
(0.9, 0.999), eps 1e-8), and tests check them against torch.optim.
"""
from __future__ import annotations

import torch

Params = list[torch.Tensor]


class SGD:
    """p ← p − lr·g. The tutorial's rule: no division by the batch size."""

    def update(self, params: Params, grads: Params, lr: torch.Tensor) -> Params:
        return [p - g.mul_(lr) for p, g in zip(params, grads)]


class Momentum:
    """Heavy ball as torch.optim.SGD(momentum=0.9[, nesterov=True]): v ← μv + g; p ← p − lr·(v or g + μv)."""

    def __init__(self, nesterov: bool = False, mu: float = 0.9):
        self.nesterov, self.mu, self.v = nesterov, mu, None

    def update(self, params, grads, lr):
        self.v = [g.clone() for g in grads] if self.v is None else [v * self.mu + g for v, g in zip(self.v, grads)]
        steps = [g + v * self.mu for g, v in zip(grads, self.v)] if self.nesterov else self.v
        return [p - s * lr for p, s in zip(params, steps)]


class AdaGrad:
    """s ← s + g²; p ← p − lr·g / (√s + ε)."""

    def __init__(self, eps: float = 1e-10):
        self.eps, self.s = eps, None

    def update(self, params, grads, lr):
        sq = [g * g for g in grads]
        self.s = sq if self.s is None else [s + q for s, q in zip(self.s, sq)]
        return [p - lr * g / (s.sqrt() + self.eps) for p, g, s in zip(params, grads, self.s)]


class RMSProp:
    """s ← αs + (1−α)g²; p ← p − lr·g / (√s + ε)."""

    def __init__(self, alpha: float = 0.99, eps: float = 1e-8):
        self.alpha, self.eps, self.s = alpha, eps, None

    def update(self, params, grads, lr):
        if self.s is None:
            self.s = [torch.zeros_like(g) for g in grads]
        self.s = [s * self.alpha + (1 - self.alpha) * g * g for s, g in zip(self.s, grads)]
        return [p - lr * g / (s.sqrt() + self.eps) for p, g, s in zip(params, grads, self.s)]


class Adam:
    """m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr·m̂ / (√v̂ + ε) with bias-corrected m̂, v̂."""

    def __init__(self, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.b1, self.b2, self.eps, self.t, self.m, self.v = b1, b2, eps, 0, None, None

    def update(self, params, grads, lr):
        if self.m is None:
            self.m = [torch.zeros_like(g) for g in grads]
            self.v = [torch.zeros_like(g) for g in grads]
        self.t += 1
        self.m = [m * self.b1 + (1 - self.b1) * g for m, g in zip(self.m, grads)]
        self.v = [v * self.b2 + (1 - self.b2) * g * g for v, g in zip(self.v, grads)]
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        return [p - lr * (m / c1) / ((v / c2).sqrt() + self.eps) for p, m, v in zip(params, self.m, self.v)]


def make(name: str):
    """A fresh update rule (with empty state) by name."""
    return {
        "sgd": SGD, "momentum": Momentum, "nesterov": lambda: Momentum(nesterov=True),
        "adagrad": AdaGrad, "rmsprop": RMSProp, "adam": Adam,
    }[name]()
