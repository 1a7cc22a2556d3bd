"""Per-epoch shuffled mini-batch order.

"python" reproduces the tutorial: `random.Random(seed)` shuffles a fresh `list(range(n))` each epoch.
That costs about 0.4 s an epoch at a million samples, so "torch" uses `torch.randperm` on a seeded
generator on the data's device instead (a different but equally reproducible order, and on a GPU no copy
of the order through the host: its order differs from the CPU's); "auto" picks python up to 100k samples.
"replace" samples with replacement: each step's batch_size rows are drawn uniformly and independently
(torch.randint on the same seeded generator), an epoch still being batch_count(n, batch_size) steps, every
batch full (the case whose expected loss curve analysis/theory.py predicts exactly).
"""
from __future__ import annotations

import random

import torch

AUTO_PYTHON_MAX = 100_000


class Shuffler:
    def __init__(self, n: int, seed: int, mode: str = "auto", device: torch.device | str = "cpu"):
        if mode == "auto":
            mode = "python" if n <= AUTO_PYTHON_MAX else "torch"
        self.n, self.seed, self.mode, self.device = n, seed, mode, torch.device(device)
        self.draws = n  # "replace": indices an epoch draws (Batches sets batch_count × batch_size)
        self.reset()

    def reset(self) -> None:
        self._py = random.Random(self.seed)
        self._torch = torch.Generator(device=self.device).manual_seed(self.seed)

    def epoch_order(self) -> torch.Tensor:
        """A permutation of range(n) for the next epoch: (n,) int64 (python: made on the host, moved by the
        caller; torch: on the device); "replace": (draws,) indices drawn with replacement, on the device."""
        if self.mode == "replace":
            return torch.randint(self.n, (self.draws,), generator=self._torch, device=self.device)
        if self.mode == "python":
            return torch.tensor(python_shuffle(self._py, self.n))
        return torch.randperm(self.n, generator=self._torch, device=self.device)


def batch_count(n: int, batch_size: int) -> int:
    """Batches per epoch; the last short batch is kept."""
    return -(-n // batch_size)


def python_shuffle(rng: random.Random, n: int) -> list[int]:
    """`indices = list(range(n)); rng.shuffle(indices)` with CPython's own algorithm inlined
    (Fisher-Yates from the end, j = _randbelow(i + 1) by rejection on getrandbits): the same permutation
    from the same random state, in about 60% of the time. Tests compare it with random.shuffle."""
    x = list(range(n))
    getrandbits = rng.getrandbits
    for i in range(n - 1, 0, -1):
        bound = i + 1
        k = bound.bit_length()
        j = getrandbits(k)
        while j >= bound:
            j = getrandbits(k)
        x[i], x[j] = x[j], x[i]
    return x


GATHER_PER_BATCH_ABOVE = 4_000_000  # elements of X; above this, batches are gathered one at a time


class Batches:
    """One epoch's shuffled mini-batches of (X, y) at a time; shared by a run and by a race's lane group.

    Small data: the epoch's shuffled samples are gathered once and each batch is a view (fewest operations
    per step). Large data: only the order is kept and each batch is gathered when it is used, so its rows
    stay in cache for both products instead of a shuffled copy of X going through memory twice (measured
    at 1M × 64: 4.0× the memory floor epoch-wise, see benchmarks/)."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, batch_size: int, shuffler: Shuffler,
                 autograd: bool = False):
        self.X, self.y, self.batch_size, self.shuffler = X, y, batch_size, shuffler  # X: (n, d), y: (n, 1)
        self.autograd = autograd  # gather outside inference mode (autograd cannot use inference tensors)
        self._xs = self._order = None
        if shuffler.mode == "replace":  # every batch full: batch_count batches of batch_size draws each
            shuffler.draws = batch_count(X.shape[0], batch_size) * batch_size

    def reset(self) -> None:
        self.shuffler.reset()

    def begin_epoch(self) -> None:
        order = self.shuffler.epoch_order().to(self.X.device)  # (n,); "replace": (batches × batch_size,)
        if self.X.numel() > GATHER_PER_BATCH_ABOVE:
            self._order = order.split(self.batch_size)  # (m,) index tensors
            self._xs = None
            return
        with torch.inference_mode(not self.autograd):
            Xs = self.X.index_select(0, order)  # (n, d) (replace: (draws, d))
            self._xs = Xs.split(self.batch_size)  # views (m, d)
            self._xts = Xs.t().split(self.batch_size, dim=1)  # the same views transposed, (d, m)
            self._ys = self.y.index_select(0, order).split(self.batch_size)  # (m, 1)

    def get(self, i: int):
        """(xᵀ: (d, m), x: (m, d), y: (m, 1)) of batch i of this epoch."""
        if self._xs is not None:
            return self._xts[i], self._xs[i], self._ys[i]
        x = self.X.index_select(0, self._order[i])
        return x.t(), x, self.y.index_select(0, self._order[i])
