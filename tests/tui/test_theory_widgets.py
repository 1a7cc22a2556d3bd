"""The theory on screen: the loss chart's predicted curve and band (from the first frame), the theory panel
(spectrum, rates, the error along each direction; or why no theory applies), the race chart's predictions,
and the session routing the new events. Each widget is mounted alone in a tiny App and fed engine events."""
from __future__ import annotations

import pytest
from textual.app import App

from linreg_core.session import commands as c
from linreg_core.session import events as e
from linreg_core.session.controller import RunController
from linreg_core.session.race_controller import RaceController, RaceProgress, RaceSetup, RaceTheorized
from linreg_core.settings.config import Config
from tui.race_data import RaceData
from tui.run_data import RunData
from tui.session import EngineSession, SessionView
from tui.widgets.compare_chart import CompareChart
from tui.widgets.loss_chart import BAND_MARK, THEORY_MARK, LossChart
from tui.widgets.theory_panel import TheoryPanel, render_theory

SMALL = Config().replace(samples=64, weights=(3.0, -2.0), bias=0.5, noise=0.1, epochs=4, lr=0.05, loss="mse")


def run_data(config: Config, steps: int = 0, lr: float | None = None) -> RunData:
    """A RunData fed as the app feeds it: Setup, Theorized, then the progress of `steps` steps (and, with lr,
    that rate set after them: * or / while running)."""
    events: list = []
    ctl = RunController(events.append)
    ctl.handle(c.Configure(config))
    if steps:
        ctl.handle(c.Step(steps))
        while ctl.wants_steps:
            ctl.advance(50)
        ctl.flush(force=True)
    if lr is not None:
        ctl.handle(c.SetLr(lr))
    data = RunData()
    for ev in events:
        if isinstance(ev, e.Setup):
            data.start(ev)
        elif isinstance(ev, e.Theorized):
            data.theorize(ev)
        elif isinstance(ev, e.Progress):
            data.apply(ev)
    return data


class _Host(App):
    def __init__(self, widget):
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


class _Recorder:
    """plotext's plt, recording every plot and scatter call: (marker, xs, ys)."""

    def __init__(self, plt):
        self._plt, self.series = plt, []

    def plot(self, xs, ys, **kw):
        self.series.append((kw.get("marker"), list(xs), list(ys)))
        return self._plt.plot(xs, ys, **kw)

    def scatter(self, xs, ys, **kw):
        self.series.append((kw.get("marker"), list(xs), list(ys)))
        return self._plt.scatter(xs, ys, **kw)

    def __getattr__(self, name):
        return getattr(self._plt, name)


async def _drawn(widget, data, size=(100, 30)):
    titles: list[str] = []
    app = _Host(widget)
    async with app.run_test(size=size) as pilot:
        if hasattr(widget, "set_title"):
            original, draw, rec = widget.set_title, type(widget).draw, []
            widget.set_title = lambda plt, text, *a: (titles.append(text), original(plt, text, *a))

            def recorded(plt, data, points):
                rec.append(_Recorder(plt))
                draw(widget, rec[-1], data, points)
            widget.draw = recorded
            widget.redraw(data)
            await pilot.pause()
            rendered = widget.render()
            assert not rendered.plain.startswith("chart unavailable"), rendered.plain
            return titles[-1], rec[-1].series, rendered.plain
        widget.show(data)
        await pilot.pause()
        return None, None, widget.render().plain


# ------------------------------------------------------------------------------------------- the loss chart
async def test_the_prediction_and_its_band_are_drawn_before_the_first_step():
    data = run_data(SMALL)
    title, series, _ = await _drawn(LossChart(), data)
    curve = data.theory.theory.curve
    marks = [s[0] for s in series]
    assert THEORY_MARK in marks and marks.count(BAND_MARK) == 2 and "•" not in marks
    xs, ys = next((x, y) for mk, x, y in series if mk == THEORY_MARK)
    assert xs == list(curve.last_steps) and ys == pytest.approx(list(curve.mean))
    up = next(y for mk, x, y in series if mk == BAND_MARK)
    assert up == pytest.approx([m + s for m, s in zip(curve.mean, curve.sd)])
    assert "predicted before the run" in title and "theory (approx.) ± 1 sd" in title


async def test_the_run_is_drawn_over_the_prediction_and_log_scale_applies():
    data = run_data(SMALL.replace(shuffle="replace"), steps=40)
    chart = LossChart()
    chart.log_scale = True
    title, series, _ = await _drawn(chart, data)
    marks = [s[0] for s in series]
    assert marks.index(THEORY_MARK) < marks.index("•")  # the run over the prediction
    ys = next(y for mk, x, y in series if mk == THEORY_MARK)
    import math
    assert ys == pytest.approx([math.log10(v) for v in data.theory.theory.curve.mean])
    assert title.startswith("log10 batch loss") and "theory: expected ± 1 sd" in title


async def test_full_batch_says_exact_and_draws_no_band():
    data = run_data(SMALL.replace(batch_size=64))
    title, series, _ = await _drawn(LossChart(), data)
    assert BAND_MARK not in [s[0] for s in series] and "theory (exact)" in title


async def test_no_theory_draws_nothing_extra():
    data = run_data(SMALL.replace(loss="mae"))
    title, series, _ = await _drawn(LossChart(), data)
    assert series == [] and title == "loss — no steps yet"
    data = run_data(SMALL.replace(loss="mae"), steps=10)
    title, series, _ = await _drawn(LossChart(), data)
    assert {s[0] for s in series} <= {"•", "x", "+"} and "theory" not in title


async def test_a_narrow_chart_keeps_the_rate_its_prediction_is_for():
    """* while running: the prediction is then of a run at the new rate from the start, which the title says
    ("at lr 0.1"); at 80×24 the chart is 56 columns and the title was cut before those words."""
    data = run_data(SMALL, steps=20, lr=0.1)
    assert data.theory.theory.lr == 0.1 and data.setup.lr == 0.05
    title, _, text = await _drawn(LossChart(), data, size=(56, 20))
    assert "at lr 0.1" in title and "at lr 0.1" in text.splitlines()[0]


async def test_a_prediction_that_diverges_in_the_first_epoch_is_said_before_the_run():
    """No epoch of it is whole, so no point is drawn: the title says where it diverges (it said no steps yet)."""
    data = run_data(SMALL.replace(batch_size=1, lr=0.9))
    gone = data.theory.theory.curve.diverges_at_step
    assert gone is not None and gone < 64
    _, series, text = await _drawn(LossChart(), data, size=(56, 20))
    assert series == [] and f"diverges at step {gone}" in text


# ------------------------------------------------------------------------------------------ the theory panel
@pytest.mark.parametrize("size", [(56, 16), (140, 40)])
async def test_the_panel_names_the_rates_and_directions(size):
    data = run_data(SMALL, steps=30)
    th = data.theory.theory
    _, _, text = await _drawn(TheoryPanel(), data, size)
    lines = text.splitlines()
    assert len(lines) <= size[1] and all(len(line) <= size[0] for line in lines)
    assert "best" in text and "stable" in text and "lr" in text and "curvature" in text
    for j in range(len(th.eigenvalues)):
        assert th.direction_name(j) in text
    assert "below best: safe but slow" in text  # lr 0.05 on this data


def test_the_panel_shows_the_error_shrinking_beside_the_theory():
    data = run_data(SMALL.replace(batch_size=64), steps=3)  # full batch: the theory is exact
    th = data.theory.theory
    text = render_theory(data.theory, data.step, data.weights, data.bias, 100, 30).plain
    now = [abs(a) / abs(b) for a, b in zip(th.error_along(data.weights, data.bias), th.initial_error)]
    want = th.predicted_error(3)
    for a, b in zip(now, want):
        assert a == pytest.approx(b, rel=1e-4)  # (float32 parameters)
    assert "theory (exact)" in text and "│" in text


@pytest.mark.parametrize("values, words", [(dict(loss="mae"), "press l until loss: mse"),
                                           (dict(optimizer="adam"), "press o until optimizer"),
                                           (dict(schedule="cosine"), "schedule to constant")])
@pytest.mark.parametrize("size", [(56, 16), (140, 40)])
async def test_no_theory_says_why_and_what_to_change(values, words, size):
    data = run_data(SMALL.replace(**values))
    _, _, text = await _drawn(TheoryPanel(), data, size)
    assert "does not apply" in text and words in text and data.theory.reason.split()[0] in text


def test_a_diverging_rate_is_said():
    data = run_data(SMALL.replace(lr=5.0, batch_size=64), steps=2)
    text = render_theory(data.theory, data.step, data.weights, data.bias, 56, 16).plain
    assert "above stable" in text and "diverges at step" in text


@pytest.mark.parametrize("values", [{}, dict(batch_size=1, lr=0.6)])
def test_a_narrow_panel_cuts_no_rate_and_no_word_of_where_lr_sits(values):
    """At 60×18 the panel is 35 columns: the rates' line was cut to "S stable 0." and the words about lr to
    "lr is below stable, yet the batc" (the divergence left out)."""
    data = run_data(SMALL.replace(**values))
    th = data.theory.theory
    text = render_theory(data.theory, data.step, data.weights, data.bias, 35, 30).plain
    lines = text.splitlines()
    assert all(len(line) <= 35 for line in lines)
    from tui.widgets.theory_panel import lr_words, short
    for number in (f"lr {short(th.lr)}", f"best {short(th.best_lr)}", f"stable {short(th.stable_lr)}"):
        assert any(line.endswith(number) or number + " " in line for line in lines), number
    said = " ".join(line.strip() for line in lines)
    if th.curve is not None and th.curve.diverges_at_step and th.lr < th.stable_lr:
        assert "noise makes it diverge" in said and f"diverges at step {th.curve.diverges_at_step}" in lines[-1]
    else:
        assert lr_words(th.lr, th.best_lr, th.stable_lr) in said


def test_before_the_theory_comes_the_panel_says_so():
    assert "computed when the run is set up" in render_theory(None, 0, (), 0.0, 56, 16).plain


# --------------------------------------------------------------------------------------------- the race chart
def raced(configs, ticks: int = 0) -> RaceData:
    events: list = []
    ctl = RaceController(events.append)
    ctl.handle(c.Configure(configs))
    if ticks:
        ctl.handle(c.Toggle())
        while ctl.wants_steps:
            ctl.advance(50)
        ctl.flush(force=True)
    data = RaceData()
    for ev in events:
        if isinstance(ev, RaceSetup):
            data.start(ev)
        elif isinstance(ev, RaceTheorized):
            data.theorize(ev.lanes)
        elif isinstance(ev, RaceProgress):
            data.apply(ev)
    return data


@pytest.mark.parametrize("ticks", [0, 1])
async def test_the_race_draws_each_lanes_prediction_in_its_number(ticks):
    data = raced([SMALL, SMALL.replace(lr=0.01), SMALL.replace(optimizer="adam")], ticks)
    title, series, _ = await _drawn(CompareChart(), data)
    predicted = [s for s in series if s[0] in "12" and len(s[1]) == len(data.lanes[0].theory.theory.curve.mean)]
    assert {s[0] for s in series} >= {"1", "2"}
    assert "predicted" in title or "dots: predicted" in title
    lane1 = data.lanes[0].theory.theory.curve
    assert any(s[0] == "1" and s[2] == pytest.approx([__import__("math").log10(v) for v in lane1.mean])
               for s in predicted)
    if not ticks:
        assert not any(s[0] == "3" for s in series)  # adam: no theory, nothing drawn before it runs


@pytest.mark.parametrize("log_scale", [True, False])
async def test_before_the_race_the_predictions_title_names_the_axis_scale(log_scale):
    """The chart is on a log axis by default: before the race its title did not say so (the axis read 1.38 to
    −4.04, a negative loss); at 80 columns the shorter title still says it."""
    data = raced([SMALL, SMALL.replace(loss="mae")])
    for size in ((100, 30), (60, 20)):
        chart = CompareChart()
        chart.log_scale = log_scale
        title, _, text = await _drawn(chart, data, size)
        assert title.startswith("log10 predicted") == log_scale and "predicted" in title
        assert text.splitlines()[0].strip().startswith("log10 predicted" if log_scale else "predicted")


# ------------------------------------------------------------------------------------------------ the session
class _View(SessionView):
    def __init__(self):
        self.got = []

    def on_theory(self, theorized):
        self.got.append(("theory", theorized))

    def on_race_theory(self, lanes):
        self.got.append(("race", lanes))


class _Link:
    def send(self, command):
        pass

    def close(self):
        pass


def test_the_session_routes_the_theory_to_the_view():
    link = _Link()
    session = EngineSession(SMALL, lambda config: link)
    session.start()
    view = _View()
    session.subscribe(view)
    t = e.Theorized(None, "why")
    session.deliver(t, link)
    session.deliver(RaceTheorized((t, t)), link)
    assert view.got == [("theory", t), ("race", (t, t))]
    SessionView().on_theory(t)  # no-op by default


def test_a_direction_whose_error_has_not_moved_is_not_marked_grown():
    """At step 0 the run's float32 parameters give |error| / |start| = 1.0000001 on some directions: no ▶
    (grown) for round-off; a real growth still shows it."""
    from tui.widgets.theory_panel import _error_row

    assert "▶" not in str(_error_row("w[x0]", 6, 1.0000001, 1.0, 20))
    assert "▶" in str(_error_row("w[x0]", 6, 1.5, 1.0, 20))


def test_a_long_reason_for_no_curve_wraps_instead_of_being_cut():
    data = run_data(SMALL)
    th = data.theory.theory
    long = "1,000,000 rows × 2000 features × 1,600 steps: too costly to predict beside the run (`linreg theory` computes it)"
    from dataclasses import replace
    data.theory = replace(data.theory, theory=replace(th, curve=None, curve_reason=long))
    text = str(render_theory(data.theory, 0, data.weights, data.bias, 56, 30))
    said = [line for line in text.splitlines() if "costly" in line or "computes" in line or "rows ×" in line]
    assert said and all(len(line) <= 56 for line in said)  # every word on screen, none cut at the edge
    assert "computes it)" in text and "too costly" in text
