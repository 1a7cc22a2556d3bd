"""Where a run's parameters have been: every step's, thinned, for the loss surface to draw (landscape.py)."""
from __future__ import annotations

import torch


class PathBuffer:
    """A run's parameters after every step, thinned by doubling the stride when full (memory stays flat),
    kept as the step's own tensors (no copy, no sync while training) until someone draws them: a point is
    column `k` of the (W: (d, K), B: (1, K)) the step published (step.Walk)."""

    def __init__(self, max_points: int = 2048):
        self.max_points = max_points
        self.clear()

    def clear(self) -> None:
        self._points: list = []  # ((W, B), column)
        self._count, self.stride = 0, 1

    def add(self, params: tuple[torch.Tensor, torch.Tensor], column: int) -> None:
        if self._count % self.stride == 0:
            self._points.append((params, column))
            if len(self._points) > self.max_points:
                self._points = self._points[::2]
                self.stride *= 2
        self._count += 1

    def add_walk(self, walk) -> None:
        """Every step of a chunk (step.Walk), in order."""
        for P in walk.params:
            self.add(P, walk.column)

    def points(self) -> list[list[float]]:
        """Every kept point as [w..., b] floats, oldest first."""
        if not self._points:
            return []
        with torch.inference_mode():
            rows = torch.stack([torch.cat([W[:, k], B[:, k]]) for (W, B), k in self._points])
            return rows.to("cpu", torch.float64).tolist()
