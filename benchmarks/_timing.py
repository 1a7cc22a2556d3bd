"""The timing every benchmark shares: each contender's best of N runs, contenders alternated (the machine's
noise only ever adds time), and on a GPU the device waited for before the clock stops (its work is queued,
not done, when a call returns). `--device` picks where the engine trains: cpu (default), cuda or auto."""
from __future__ import annotations

import time
from typing import Callable

import torch


def add_device_option(parser) -> None:
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"],
                        help="where to train (cuda: a CUDA build of torch and a GPU)")


def sync(device) -> None:
    """Wait until the device has done everything queued on it (a no-op on the CPU)."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def timed(fn: Callable[[], object], device="cpu") -> float:
    """Seconds one call of fn takes, the device's queued work included."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def best_of(repeats: int, contenders: dict, device="cpu") -> dict[str, float]:
    """{name: the best of `repeats` timed calls}, the contenders run in turn each round. A contender is a
    function, or (setup, fn): setup() runs before the clock starts and fn gets what it returns."""
    best = {name: float("inf") for name in contenders}
    for _ in range(repeats):
        for name, contender in contenders.items():
            if isinstance(contender, tuple):
                setup, fn = contender
                made = setup()
                best[name] = min(best[name], timed(lambda: fn(made), device))
            else:
                best[name] = min(best[name], timed(contender, device))
    return best
