"""A race's cost against one run, same process, same data (issue 11's targets in brackets):

    .venv/bin/python benchmarks/race_speed.py [--repeats 5] [--epochs 50] [--large-samples 1000000]

- 16 learning rates log-spaced around the tutorial's (×1/10 … ×10) on the tutorial's experiment (≤ 1.5×)
- the six optimizers (≤ 3×)
- 64 learning rates, as `linreg sweep` races them (≤ 3×)
- 8 learning rates of batch 1024 on large × 64 data, one epoch, against one lane's epoch (≤ 2×)

Training time only (the data are made before the clock starts); each contender's best of --repeats, run
alternately (the machine's noise only ever adds time). Whole-process times: benchmarks/process_speed.sh.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from _timing import add_device_option, best_of, sync  # noqa: E402

from linreg_core.settings.config import OPTIMIZERS, Config  # noqa: E402
from linreg_core.data.experiment import prepare  # noqa: E402
from linreg_core.training.race import SWEEP_MAX_LANES, Race  # noqa: E402
from linreg_core.training.trainer import Trainer  # noqa: E402

CHUNK = 256


def log_spaced(center: float, lanes: int) -> list[float]:
    return [center * 10 ** (-1 + 2 * i / (lanes - 1)) for i in range(lanes)]


def time_one(config: Config, experiment, epochs: int | None = None) -> float:
    """Training time only: the trainer is made before the clock starts (the value a contender returns)."""
    trainer = Trainer(config, experiment)
    sync(trainer.device)
    start = time.perf_counter()
    while not trainer.done and (epochs is None or trainer.epoch < epochs):
        trainer.advance(CHUNK)
    sync(trainer.device)
    return time.perf_counter() - start


def time_race(configs: list[Config], epochs: int | None = None) -> float:
    race = Race(configs, max_lanes=SWEEP_MAX_LANES)
    device = race.lanes[0].device
    sync(device)
    start = time.perf_counter()
    while not race.done and (epochs is None or race.epoch < epochs):
        race.advance(CHUNK)
    sync(device)
    return time.perf_counter() - start


def best_time(repeats: int, contenders: dict) -> dict[str, float]:
    """Each contender's best returned time (its training alone, not its setup), via _timing.best_of's turns."""
    got = {name: float("inf") for name in contenders}

    def keep(name, fn):
        return lambda: got.__setitem__(name, min(got[name], fn()))

    best_of(repeats, {name: keep(name, fn) for name, fn in contenders.items()})
    return got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--large-samples", type=int, default=1_000_000)
    ap.add_argument("--large-features", type=int, default=64)
    add_device_option(ap)
    args = ap.parse_args()
    tutorial = Config().replace(epochs=args.epochs, device=args.device)
    experiment = prepare(tutorial)
    contenders = {
        "one run (tutorial)": lambda: time_one(tutorial, experiment),
        "16 lrs": lambda: time_race([tutorial.replace(lr=lr) for lr in log_spaced(tutorial.train.lr, 16)]),
        "6 optimizers": lambda: time_race([tutorial.replace(optimizer=o) for o in OPTIMIZERS]),
        "64 lrs": lambda: time_race([tutorial.replace(lr=lr) for lr in log_spaced(tutorial.train.lr, 64)]),
    }
    best = best_time(args.repeats, contenders)
    base = best["one run (tutorial)"]
    print(f"{'contender':26s} {'ms':>9s} {'× one run':>10s} {'lane-steps/s ×':>15s}")
    lanes = {"16 lrs": 16, "6 optimizers": 6, "64 lrs": 64}
    for name, t in best.items():
        k = lanes.get(name, 1)
        print(f"{name:26s} {t * 1e3:9.1f} {t / base:10.2f} {k * base / t:15.1f}")

    large = Config().replace(weights=tuple([1.0] * args.large_features), samples=args.large_samples,
                             batch_size=1024, epochs=1, lr=0.001, loss="mse", shuffle="torch", device=args.device)
    big = prepare(large)
    pair = {
        "large: one lane, 1 epoch": lambda: time_one(large, big, epochs=1),
        "large: 8 lanes, 1 epoch": lambda: time_race([large.replace(lr=lr) for lr in log_spaced(0.001, 8)], 1),
    }
    best = best_time(max(1, args.repeats // 2), pair)
    one = best["large: one lane, 1 epoch"]
    print(f"\nat {args.large_samples:,} × {args.large_features}, batch 1024:")
    for name, t in best.items():
        print(f"{name:26s} {t * 1e3:9.1f} {t / one:10.2f}")


if __name__ == "__main__":
    main()
