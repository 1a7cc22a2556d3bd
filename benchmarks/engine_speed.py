"""Engine steps per second on the tutorial's experiment against the tutorial's own loop, same process.

    .venv/bin/python benchmarks/engine_speed.py [--repeats 7] [--epochs 50]

Runs each contender alternately and keeps each one's best time (the machine's noise only ever adds time).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from _timing import add_device_option, best_of  # noqa: E402

from linreg_core.settings.config import Config  # noqa: E402
from linreg_core.training.trainer import trainer_for  # noqa: E402
from tests.tutorial_oracle import run_tutorial  # noqa: E402

STEPS_PER_EPOCH = 32  # the tutorial: 500 samples in batches of 16


def trainer_run(chunk: int, epochs: int, **options) -> tuple:
    """(setup, fn): the trainer is made before the clock starts; only its training is timed."""
    def run(trainer):
        for _ in trainer.run(chunk=chunk):
            pass

    return lambda: trainer_for(Config().replace(epochs=epochs, **options)), run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=50)
    add_device_option(ap)
    args = ap.parse_args()
    e, device = args.epochs, args.device
    steps = STEPS_PER_EPOCH * e
    tutorial_device = trainer_for(Config().replace(device=device)).device  # the device auto picks for the tutorial
    contenders = {
        "tutorial loop (autograd)": lambda: run_tutorial(0, epochs=e, device=tutorial_device),
        "Trainer.run(chunk=1)": trainer_run(1, e, device=device),
        "Trainer.run(chunk=32)": trainer_run(32, e, device=device),
        "Trainer grads=autograd": trainer_run(32, e, grads="autograd", device=device),
        "Trainer optimizer=adam": trainer_run(32, e, optimizer="adam", device=device),
    }
    best = best_of(args.repeats, contenders, tutorial_device)
    base = best["tutorial loop (autograd)"]
    print(f"{'contender':28s} {'µs/step':>9s} {'steps/s':>9s} {'× tutorial':>10s}")
    for name, t in best.items():
        print(f"{name:28s} {t / steps * 1e6:9.1f} {steps / t:9.0f} {base / t:10.2f}")


if __name__ == "__main__":
    main()
