"""The loss landscape: exact against the loss computed directly, its minimum at the optimum, its shapes."""
import torch
from hypothesis import given, settings, strategies as st

from linreg_core.session import commands as c
from linreg_core.model import reference
from linreg_core.session.events import LandscapeView
from linreg_core.analysis.landscape import Landscape, window


def data(n=200, d=3, scales=None, seed=0, offset=0.0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    if scales is not None:
        X = X * torch.tensor(scales, dtype=torch.float64)
    w = torch.arange(1, d + 1, dtype=torch.float64).reshape(-1, 1)
    y = X @ w + 0.5 + offset + 0.1 * torch.randn(n, 1, generator=g, dtype=torch.float64)
    return X, y


def direct(X, y, loss, w, b):
    r = X @ torch.tensor(w, dtype=torch.float64).reshape(-1, 1) + b - y
    if loss == "mse":
        return float((r ** 2).mean())
    if loss == "mae":
        return float(r.abs().mean())
    a = r.abs()
    return float(torch.where(a < 1, 0.5 * a * a, a - 0.5).mean())


@settings(deadline=None, max_examples=30)
@given(loss=st.sampled_from(["mse", "mae", "huber"]), i=st.integers(0, 3), j=st.integers(0, 3),
       seed=st.integers(0, 1000), offset=st.sampled_from([0.0, 1e4]))
def test_every_grid_point_is_the_loss_computed_directly(loss, i, j, seed, offset):
    if i == j:
        return
    X, y = data(seed=seed, offset=offset)
    land = Landscape(X, y, loss)
    center = [0.3, -1.0, 2.0, 0.7]
    grid = land.grid(i, j, center, (-2.0, 3.0), (-1.0, 4.0), 7, 5)
    for r, yv in enumerate(grid.ys):
        for c, xv in enumerate(grid.xs):
            p = list(center)
            p[i], p[j] = xv, yv
            want = direct(X, y, loss, p[:3], p[3])
            assert abs(grid.loss[r][c] - want) <= 1e-9 * max(1.0, abs(want))


def test_the_minimum_cell_is_next_to_the_least_squares_optimum():
    X, y = data()
    (w, b) = reference.least_squares(X, y)
    land = Landscape(X, y, "mse")
    center = [*w, b]
    (xr, yr) = window([(w[0], b), (w[0] - 3, b + 2)])
    grid = land.grid(0, 3, center, xr, yr, 60, 30)
    r, c = grid.argmin()
    dx, dy = grid.xs[1] - grid.xs[0], grid.ys[1] - grid.ys[0]
    assert abs(grid.xs[c] - w[0]) <= dx and abs(grid.ys[r] - b) <= dy


def bands_along(values, levels=8):
    """How many contour bands a line of losses crosses (levels spaced evenly over the whole range)."""
    lo, hi = min(values), max(values)
    band = [min(levels - 1, int((v - lo) / (hi - lo + 1e-300) * levels)) for v in values]
    return sum(1 for a, b in zip(band, band[1:]) if a != b)


def test_wide_ranging_features_make_a_long_thin_valley_and_standardized_ones_a_round_bowl():
    X, y = data(d=2, scales=[1.0, 30.0])
    w, b = reference.least_squares(X, y)
    wide = Landscape(X, y, "mse").grid(0, 1, [*w, b], (w[0] - 1, w[0] + 1), (w[1] - 1, w[1] + 1), 41, 41)
    Xs = (X - X.mean(0)) / X.std(0)
    ws, bs = reference.least_squares(Xs, y)
    round_ = Landscape(Xs, y, "mse").grid(0, 1, [*ws, bs], (ws[0] - 1, ws[0] + 1), (ws[1] - 1, ws[1] + 1), 41, 41)
    # across the valley (along w1, scale 30) the loss climbs 900× faster than along it
    mid = 20
    along_w0 = [wide.loss[mid][c] for c in range(41)]
    along_w1 = [wide.loss[r][mid] for r in range(41)]
    assert max(along_w1) - min(along_w1) > 300 * (max(along_w0) - min(along_w0))
    a = [round_.loss[mid][c] for c in range(41)]
    b_ = [round_.loss[r][mid] for r in range(41)]
    assert 0.5 < (max(a) - min(a)) / (max(b_) - min(b_)) < 2.0  # a bowl: the same rise both ways


def test_mae_shows_its_kinks_and_large_data_use_a_stated_sample():
    X, y = data(n=50, d=1)
    land = Landscape(X, y, "mae")
    w, b = reference.least_squares(X, y)
    g = land.grid(0, 1, [*w, b], (w[0] - 1, w[0] + 1), (b, b), 201, 1)
    row = g.loss[0]
    slopes = [(row[k + 1] - row[k]) for k in range(200)]
    changes = sum(1 for s1, s2 in zip(slopes, slopes[1:]) if abs(s2 - s1) > 1e-9)
    assert changes > 10  # piecewise linear: the slope jumps where a residual crosses 0
    big = Landscape(*data(n=30_000, d=2), "mae", max_rows=1000)
    grid = big.grid(0, 2, [0.0, 0.0, 0.0], (-1, 1), (-1, 1), 5, 5)
    assert grid.rows == 1000 and not grid.exact


def test_window_holds_every_point_with_a_margin_and_zooms():
    (x0, x1), (y0, y1) = window([(0, 0), (10, 1), (5, -3)])
    assert x0 < 0 and x1 > 10 and y0 < -3 and y1 > 1
    (z0, z1), _ = window([(0, 0), (10, 1)], zoom=2)
    assert abs((z1 - z0) - (x1 - x0) / 2) < 1e-9 or z1 - z0 < x1 - x0


def test_the_controller_sends_the_surface_while_asked_and_the_path_grows():
    from linreg_core.settings.config import Config
    from linreg_core.session.controller import RunController

    events = []
    ctl = RunController(events.append)
    ctl.load(Config().replace(epochs=3))
    ctl.handle(c.ShowLandscape({"i": 0, "j": -1, "held": "current", "zoom": 1.0, "nx": 30, "ny": 12}))
    first = [e for e in events if isinstance(e, LandscapeView)][-1]
    assert first.names == ("w[x0]", "b") and len(first.xs) == 30 and len(first.ys) == 12
    assert first.true == (8.1, 1.1) and len(first.path) == 1  # the start only
    ctl.handle(c.Toggle())
    while ctl.wants_steps:
        ctl.advance(32)
    ctl.flush(force=True)
    last = [e for e in events if isinstance(e, LandscapeView)][-1]
    assert len(last.path) > 5 and last.current != first.current
    xs, ys = last.xs, last.ys  # the window holds the start, the path, now and the optimum
    for x, y in (*last.path, last.current, last.optimum):
        assert xs[0] <= x <= xs[-1] and ys[0] <= y <= ys[-1]
    ctl.handle(c.ShowLandscape(None))
    count = sum(1 for e in events if isinstance(e, LandscapeView))
    ctl.flush(force=True)
    assert sum(1 for e in events if isinstance(e, LandscapeView)) == count  # hidden: no more grids


def test_zooming_in_keeps_the_current_point_in_the_middle():
    (x0, x1), (y0, y1) = window([(0, 0), (10, 1), (8, 0.5)], zoom=8, focus=(8, 0.5))
    assert x0 < 8 < x1 and y0 < 0.5 < y1 and abs((x0 + x1) / 2 - 8) < 1e-9


def _surface(config, chunks: int = 10_000):
    """The last surface a controller sends for a run of `config` trained to its end."""
    from linreg_core.session.controller import RunController

    events = []
    ctl = RunController(events.append)
    ctl.load(config)
    ctl.handle(c.ShowLandscape({"i": 0, "j": -1, "held": "current", "zoom": 1.0, "nx": 40, "ny": 16}))
    ctl.handle(c.Toggle())
    while ctl.wants_steps and chunks:
        ctl.advance(32)
        chunks -= 1
    ctl.flush(force=True)
    return ctl.trainer, [e for e in events if isinstance(e, LandscapeView)][-1]


def test_the_surfaces_o_is_the_optimum_of_the_runs_loss():
    """MAE on data with outliers: O is the least-absolute-deviations fit (an independent LP solver agrees
    in tests/core/test_optimum.py), not least squares."""
    from linreg_core.settings.config import Config
    from linreg_core.model.optimum import optimum

    trainer, view = _surface(Config().replace(epochs=2, noise=5.0, samples=60))
    X, y = trainer.split.raw_train
    lad = optimum(X, y, "mae", 1.0, trainer.least_squares())
    ls_w, ls_b = trainer.least_squares()
    assert view.optimum == (lad.weights[0], lad.bias)
    assert abs(view.optimum[0] - ls_w[0]) > 1e-6  # (the two differ here: the test can tell them apart)


def test_a_diverged_run_leaves_the_window_to_the_optimum_and_its_start_and_is_marked_at_the_edge():
    from linreg_core.settings.config import Config

    trainer, view = _surface(Config().replace(loss="mse", lr=10.0, epochs=5))
    assert trainer.status == "diverged"
    xs, ys = view.xs, view.ys
    inside = lambda p: xs[0] <= p[0] <= xs[-1] and ys[0] <= p[1] <= ys[-1]  # noqa: E731
    assert inside(view.optimum) and inside(view.path[0]) and not inside(view.current)
    assert xs[-1] - xs[0] < 100  # the optimum (8.1, 1.1) and the start (0, 0), not the leap of ~1e3 or more
