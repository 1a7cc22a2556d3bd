"""Save the current settings as a TOML config file (reopen with `linreg --config FILE`)."""
from __future__ import annotations

import os

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from linreg_core.settings import configfile
from linreg_core.settings.config import Config
from linreg_core.storage.export import write_file
from linreg_core.settings.outputs import same_file
from tui.screens.on_top import ClosesOnlyItself

DEFAULT_NAME = "linreg.toml"


class SaveConfigScreen(ClosesOnlyItself, ModalScreen):
    """Writes the file when Enter is pressed; a failed write says why and stays open to retry.
    Dismisses with the written path, or None."""

    BINDINGS = [("escape", "dismiss_none", "Cancel")]

    def __init__(self, config: Config, default_path: str = DEFAULT_NAME):
        super().__init__()
        self.config = config
        self.default_path = default_path
        self._confirmed: str | None = None  # the existing file the user agreed to replace

    def compose(self) -> ComposeResult:
        with Vertical(id="save"):
            yield Label("Save the current settings as (Enter saves, Escape cancels):")
            yield Input(self.default_path, id="save-path")
            yield Label("", id="save-error", markup=False)  # messages quote the path as typed

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not self.on_top:  # Enter, then a screen opened over this one (Ctrl+P): nothing is written unseen
            return
        path = event.value.strip()
        error = self.query_one("#save-error", Label)
        if not path:
            error.update("Type a file name, such as linreg.toml.")
            return
        full = os.path.abspath(os.path.expanduser(path))
        if os.path.isdir(full):
            error.update(f"{full} is a folder; type a file name inside it.")
            return
        for label, source in (("the CSV data", self.config.data.csv), ("the initial parameters",
                                                                        self.config.init_params)):
            if source and same_file(full, source):  # replacing it would destroy what this experiment reads
                error.update(f"{full} is {label} this experiment reads; choose another name.")
                return
        if os.path.exists(full) and self._confirmed != full:  # never replace a file without asking
            self._confirmed = full
            error.update(f"{full} exists. Press Enter again to replace it, or change the name.")
            return
        try:
            written = write_file(full, configfile.dumps(self.config))
        except OSError as e:
            error.update(f"Could not write {full}: {e.strerror or e}. Nothing was lost: fix the path and press "
                         "Enter again.")
            return
        self.dismiss(written)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
