"""The engine on a GPU gives the CPU's numbers: the tutorial's run, a race, a sweep, the loss surface and the
microscope, each trained on cuda and on the CPU in this process (the data and the starting parameters are
drawn on the CPU for both) and compared.

Tolerances. float64 runs with a smooth loss (MSE, Huber): the two devices add in other orders, so each step
differs by a few ulps (1e-16 relative) and a contracting descent keeps it there; rel 1e-9 (abs 1e-12 for
values near 0) leaves six digits of margin and still catches any float32 step or wrong operation. float32
with MAE (the tutorial): its gradient is the sign of each residual, so a residual within a few float32 ulps
of zero can take the other sign on the other device and the runs part slightly; two CPUs' kernels
(ATEN_CPU_CAPABILITY=default against AVX2, the data drawn differently too) part this run by 1.5e-5 relative
in the logged losses and 4e-6 in the parameters, so rel 1e-3 and abs 1e-4 (the precision `linreg train`
prints its table to) leave 25-65× margin.

Skipped without CUDA. LINREG_GPU_TESTS_DEVICE=cpu puts the CPU against itself on any machine: that proves
the comparisons run, not the GPU.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess

import pytest
import torch

from linreg_core.session import commands as c
from linreg_core.settings.config import Config
from linreg_core.session.events import LandscapeView
from linreg_core.session.controller import RunController
from linreg_core.analysis.landscape import Landscape
from linreg_core.analysis.microscope import last_step
from linreg_core.training.race import Race
from linreg_core.training.trainer import Trainer, trainer_for
from tests.test_cli import LINREG

DEVICE = os.environ.get("LINREG_GPU_TESTS_DEVICE", "cuda")
pytestmark = pytest.mark.skipif(DEVICE == "cuda" and not torch.cuda.is_available(),
                                reason="needs a CUDA GPU (torch.cuda.is_available() is False here): "
                                       "these tests compare the engine on cuda with the engine on the CPU")

F64 = dict(rel=1e-9, abs=1e-12)  # float64, smooth loss: a few ulps apart, see above
F32_MAE_LOG = dict(rel=1e-3, abs=0.0)  # float32 MAE, residual signs may flip (see above): the logged losses
F32_MAE_PARAMETERS = dict(rel=0.0, abs=1e-4)  # and the parameters
SMALL = Config().replace(samples=64, weights=(3.0, -2.0), bias=0.5, noise=0.1, epochs=6, dtype="float64",
                         loss="mse")


def assert_close(got, want, rel: float, abs: float, where: str = "") -> None:
    """Numbers within rel (or abs, near 0), everything else equal, through dicts, lists, tuples and
    dataclasses; `where` names the place that differs."""
    if dataclasses.is_dataclass(got) and not isinstance(got, type):
        got, want = dataclasses.asdict(got), dataclasses.asdict(want)
    if isinstance(got, dict):
        assert isinstance(want, dict) and got.keys() == want.keys(), where
        for key in got:
            assert_close(got[key], want[key], rel, abs, f"{where}.{key}")
    elif isinstance(got, (list, tuple)):
        assert isinstance(want, (list, tuple)) and len(got) == len(want), where
        for k, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, rel, abs, f"{where}[{k}]")
    elif isinstance(got, float) and isinstance(want, (int, float)) and not isinstance(want, bool):
        if math.isnan(got) or math.isnan(want):
            assert math.isnan(got) and math.isnan(want), f"{where}: {got} against {want}"
        else:
            assert got == pytest.approx(want, rel=rel, abs=abs), f"{where}: {got} against {want}"
    else:
        assert got == want, f"{where}: {got!r} against {want!r}"


def train(config: Config) -> tuple[Trainer, list]:
    trainer = trainer_for(config)
    return trainer, [r.epoch_result for r in trainer.run(chunk=32) if r.epoch_result is not None]


def on_both(config: Config, run=train):
    """run(config) on DEVICE and on the CPU."""
    return run(config.replace(device=DEVICE)), run(config.replace(device="cpu"))


def test_the_device_is_the_one_asked_for():
    trainer = trainer_for(SMALL.replace(device=DEVICE))
    assert trainer.split.X_train.device.type == DEVICE


@pytest.mark.parametrize("options,log_tolerance,parameter_tolerance",
                         [({}, F32_MAE_LOG, F32_MAE_PARAMETERS), ({"dtype": "float64", "loss": "mse"}, F64, F64)],
                         ids=["tutorial-float32-mae", "float64-mse"])
def test_the_tutorials_run(options, log_tolerance, parameter_tolerance):
    (gpu, gpu_epochs), (cpu, cpu_epochs) = on_both(Config().replace(**options))
    assert (gpu.status, gpu.epoch, gpu.steps) == (cpu.status, cpu.epoch, cpu.steps) == ("finished", 50, 1600)
    assert_close([e.loss_sum for e in gpu_epochs], [e.loss_sum for e in cpu_epochs], **log_tolerance, where="log")
    assert_close(gpu.parameters(), cpu.parameters(), **parameter_tolerance, where="parameters")


def test_a_race_of_mixed_optimizers_and_losses():
    lanes = [dict(optimizer="sgd", lr=0.03), dict(optimizer="momentum", lr=0.01, batch_size=7),
             dict(optimizer="adam", lr=0.1, schedule="cosine"), dict(optimizer="rmsprop", lr=0.01, l2=0.1),
             dict(optimizer="adagrad", lr=0.5, loss="huber"), dict(optimizer="nesterov", lr=0.02, standardize=True)]

    def race(config: Config):
        r = Race([config.replace(**lane) for lane in lanes])
        epochs: dict[int, list] = {i: [] for i in range(len(lanes))}
        while not r.done:
            for event in r.advance(5):
                if event.epoch_result is not None:
                    epochs[event.lane].append(event.epoch_result)
        return r, epochs

    (gpu, gpu_epochs), (cpu, cpu_epochs) = on_both(SMALL.replace(test_fraction=0.25), race)
    for i in range(len(lanes)):
        g, c = gpu.lanes[i], cpu.lanes[i]
        assert (g.status, g.epoch, g.steps) == (c.status, c.epoch, c.steps), lanes[i]
        assert_close([(e.loss_sum, e.test_loss) for e in gpu_epochs[i]],
                     [(e.loss_sum, e.test_loss) for e in cpu_epochs[i]], **F64, where=f"lane {i + 1} log")
        assert_close(g.parameters(), c.parameters(), **F64, where=f"lane {i + 1} parameters")


def test_a_sweep(tmp_path):
    """`linreg sweep --device cuda` against `--device cpu`: every lane's summary, by its settings."""
    def sweep(device: str) -> dict:
        out = subprocess.run([*LINREG, "sweep", "--lr", "0.01,0.05", "--optimizer", "sgd,adam", "--epochs", "3",
                              "--loss", "mse", "--dtype", "float64", "--device", device, "--json", "--no-save"],
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        lanes = json.loads(out.stdout)["lanes"]
        return {tuple(lane["settings"].values()): lane for lane in lanes}

    gpu, cpu = sweep(DEVICE), sweep("cpu")
    assert gpu.keys() == cpu.keys() and len(gpu) == 4
    for settings in gpu:
        g, c = gpu[settings], cpu[settings]
        assert_close(g["mse"], c["mse"], **F64, where=f"{settings} mse")
        assert_close(g["summary"]["weights"], c["summary"]["weights"], **F64, where=f"{settings} weights")
        assert_close(g["summary"]["bias"], c["summary"]["bias"], **F64, where=f"{settings} bias")
        assert g["summary"]["status"] == c["summary"]["status"]


def test_the_loss_surface():
    """The grid itself on the device's tensors, then the surface as the controller sends it after a run
    (window, grid, path, now, the optimum): the app's panel on either device."""
    (gpu, _), (cpu, _) = on_both(SMALL.replace(loss="huber", epochs=3))
    w, b = cpu.training_parameters()
    grids = [Landscape(t.split.X_train, t.split.y_train, "huber").grid(0, 2, [*w, b], (w[0] - 1, w[0] + 1),
                                                                       (b - 1, b + 1), 21, 11)
             for t in (gpu, cpu)]
    assert_close(grids[0], grids[1], **F64, where="grid")

    def surface(config: Config):
        events = []
        ctl = RunController(events.append)
        ctl.load(config)
        ctl.handle(c.ShowLandscape({"i": 0, "j": -1, "held": "current", "zoom": 1.0, "nx": 40, "ny": 16}))
        ctl.handle(c.Toggle())
        while ctl.wants_steps:
            ctl.advance(32)
        ctl.flush(force=True)
        return [e for e in events if isinstance(e, LandscapeView)][-1]

    assert_close(*on_both(SMALL, surface), **F64, where="surface")


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "adam"])
def test_the_microscope(optimizer):
    """Five steps, then the last one under the microscope: batch rows, gradients, the rule's terms."""
    def stepped(config: Config):
        t = trainer_for(config)
        for _ in range(5):
            t.step()
        return last_step(t)

    gpu, cpu = on_both(SMALL.replace(optimizer=optimizer, l1=0.01, standardize=True), stepped)
    assert_close(gpu, cpu, **F64, where="microscope")
