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

from linreg_core.config import OPTIMIZERS, Config  # noqa: E402
from linreg_core.experiment import prepare  # noqa: E402
from linreg_core.race import SWEEP_MAX_LANES, Race  # noqa: E402
from linreg_core.trainer import Trainer  # noqa: E402

CHUNK = 256


def log_spaced(center: float, lanes: int) -> list[float]:
    return [center * 10 ** (-1 + 2 * i / (lanes - 1)) for i in range(lanes)]


def time_one(config: Config, experiment, epochs: int | None = None) -> float:
    trainer = Trainer(config, experiment)
    start = time.perf_counter()
    while not trainer.done and (epochs is None or trainer.epoch < epochs):
        trainer.advance(CHUNK)
    return time.perf_counter() - start


def time_race(configs: list[Config], epochs: int | None = None) -> float:
    race = Race(configs, max_lanes=SWEEP_MAX_LANES)
    start = time.perf_counter()
    while not race.done and (epochs is None or race.epoch < epochs):
        race.advance(CHUNK)
    return time.perf_counter() - start


def best_of(repeats: int, contenders: dict) -> dict[str, float]:
    best = {name: float("inf") for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            best[name] = min(best[name], fn())
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--large-samples", type=int, default=1_000_000)
    ap.add_argument("--large-features", type=int, default=64)
    args = ap.parse_args()
    tutorial = Config().replace(epochs=args.epochs)
    experiment = prepare(tutorial)
    contenders = {
        "one run (tutorial)": lambda: time_one(tutorial, experiment),
        "16 lrs": lambda: time_race([tutorial.replace(lr=lr) for lr in log_spaced(tutorial.train.lr, 16)]),
        "6 optimizers": lambda: time_race([tutorial.replace(optimizer=o) for o in OPTIMIZERS]),
        "64 lrs": lambda: time_race([tutorial.replace(lr=lr) for lr in log_spaced(tutorial.train.lr, 64)]),
    }
    best = best_of(args.repeats, contenders)
    base = best["one run (tutorial)"]
    print(f"{'contender':26s} {'ms':>9s} {'× one run':>10s} {'lane-steps/s ×':>15s}")
    lanes = {"16 lrs": 16, "6 optimizers": 6, "64 lrs": 64}
    for name, t in best.items():
        k = lanes.get(name, 1)
        print(f"{name:26s} {t * 1e3:9.1f} {t / base:10.2f} {k * base / t:15.1f}")

    large = Config().replace(weights=tuple([1.0] * args.large_features), samples=args.large_samples,
                             batch_size=1024, epochs=1, lr=0.001, loss="mse", shuffle="torch")
    big = prepare(large)
    pair = {
        "large: one lane, 1 epoch": lambda: time_one(large, big, epochs=1),
        "large: 8 lanes, 1 epoch": lambda: time_race([large.replace(lr=lr) for lr in log_spaced(0.001, 8)], 1),
    }
    best = best_of(max(1, args.repeats // 2), pair)
    one = best["large: one lane, 1 epoch"]
    print(f"\nat {args.large_samples:,} × {args.large_features}, batch 1024:")
    for name, t in best.items():
        print(f"{name:26s} {t * 1e3:9.1f} {t / one:10.2f}")


if __name__ == "__main__":
    main()
