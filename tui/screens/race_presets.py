"""R: choose a race. Presets make lanes from the current settings; the form's settings can be added as one
more lane to the race so far. Dismisses with the chosen key (a preset's name, "add", "again") or None."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from linreg_core.settings.presets import PRESETS, preset
from linreg_core.settings.config import MAX_LANES
from tui.screens.on_top import ClosesOnlyItself
from tui.text import plural


class RacePresetsScreen(ClosesOnlyItself, ModalScreen):
    BINDINGS = [("escape,q", "dismiss_none", "Close"),
                *[(str(i), f"choose({i})", f"Race {i}") for i in range(1, 8)]]

    def __init__(self, config, n_train: int | None, lanes_so_far: int):
        super().__init__()
        self.config, self.n_train, self.lanes_so_far = config, n_train, lanes_so_far

        def lanes(n: int) -> str:
            return f"{n} {plural(n, 'lane')}"

        # made here, not in compose: a number typed with the R that opens this screen reaches action_choose first
        choices = [(name, f"{what} ({lanes(len(preset(name, config, n_train)))})")
                   for name, (what, _) in PRESETS.items()]
        if lanes_so_far:
            choices.append(("again", f"the last race again ({lanes(lanes_so_far)})"))
            if lanes_so_far < MAX_LANES:
                choices.append(("add", f"the last race plus the form's settings as lane {lanes_so_far + 1}"))
        self.choices = [name for name, _ in choices]
        self.texts = [text for _, text in choices]

    def compose(self) -> ComposeResult:
        options = [Option(Text(f"{i}  {text}"), id=name)
                   for i, (name, text) in enumerate(zip(self.choices, self.texts), start=1)]
        with Vertical(id="race-presets"):
            yield Label("Race lanes on the same data and shuffles: a number or Enter chooses, Escape closes.",
                        id="race-presets-title")
            yield OptionList(*options, id="race-presets-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_choose(self, number: int) -> None:
        if 1 <= number <= len(self.choices):
            self.dismiss(self.choices[number - 1])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
