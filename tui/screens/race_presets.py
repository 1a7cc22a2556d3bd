"""R: choose a race. Presets make lanes from the current settings; the form's settings can be added as one
more lane to the race so far. Dismisses with the chosen key (a preset's name, "add", "again") or None."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from linreg_core.presets import PRESETS, preset


class RacePresetsScreen(ModalScreen):
    BINDINGS = [("escape,q", "dismiss_none", "Close")]

    def __init__(self, config, n_train: int | None, lanes_so_far: int):
        super().__init__()
        self.config, self.n_train, self.lanes_so_far = config, n_train, lanes_so_far

    def compose(self) -> ComposeResult:
        options = []
        for name, (what, _) in PRESETS.items():
            lanes = preset(name, self.config, self.n_train)
            options.append(Option(Text(f"{what} ({len(lanes)} lanes)"), id=name))
        if self.lanes_so_far:
            options.append(Option(Text(f"the last race again ({self.lanes_so_far} lanes)"), id="again"))
            options.append(Option(Text(f"the last race plus the form's settings as lane {self.lanes_so_far + 1}"),
                                  id="add"))
        with Vertical(id="race-presets"):
            yield Label("Race lanes on the same data and shuffles: Enter chooses, Escape closes.", id="race-presets-title")
            yield OptionList(*options, id="race-presets-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
