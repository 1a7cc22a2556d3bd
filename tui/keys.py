"""The main screen's keys: one table of (key, action, description), what the footer shows, which actions are
engine commands, and the key names as a person reads them (the help screen, the command palette)."""
from __future__ import annotations

from textual.binding import Binding

from linreg_core.session import commands as c

PANELS = (("fit", "1 fit"), ("loss", "2 loss"), ("params", "3 params"), ("table", "4 table"), ("log", "5 log"),
          ("surface", "6 surface"), ("theory", "7 theory"))
# the footer's keys; the rest are on the help screen (retry_save and continue_run show only when they apply:
# after a failed write, after a finished or stopped run)
FOOTER_KEYS = {"toggle_run", "step", "stop", "reset", "lr_up", "lr_down", "edit", "help", "quit", "race",
               "retry_save", "continue_run", "leave_form", "help_in_field"}
# key actions that are run commands, and the command each sends (its type: states.can greys the key out)
RUN_COMMANDS = {"toggle_run": c.Toggle, "step": c.Step, "epoch": c.Epoch, "stop": c.Stop, "reset": c.Reset,
                     "continue_run": c.Continue}
EDIT_ACTIONS = {"leave_form", "help_in_field"}  # the keys that act while a field has the focus (Escape, F1)
KEY_NAMES = {"asterisk": "*", "slash": "/", "left_square_bracket": "[", "right_square_bracket": "]",
             "question_mark": "?", "plus": "+", "equals_sign": "=", "minus": "-", "N": "shift+n"}

# The app's own keys: they work on every screen that does not take them itself (the race does its own speed).
APP_ACTIONS = {"help", "quit", "speed", "screenshot"}
APP_BINDINGS = [
    Binding("question_mark", "help", "Help", show=True),
    Binding("q", "quit", "Quit", show=True),
    Binding("plus,equals_sign", "speed(1)", "Faster", show=False),
    Binding("minus", "speed(-1)", "Slower", show=False),
    Binding("P", "screenshot", "Screenshot (SVG)", show=False),
    Binding("ctrl+c", "quit", "Quit", show=False),
]
# The main screen's keys (tui/screens/main.py): they act only while it is on top.
SCREEN_BINDINGS = [
    Binding(key, action, description, show=action.removeprefix("app.") in FOOTER_KEYS)
    for key, action, description in [
        ("question_mark", "app.help", "Help"),  # first (the app's too): the footer keeps help and quit on an
        ("q", "app.quit", "Quit"),  # 80-column screen, and a screen's keys come before the app's
        ("space", "toggle_run", "Start/Pause"),
        ("n", "step", "Step"),
        ("N", "epoch", "Epoch"),
        ("x", "stop", "Stop"),
        ("c", "continue_run", "Continue"),
        ("r", "reset", "Reset"),
        ("asterisk", "lr_up", "lr×2"),
        ("slash", "lr_down", "lr÷2"),
        ("e", "edit", "Edit"),
        ("f", "toggle_form", "Hide/show form"),
        ("d", "new_data", "New data"),
        ("left_square_bracket", "feature(-1)", "Prev feature"),
        ("right_square_bracket", "feature(1)", "Next feature"),
        ("v", "cycle_view", "Fit view"),
        ("l", "cycle('loss')", "Cycle loss"),
        ("o", "cycle('optimizer')", "Cycle optimizer"),
        ("g", "toggle_log", "Log scale"),
        ("s", "save_config", "Save config"),
        ("p", "past_runs", "Past runs"),
        ("R", "race", "Race"),
        ("m", "microscope", "Microscope"),
        ("a", "surface_axis(0)", "Surface: next x parameter"),
        ("A", "surface_axis(1)", "Surface: next y parameter"),
        ("z", "surface_zoom(2)", "Surface: zoom in"),
        ("Z", "surface_zoom(0.5)", "Surface: zoom out"),
        ("t", "surface_hold", "Surface: others at now/optimum"),
        ("y", "follow_advice", "Follow the diagnosis' advice"),
        ("w", "retry_save", "Retry save"),
        ("escape", "leave_form", "Back (restores the field)"),
        ("f1", "help_in_field", "Help"),  # ? types into a field: F1 is help there
        ("pageup", "scroll_panel('page_up')", "Scroll up"),
        ("pagedown", "scroll_panel('page_down')", "Scroll down"),
        ("home", "scroll_panel('home')", "Scroll to top"),
        ("end", "scroll_panel('end')", "Scroll to end"),
        *[(str(i + 1), f"panel('{name}')", title) for i, (name, title) in enumerate(PANELS)],
    ]
]
HELP_BINDINGS = SCREEN_BINDINGS + APP_BINDINGS[2:]  # every key the help screen and the palette list
OWN_ACTIONS = {b.action.split("(")[0].removeprefix("app.") for b in SCREEN_BINDINGS}


def key_table(bindings) -> list[tuple[str, str]]:
    """(keys as a person reads them, description) for the help screen and the command palette."""
    def shown(keys: str) -> str:
        return " ".join(KEY_NAMES.get(k, k) for k in keys.split(","))
    merged: dict[str, list[str]] = {}  # description -> keys (? and F1 are both Help)
    for b in bindings:
        merged.setdefault(b.description, []).append(shown(b.key))
    return [(" ".join(keys), description) for description, keys in merged.items()]
