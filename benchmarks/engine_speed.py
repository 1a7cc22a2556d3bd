"""Engine steps per second on the tutorial's experiment against the tutorial's own loop, same process.

    .venv/bin/python benchmarks/engine_speed.py [--repeats 7] [--epochs 50]

Runs each contender alternately and keeps each one's best time (the machine's noise only ever adds time).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from linreg_core.config import Config  # noqa: E402
from linreg_core.trainer import Trainer  # noqa: E402
from tests.tutorial_oracle import run_tutorial  # noqa: E402

STEPS_PER_EPOCH = 32  # the tutorial: 500 samples in batches of 16


def time_trainer(chunk: int, epochs: int, **options) -> float:
    trainer = Trainer(Config().replace(epochs=epochs, **options))
    start = time.perf_counter()
    for _ in trainer.run(chunk=chunk):
        pass
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=50)
    args = ap.parse_args()
    e = args.epochs
    steps = STEPS_PER_EPOCH * e
    contenders = {
        "tutorial loop (autograd)": lambda: run_tutorial(0, epochs=e),
        "Trainer.run(chunk=1)": lambda: time_trainer(1, e),
        "Trainer.run(chunk=32)": lambda: time_trainer(32, e),
        "Trainer grads=autograd": lambda: time_trainer(32, e, grads="autograd"),
        "Trainer optimizer=adam": lambda: time_trainer(32, e, optimizer="adam"),
    }
    best = {name: float("inf") for name in contenders}
    for _ in range(args.repeats):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    base = best["tutorial loop (autograd)"]
    print(f"{'contender':28s} {'µs/step':>9s} {'steps/s':>9s} {'× tutorial':>10s}")
    for name, t in best.items():
        print(f"{name:28s} {t / steps * 1e6:9.1f} {steps / t:9.0f} {base / t:10.2f}")


if __name__ == "__main__":
    main()
