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


class Rule:
    """State (lists of tensors, one per parameter) kept in the attributes named by STATE; select() keeps some
    columns of it, for a race whose parameters are (n, K), one column per lane, when lanes leave the group."""

    STATE: tuple[str, ...] = ()

    def select(self, columns: list[int]) -> None:
        for name in self.STATE:
            state = getattr(self, name)
            if state is not None:
                setattr(self, name, [t[:, columns] for t in state])


class SGD(Rule):
    """p ← p − lr·g. The tutorial's rule: no division by the batch size."""

    def update(self, params: Params, grads: Params, lr: torch.Tensor) -> Params:
        return [p - g * lr for p, g in zip(params, grads)]  # g kept as it was: the microscope shows it


class Momentum(Rule):
    """Heavy ball as torch.optim.SGD(momentum=0.9[, nesterov=True]): v ← μv + g; p ← p − lr·(v or g + μv)."""

    STATE = ("v",)

    def __init__(self, nesterov: bool = False, mu: float = 0.9):
        self.nesterov, self.mu, self.v = nesterov, mu, None

    def update(self, params, grads, lr):
        self.v = [g.clone() for g in grads] if self.v is None else [v * self.mu + g for v, g in zip(self.v, grads)]
        steps = [g + v * self.mu for g, v in zip(grads, self.v)] if self.nesterov else self.v
        return [p - s * lr for p, s in zip(params, steps)]


class AdaGrad(Rule):
    """s ← s + g²; p ← p − lr·g / (√s + ε)."""

    STATE = ("s",)

    def __init__(self, eps: float = 1e-10):
        self.eps, self.s = eps, None

    def update(self, params, grads, lr):
        sq = [g * g for g in grads]
        self.s = sq if self.s is None else [s + q for s, q in zip(self.s, sq)]
        return [p - lr * g / (s.sqrt() + self.eps) for p, g, s in zip(params, grads, self.s)]


class RMSProp(Rule):
    """s ← αs + (1−α)g²; p ← p − lr·g / (√s + ε)."""

    STATE = ("s",)

    def __init__(self, alpha: float = 0.99, eps: float = 1e-8):
        self.alpha, self.eps, self.s = alpha, eps, None

    def update(self, params, grads, lr):
        if self.s is None:
            self.s = [torch.zeros_like(g) for g in grads]
        self.s = [s * self.alpha + (1 - self.alpha) * g * g for s, g in zip(self.s, grads)]
        return [p - lr * g / (s.sqrt() + self.eps) for p, g, s in zip(params, grads, self.s)]


class Adam(Rule):
    """m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr·m̂ / (√v̂ + ε) with bias-corrected m̂, v̂."""

    STATE = ("m", "v")

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



# Each rule above as coefficients of one general update, per lane (the defaults of the classes above):
#   m ← m·m_keep + m_new·g;  n = g·n_g + m·n_m;  s ← s·s_keep + s_new·g·g;
#   p ← p − lr·(n / c1) / (√(s / c2) + eps), c1 = 1 − β₁ᵗ and c2 = 1 − β₂ᵗ for Adam, 1 otherwise.
# A coefficient of 1 or 0 leaves a value exactly as it was (x·1 = x, x + 0 = x, x/1 = x, √1 + 0 = 1), so each
# lane gets bit for bit the operations of its own rule: SGD's p − g·lr, Momentum's v·μ + g, Adam's m̂/(√v̂ + ε).
COEFFICIENTS = {  # m_keep, m_new, n_g, n_m, s_keep, s_new, s_start, eps
    "sgd": (0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0),
    "momentum": (0.9, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0),
    "nesterov": (0.9, 1.0, 1.0, 0.9, 1.0, 0.0, 1.0, 0.0),
    "adagrad": (0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1e-10),
    "rmsprop": (0.0, 1.0, 1.0, 0.0, 0.99, 1 - 0.99, 0.0, 1e-8),
    "adam": (0.9, 1 - 0.9, 0.0, 1.0, 0.999, 1 - 0.999, 0.0, 1e-8),
}
ADAM_BETAS = (0.9, 0.999)


class Mixed(Rule):
    """Several rules over one (n, K) parameter tensor, a rule per column: a race's lanes with different
    optimizers step in one set of operations instead of one set per optimizer. Parts no lane needs are
    skipped (no momentum: n = g; no adaptive lane: no s; no Adam: no bias correction)."""

    STATE = ("m", "s")

    def __init__(self, names: list[str], like: torch.Tensor):
        columns = list(zip(*(COEFFICIENTS[n] for n in names)))  # 8 tuples of K values

        def row(values):
            return torch.tensor([values], dtype=like.dtype, device=like.device)  # (1, K)

        self.names = list(names)
        self.rows = [row(values) for values in columns]
        self._adam = row([n == "adam" for n in names]).bool()
        self.any_adam = "adam" in names
        self.with_momentum = any(n in ("momentum", "nesterov", "adam") for n in names)
        self.adaptive = any(n in ("adagrad", "rmsprop", "adam") for n in names)
        self.t, self.m, self.s = 0, None, None

    def select(self, columns: list[int]) -> None:
        super().select(columns)
        self.rows = [r[:, columns] for r in self.rows]
        self._adam = self._adam[:, columns]
        self.names = [self.names[k] for k in columns]
        self.any_adam = "adam" in self.names

    def update(self, params, grads, lr):
        m_keep, m_new, n_g, n_m, s_keep, s_new, s_start, eps = self.rows
        self.t += 1
        if self.m is None:
            self.m = [torch.zeros_like(g) for g in grads]
            self.s = [torch.zeros_like(g) + s_start for g in grads]
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            n = g
            if self.with_momentum:
                self.m[i] = self.m[i] * m_keep + m_new * g
                n = g * n_g + self.m[i] * n_m
            if not self.adaptive:
                out.append(p - lr * n)
                continue
            self.s[i] = self.s[i] * s_keep + s_new * g * g
            s = self.s[i]
            if self.any_adam:
                one = torch.ones_like(lr)
                b1, b2 = ADAM_BETAS
                n = n / torch.where(self._adam, one * (1 - b1**self.t), one)
                s = s / torch.where(self._adam, one * (1 - b2**self.t), one)
            out.append(p - lr * n / (s.sqrt() + eps))
        return out


def make_for_lanes(names: list[str], like: torch.Tensor) -> Rule:
    """The update rule for a race's group: the plain rule when its lanes share one, else Mixed."""
    return make(names[0]) if len(set(names)) == 1 else Mixed(names, like)
