"""The race chart in one unit: lanes of different losses are drawn by their full-data MSE, and the title
says so; lanes of one loss by their own epoch mean loss."""
from textual.app import App

from linreg_core.settings.config import Config
from linreg_core.session import commands as c
from linreg_core.session.race_controller import RaceController, RaceProgress, RaceSetup
from tui.race_data import RaceData
from tui.widgets.compare_chart import CompareChart

SMALL = Config().replace(samples=64, weights=(3.0, -2.0), bias=0.5, noise=0.1, epochs=4, lr=0.05)


def raced(configs) -> RaceData:
    events = []
    ctl = RaceController(events.append)
    ctl.handle(c.Configure(configs))
    ctl.handle(c.Toggle())
    while ctl.wants_steps:
        ctl.advance(50)
    ctl.flush(force=True)
    data = RaceData()
    data.start(next(e for e in events if isinstance(e, RaceSetup)))
    for e in events:
        if isinstance(e, RaceProgress):
            data.apply(e)
    return data


class _Host(App):
    def compose(self):
        yield CompareChart()


async def _title(data) -> tuple[str, list]:
    app = _Host()
    titles = []
    async with app.run_test(size=(140, 30)) as pilot:
        chart = app.query_one(CompareChart)
        original = chart.set_title
        chart.set_title = lambda plt, text, *a: (titles.append(text), original(plt, text, *a))
        chart.redraw(data)
        await pilot.pause()
    return titles[-1]


async def test_lanes_of_different_losses_are_drawn_by_full_data_mse():
    data = raced([SMALL.replace(loss=loss) for loss in ("mae", "mse", "huber")])
    assert data.common_metric
    assert (await _title(data)).startswith("log10 full-data MSE per lane: their losses differ")
    mse_lane = data.lanes[1]  # the MSE lane's own loss is the MSE of its batches, not of the full data
    assert all(m == m and m > 0 for lane in data.lanes for m in lane.mses) and mse_lane.mses != mse_lane.losses


async def test_lanes_of_one_loss_are_drawn_by_their_own_loss():
    data = raced([SMALL.replace(lr=lr) for lr in (0.01, 0.05)])
    assert not data.common_metric
    assert (await _title(data)).startswith("log10 epoch mean loss per lane")
