"""Keys typed in one burst (a terminal delivers them in one read, parsed into events before the first is
handled) reach the field they were aimed at, in order: `e`, Tabs to the learning rate, a new value, Tab, a
new batch size, Enter."""
from textual import events

from tests.tui.conftest import wait_until
from tests.tui.test_app import ready
from tui.widgets.form import ParameterForm

NAMED = {"tab": "\t", "backspace": "\x7f", "enter": "\r", "full_stop": "."}


def burst(app, keys: list[str]) -> None:
    """Queue every key event at once, as a burst from the terminal is: none is handled before the last is
    queued (Pilot.press would let the app handle each key before sending the next)."""
    for key in keys:
        app.post_message(events.Key(key, NAMED.get(key, key if len(key) == 1 else None)))


async def test_an_edit_burst_reaches_the_fields_it_was_aimed_at(app_factory):
    app = app_factory()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        form = app.query_one(ParameterForm)
        chain = [w.id for w in app.screen.focus_chain if w.parent is form]  # the fields, in Tab order
        to_lr = chain.index("field-lr") - 0  # Tabs from the first field to the learning rate
        assert chain[to_lr + 1] == "field-batch_size"
        burst(app, ["e", *["tab"] * to_lr, *["backspace"] * 4, "0", "full_stop", "1", "tab",
                    *["backspace"] * 2, "6", "4", "enter"])
        await wait_until(pilot, lambda: app.main_screen.config.train.batch_size == 64, what="the burst's batch size applied")
        assert app.main_screen.config.train.lr == 0.1
        values = form.values()
        assert values["lr"] == "0.1" and values["batch_size"] == "64"
