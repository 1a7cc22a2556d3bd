"""Cost of the theory beside the run (analysis/theory.py, issue 22): the spectrum and the predicted curve of a
configured MSE run, from its training data. Target: ≤ 50 ms for the tutorial's defaults with MSE (500 samples,
4 features, batch 16: 32 steps an epoch × 50 epochs = 1,600 steps), before the app's first chart.

    .venv/bin/python benchmarks/theory_speed.py [--epochs 50] [--features 4,16,64] [--repeats 5]

Times theory_of() on the data already in training units (as the app would hold them), for SGD and momentum,
sampling with and without replacement, and at more features (the dense step up to N = DENSE_MAX states, the
structured one above, up to 64 features).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from _timing import best_of  # noqa: E402

from linreg_core.analysis.theory import theory_of, training_data  # noqa: E402
from linreg_core.settings.config import Config  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--features", default="4,16,64", help="comma list of feature counts (500 samples each)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"{'features':>8} {'optimizer':>9} {'shuffle':>8} {'steps':>6} {'method':>10} {'best ms':>8}")
    for d in (int(v) for v in args.features.split(",")):
        for optimizer in ("sgd", "momentum"):
            for shuffle in ("auto", "replace"):
                config = Config().replace(loss="mse", optimizer=optimizer, shuffle=shuffle, epochs=args.epochs,
                                          weights=tuple([1.0] * d), lr=0.01)
                X, y, w0, b0 = training_data(config)
                got = {}

                def run():
                    got["t"] = theory_of(X, y, w0, b0, config)
                repeats = args.repeats if d <= 16 else 1
                best = best_of(repeats, {"theory": run})["theory"]
                p = got["t"].prediction
                print(f"{d:>8} {optimizer:>9} {shuffle:>8} {len(p.step_mean):>6} {p.method:>10} "
                      f"{best * 1000:>8.1f}")


if __name__ == "__main__":
    main()
