"""What the user sees, pinned: main screen at 80×24 (idle) and 160×48 (finished), help, diverged.
Update deliberately with `pytest --snapshot-update` and look at the report before committing.

A screen must not depend on the kernels that computed it (the CPU's summation order, another machine,
ATEN_CPU_CAPABILITY=default, a GPU): float32 prints 227.864024 on one and 227.864027 on another; MAE parts
runs at the 6th digit even in float64 (its gradient is the sign of each residual: a difference in the 16th
digit flips one); and a 1,600-step float64 MSE run's snapshot was reported to change under
ATEN_CPU_CAPABILITY=default (issue 20). So the snapshots of a finished run (160×48 and the surface) train an
experiment whose arithmetic is exact (`exact_experiment`, below): small dyadic data, one full batch, dyadic
starting parameters and learning rate, so that every sum, product and update is exact in binary floating
point, the same in any order on any device. What is left is computed beside the training, to a few ulps: the
least-squares optimum (LAPACK, on the CPU) and the surface's grid. Neither sits at a boundary of what is
drawn: nudging the optimum and every grid value by ±2, ±8 and ±64 ulps left both screens unchanged (the
optimum lies inside the path's window, which the exact path alone sets).

The microscope (3 steps) and the diverged run (a few steps until the loss overflows) are float64 MSE on the
tutorial's data: over so few steps their differences stay near 1e-16 relative, ten digits below what is shown.
The idle screens draw the tutorial's data only at a chart's resolution.
"""
import itertools
import json
from fractions import Fraction

import pytest
import torch

from linreg_core.settings.config import Config
from tui.app import make_app
from tests.tui.conftest import app_settled, wait_until

# y = 2 + 3·x0 − x1 + noise over the 32 sign patterns s ∈ {−1, 1}⁵: x0 = (s0 + s1 + s2 + s3)/2 (−2 … 2),
# x1 = s4, noise = (s0·s1·s4 + s2·s3·s4)/2 (−1, 0, 1). Each column is a sum of distinct Walsh functions, so
# the constant, x0, x1 and the noise are orthogonal and the constant, x0 and x1 each have mean square 1:
# [1 x0 x1]ᵀ[1 x0 x1] = 32·I. Full-batch MSE then moves every parameter the same way, θ ← θ − lr·2·(θ − θ*):
# with lr 3/4, θ − θ* halves and changes sign each epoch (the path zig-zags about the optimum, which stays
# inside its window), from θ = 0 towards θ* = (3, −1, 2), the least-squares optimum itself. The values stay
# dyadic with at most about 2·epochs + 15 significant bits (47 after 16 epochs, squared residuals included),
# and so exact in float64 (30 epochs would not be: the squared residuals would round).
# test_the_exact_experiment_is_exact checks it against rational arithmetic.
EXACT_TRUE = (Fraction(3), Fraction(-1), Fraction(2))  # w[x0], w[x1], b
EXACT_OPTIONS = dict(csv="exact.csv", init_params="init.json", batch_size=32, epochs=16, lr=0.75, loss="mse",
                     dtype="float64")


def exact_rows() -> list[tuple[Fraction, Fraction, Fraction]]:
    rows = []
    for s in itertools.product((-1, 1), repeat=5):
        x0, x1 = Fraction(s[0] + s[1] + s[2] + s[3], 2), Fraction(s[4])
        noise = Fraction(s[0] * s[1] * s[4] + s[2] * s[3] * s[4], 2)
        rows.append((x0, x1, EXACT_TRUE[2] + EXACT_TRUE[0] * x0 + EXACT_TRUE[1] * x1 + noise))
    return rows


@pytest.fixture
def exact_experiment(tmp_path, monkeypatch) -> Config:
    """The exact experiment's files in a folder of their own, entered, so that the form shows the same short
    names on every machine."""
    (tmp_path / "exact.csv").write_text("x0,x1,y\n" + "".join(f"{float(a):g},{float(b):g},{float(y):g}\n"
                                                              for a, b, y in exact_rows()))
    (tmp_path / "init.json").write_text(json.dumps({"weights": [0, 0], "bias": 0}))
    monkeypatch.chdir(tmp_path)
    return Config().replace(**EXACT_OPTIONS)


def exact_run(epochs: int) -> tuple[list[Fraction], list[Fraction]]:
    """The exact experiment in rational arithmetic: each epoch's loss (one full batch: the loss before its
    step) and the parameters after the last step."""
    rows, lr = exact_rows(), Fraction(EXACT_OPTIONS["lr"])
    theta, losses = [Fraction(0)] * 3, []
    for _ in range(epochs):
        residuals = [theta[0] * x0 + theta[1] * x1 + theta[2] - y for x0, x1, y in rows]
        losses.append(sum(r * r for r in residuals) / len(rows))
        grads = [2 * sum(r * a for r, a in zip(residuals, column)) / len(rows)
                 for column in ([x0 for x0, _, _ in rows], [x1 for _, x1, _ in rows], [1] * len(rows))]
        theta = [t - lr * g for t, g in zip(theta, grads)]
    return losses, theta


def _app(config: Config | None = None, **options):
    config = config or Config()
    return make_app(config.replace(**options) if options else config, in_thread=True)


async def _idle(pilot, engine):
    await wait_until(pilot, lambda: pilot.app.main_screen.run_state == "idle", what="engine ready")
    await settled(pilot, engine)


async def settled(pilot, engine):
    """The screen as it stays: the app has taken in every event the engine sent for the commands so far (the
    setup, its theory, the last progress, the state), every panel on screen is drawn from it, the log's lines
    are written where the log is on screen, and the app has handled what that posted."""
    screen = pilot.app.main_screen
    await engine.caught_up(pilot)
    await wait_until(pilot, lambda: screen.views_settled and not (screen.panels.on_screen("log") and
                                                                   screen.run_log.pending),
                     what="the charts and the log to be drawn")
    await app_settled(pilot)


def test_main_screen_80x24(snap_compare, engine):
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=lambda pilot: _idle(pilot, engine))


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU (torch.cuda.is_available() is False here)"))])
def test_the_exact_experiment_is_exact(exact_experiment, device):
    """On the CPU and on cuda the run is the rational one to the last bit: no rounding anywhere, so no kernel
    or device (`auto` picks either) can change it."""
    from linreg_core.training.trainer import trainer_for

    trainer = trainer_for(exact_experiment.replace(device=device))
    assert trainer.device.type == device
    losses = [r.epoch_result.loss_sum for r in trainer.run(chunk=4) if r.epoch_result]
    weights, bias = trainer.parameters()
    want_losses, want_theta = exact_run(exact_experiment.train.epochs)
    assert [Fraction(v) for v in losses] == want_losses
    assert [Fraction(v) for v in (*weights, bias)] == want_theta
    assert want_theta != list(EXACT_TRUE)  # not there yet: |learned − optimum| stays legible


def test_finished_run_160x48(snap_compare, exact_experiment, engine):
    async def run(pilot):
        await _idle(pilot, engine)
        await pilot.press("plus", "plus", "plus", "plus", "space")
        await wait_until(pilot, lambda: pilot.app.main_screen.run_state == "finished", what="finished")
        await settled(pilot, engine)
        await surface_caught_up(pilot)

    assert snap_compare(_app(exact_experiment), terminal_size=(160, 48), run_before=run)


async def surface_caught_up(pilot):
    """The surface panel's grid is the engine's last one: drawn at the run's final parameters."""
    from tui.widgets.surface import SurfaceView

    surface, data = pilot.app.query_one(SurfaceView), pilot.app.main_screen.data
    await wait_until(pilot, lambda: surface.view is not None and surface.view.current[0] == data.weights[0],
                     what="the surface at the run's end")
    await app_settled(pilot)  # (its redraw, posted by show())


def test_surface_80x24(snap_compare, exact_experiment, engine):
    async def run(pilot):
        await _idle(pilot, engine)
        await pilot.press("f", "6", "plus", "plus", "plus", "plus", "space")
        await wait_until(pilot, lambda: pilot.app.main_screen.run_state == "finished", what="finished")
        await settled(pilot, engine)
        await surface_caught_up(pilot)

    assert snap_compare(_app(exact_experiment), terminal_size=(80, 24), run_before=run)


def test_microscope_80x24(snap_compare, engine):
    async def run(pilot):
        from textual.widgets import Static

        from tui.screens.microscope import MicroscopeScreen

        await _idle(pilot, engine)
        await pilot.press("n", "n", "n")
        await wait_until(pilot, lambda: pilot.app.main_screen.data.step == 3, what="three steps")
        await settled(pilot, engine)  # the main screen, drawn at step 3 under the microscope
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MicroscopeScreen) and "step 3 under the "
                         "microscope" in str(pilot.app.screen.query_one("#microscope-title", Static).render()),
                         what="the microscope on step 3")
        await app_settled(pilot)

    assert snap_compare(_app(dtype="float64", loss="mse", optimizer="adam"), terminal_size=(80, 24),
                        run_before=run)


def test_help_screen(snap_compare, engine):
    async def run(pilot):
        from textual.widgets import Markdown

        from tui.screens.help import HelpScreen

        await _idle(pilot, engine)
        await pilot.press("question_mark")
        # the help's text is parsed in a thread, then mounted: wait for its last line
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen) and "Press Escape or ? to close"
                         in "".join(str(b.render()) for b in pilot.app.screen.query_one(Markdown).query("*")),
                         what="the help's last line")
        await app_settled(pilot)

    assert snap_compare(_app(), terminal_size=(80, 24), run_before=run)


def test_diverged_80x24(snap_compare, engine):
    async def run(pilot):
        await _idle(pilot, engine)
        await pilot.press("space")
        await wait_until(pilot, lambda: pilot.app.main_screen.run_state == "diverged", what="diverged")
        await pilot.press("2")
        await settled(pilot, engine)

    assert snap_compare(_app(loss="mse", lr=10, dtype="float64"), terminal_size=(80, 24), run_before=run)
