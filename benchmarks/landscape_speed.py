"""Cost of one landscape redraw (a 60×30 grid of the loss over two parameters), issue 12's targets:
≤ 20 ms on the tutorial's data, ≤ 50 ms at 1M × 64.

    .venv/bin/python benchmarks/landscape_speed.py [--samples 1000000] [--features 64] [--repeats 5]

MSE is exact from the data's statistics (its cost does not depend on the rows); MAE and Huber take a batched
pass over at most landscape.MAX_ROWS rows. Also times the statistics themselves (once per experiment).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from _timing import add_device_option, timed  # noqa: E402

import torch  # noqa: E402

from linreg_core.settings.config import Config  # noqa: E402
from linreg_core.analysis.landscape import MAX_ROWS, Landscape  # noqa: E402
from linreg_core.training.trainer import trainer_for  # noqa: E402


def measure(name: str, X, y, repeats: int) -> None:
    d = X.shape[1]
    center = [0.1] * (d + 1)
    for loss in ("mse", "mae", "huber"):
        box = []
        setup = timed(lambda: box.append(Landscape(X, y, loss)), X.device)
        land = box[0]
        t = min(timed(lambda: land.grid(0, d, center, (-1, 1), (-1, 1), 60, 30), X.device) for _ in range(repeats))
        print(f"{name:28s} {loss:6s} rows {land.rows:>9,}  grid 60×30 {t * 1e3:8.2f} ms   statistics {setup * 1e3:8.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    add_device_option(ap)
    args = ap.parse_args()
    t = trainer_for(Config().replace(device=args.device))
    measure(f"tutorial ({t.n_train} × 4)", t.split.X_train, t.split.y_train, args.repeats)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(args.samples, args.features, generator=g)
    y = X @ torch.ones(args.features, 1) + 0.5
    X, y = X.to(t.device), y.to(t.device)
    measure(f"{args.samples:,} × {args.features}", X, y, args.repeats)
    print(f"(rows sampled at most: {MAX_ROWS})")


if __name__ == "__main__":
    main()
