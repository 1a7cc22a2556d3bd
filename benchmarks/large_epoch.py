"""One epoch on N = 1,000,000 × 64 features, batch 1024, MSE (torch shuffle), against the memory floor:
one pass of Xᵀ(Xw − y) over the same data, on the same device.
    .venv/bin/python benchmarks/large_epoch.py [--samples 1000000 --features 64 --repeats 5 --device cpu]"""
from __future__ import annotations

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from _timing import add_device_option, timed  # noqa: E402

from linreg_core.settings.config import Config  # noqa: E402
from linreg_core.training.trainer import trainer_for  # noqa: E402

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    add_device_option(ap)
    args = ap.parse_args()
    D, R = args.features, args.repeats
    config = Config().replace(samples=args.samples, weights=tuple([0.5] * D), batch_size=1024, loss="mse",
                              lr=0.01, epochs=100, shuffle="torch", device=args.device)
    t0 = time.perf_counter()
    trainer = trainer_for(config)
    print(f"data and trainer built in {time.perf_counter() - t0:.2f} s")
    X, y = trainer.split.X_train, trainer.split.y_train
    w = torch.zeros(D, 1, dtype=X.dtype, device=X.device)
    device = trainer.device
    f = min(timed(lambda: X.t().mm(X.mm(w) - y), device) for _ in range(R))
    for _ in range(3):  # untimed: the first epochs' watch computes the data's facts once (1-3 s at this size)
        trainer.advance(trainer.batches_per_epoch)
    e = min(timed(lambda: trainer.advance(trainer.batches_per_epoch), device) for _ in range(R))
    print(f"device: {device}")
    print(f"one pass of Xᵀ(Xw − y): {f * 1000:.1f} ms (best of {R})")
    print(f"one epoch ({trainer.batches_per_epoch} steps): {e * 1000:.1f} ms (best of {R}), {e / f:.2f}× the floor")


if __name__ == "__main__":
    main()
