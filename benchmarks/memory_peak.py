"""Peak memory of an experiment against linreg's estimate (config.estimate_bytes), per source and dtype:
each case runs in a fresh process that builds the data and the trainer, trains one epoch and writes the
summary (least squares and metrics), and reports its peak resident size above a tiny experiment's.

    .venv/bin/python benchmarks/memory_peak.py [--samples 2000000] [--features 16]

The estimate must stay above the measured peak (the check refuses before allocating, so an estimate below
the peak lets a too-large experiment start and die); the ratio column says by how much.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(__file__), "..")

CHILD = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from linreg_core.settings.config import Config
from linreg_core.analysis.summary import summarize
from linreg_core.training.trainer import Trainer, trainer_for
options = json.loads(sys.argv[2])
trainer = trainer_for(Config().replace(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}))
trainer.advance(trainer.batches_per_epoch)
summarize(trainer)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def peak(options: dict) -> int:
    out = subprocess.run([sys.executable, "-c", CHILD, ROOT, json.dumps(options)], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.split()[-1])


def write_csv(path: str, n: int, d: int) -> None:
    import random

    rng = random.Random(0)
    with open(path, "w") as f:
        f.write(",".join([f"x{i}" for i in range(d)] + ["y"]) + "\n")
        for _ in range(n):
            f.write(",".join(f"{rng.gauss(0, 1):.6f}" for _ in range(d + 1)) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=2_000_000)
    ap.add_argument("--features", type=int, default=16)
    args = ap.parse_args()
    sys.path.insert(0, ROOT)
    from linreg_core.settings.config import estimate_bytes

    n, d = args.samples, args.features
    base = peak({"samples": 100, "weights": [1.0] * d, "batch_size": 1024})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = os.path.join(tmp, "data.csv")
        write_csv(csv_path, n, d)
        cases = [
            ("synthetic", "float32", {"samples": n, "weights": [1.0] * d}),
            ("synthetic", "float64", {"samples": n, "weights": [1.0] * d, "dtype": "float64"}),
            ("synthetic", "float32 std+test", {"samples": n, "weights": [1.0] * d, "standardize": True,
                                               "test_fraction": 0.2}),
            ("csv", "float32", {"csv": csv_path}),
            ("csv", "float64", {"csv": csv_path, "dtype": "float64"}),
        ]
        for source, dtype, options in cases:
            options = {"batch_size": 1024, "shuffle": "torch", **options}
            measured = peak(options) - base
            estimate = estimate_bytes(n, d, "float64" if "64" in dtype else "float32", from_csv=source == "csv")
            rows.append((source, dtype, measured, estimate))
    print(f"{n:,} samples × {d} features (peak above a 100-sample experiment's)")
    print(f"{'source':10s} {'dtype':17s} {'measured MB':>12s} {'estimate MB':>12s} {'estimate/measured':>18s}")
    for source, dtype, measured, estimate in rows:
        print(f"{source:10s} {dtype:17s} {measured / 2**20:12.0f} {estimate / 2**20:12.0f} "
              f"{estimate / max(measured, 1):18.2f}")


if __name__ == "__main__":
    main()
