"""Time to redraw each chart (plotext build inside render) at 80×24 and 160×48 panel sizes, for the
tutorial's data and for a long run's history.
    .venv/bin/python benchmarks/chart_redraw.py [--sizes 80x24,160x48] [--epochs 50,2000] [--repeats 10]"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from linreg_core.settings.config import Config  # noqa: E402
from tui.app import make_app  # noqa: E402
from tui.widgets.fit_chart import FitChart  # noqa: E402
from tui.widgets.loss_chart import LossChart  # noqa: E402
from tui.widgets.params_chart import ParamsChart  # noqa: E402


async def measure(size, epochs: int, repeats: int):
    app = make_app(Config().replace(epochs=epochs), in_thread=True)
    async with app.run_test(size=size) as pilot:
        while app.main_screen.run_state != "idle":
            await pilot.pause(0.05)
        for _ in range(4):
            await pilot.press("plus")
        await pilot.press("space")
        while app.main_screen.run_state == "running":
            await pilot.pause(0.1)
        rows = []
        for chart_type, key in ((FitChart, "1"), (LossChart, "2"), (ParamsChart, "3")):
            await pilot.press(key)
            await pilot.pause(0.2)
            chart = app.query_one(chart_type)
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                chart.redraw(app.main_screen.data)
                chart.render()
                times.append(time.perf_counter() - t0)
            rows.append((chart_type.__name__, sorted(times)[len(times) // 2] * 1000))
        return app.main_screen.data.step, len(app.main_screen.data.history.losses), rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="80x24,160x48")
    ap.add_argument("--epochs", default="50,2000")
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    for size in [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]:
        for epochs in [int(e) for e in args.epochs.split(",")]:
            steps, points, rows = asyncio.run(measure(size, epochs, args.repeats))
            cells = "  ".join(f"{name} {ms:5.1f} ms" for name, ms in rows)
            print(f"{size[0]}x{size[1]} {steps:6d} steps ({points} loss points kept): {cells}")


if __name__ == "__main__":
    main()
