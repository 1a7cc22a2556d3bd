"""Past runs: the runs folder, newest first. Enter puts the chosen run's config into the form."""
from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from linreg_core.storage.runs import RunInfo, list_runs
from tui.screens.on_top import ClosesOnlyItself


def describe(run: RunInfo) -> str:
    """One line per run: when, how it ended, how far, the last loss, and its folder name."""
    when = time.strftime("%m-%d %H:%M", time.localtime(run.started)) if run.started else "?"
    loss = "" if run.last_loss is None else f"loss {run.last_loss:.3g}"
    what = run.name[16:] if run.name[:8].isdigit() else run.name  # the name after its time stamp (has the year)
    if run.damaged:  # what could be read is kept for reopening; the reason says what could not
        return f"{when}  {'damaged':<11} {what}: {run.damaged}"
    if run.status.startswith("race"):  # its lanes have their own epochs and losses (o overlays them)
        return f"{when}  {run.status:<31} {what}"
    return f"{when}  {run.status:<11} {run.epochs:>6} ep  {loss:<12} {what}"


class RunsScreen(ClosesOnlyItself, ModalScreen):
    """Dismisses with the chosen run's folder (a Path), or None. Marked runs (space) open the overlay (o)
    over the list."""

    BINDINGS = [("escape,q", "dismiss_none", "Close"), ("space", "mark", "Mark"), ("o", "overlay", "Overlay marked")]
    MAX_MARKED = 16

    def __init__(self, runs_dir: str | None):
        super().__init__()
        self.runs_dir = runs_dir
        self.runs = list_runs(runs_dir) if runs_dir else []
        self.marked: list[int] = []
        # made here, not in compose: p, then space or o typed in the same burst reach action_mark before the
        # screen is composed (a query for the list raised NoMatches)
        self.options = OptionList(*[Option(Text("  " + describe(r)), id=str(i)) for i, r in enumerate(self.runs)],
                                  id="runs-list")

    def compose(self) -> ComposeResult:
        with Vertical(id="runs"):
            if self.runs_dir is None:
                yield Label("Runs are not being kept (--no-save), so there is nothing to reopen.", id="runs-title")
            elif not self.runs:
                yield Label(f"No runs yet in {self.runs_dir}. Start one with space.", id="runs-title", markup=False)
            else:
                yield Label(f"Past runs in {self.runs_dir}: Enter reopens a run's settings; space marks runs "
                            "and o overlays their loss curves; Escape closes.", id="runs-title", markup=False)
            yield self.options

    def on_mount(self) -> None:
        self.options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # (two Enters typed fast select twice: the second arrives while this screen closes, and dismisses nothing)
        self.dismiss(self.runs[int(event.option.id)].folder)

    def action_mark(self) -> None:
        """Mark or unmark the highlighted run (a ✓ before it)."""
        options = self.options
        i = options.highlighted
        if i is None or not self.runs:
            return
        if i in self.marked:
            self.marked.remove(i)
        elif len(self.marked) >= self.MAX_MARKED:
            self.app.notify(f"at most {self.MAX_MARKED} runs overlay legibly", markup=False)
            return
        else:
            self.marked.append(i)
        mark = "✓ " if i in self.marked else "  "
        options.replace_option_prompt_at_index(i, Text(mark + describe(self.runs[i])))

    def action_overlay(self) -> None:
        if not self.marked:
            self.app.notify("mark runs with space first, then o overlays them", markup=False)
            return
        from linreg_core.storage.runs import lane_folders, read_run
        from tui.screens.overlay import OverlayScreen

        runs = [read_run(f) for i in self.marked for f in lane_folders(self.runs[i].folder)]
        self.app.push_screen(OverlayScreen(runs))  # over this list: Escape comes back to it, marks kept

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def settings_of(folder) -> tuple[list, bool]:
    """(the Configs a past run was made with, whether it was a race: then one per lane). Raises LinregError,
    which names the file and what is wrong with it, when a config cannot be read."""
    from linreg_core.settings import configfile
    from linreg_core.storage.runs import CONFIG, lane_folders

    lanes = lane_folders(folder)
    return [configfile.load(str(f / CONFIG)) for f in lanes], len(lanes) > 1 or lanes[0] != folder
