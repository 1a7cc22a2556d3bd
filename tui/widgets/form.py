"""The parameters form: every engine setting, validated as typed with the engine's own parser.

A refused value says why under its field, in place. Values are applied when the user presses Enter or
leaves the field (not on every keystroke, so a half-typed CSV path is never loaded).
"""
from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Static

from linreg_core.settings.config import FIELDS

# The data source's own fields come first: the CSV path (typing one switches to CSV data, emptying it goes
# back to synthetic data), then either the CSV's columns or the synthetic draw's settings, never both.
GROUPS = {
    "data": ("csv", "target", "features", "weights", "bias", "samples", "noise"),
    "preparation": ("seed", "test_fraction", "standardize", "standardize_target"),
    "training": ("lr", "batch_size", "epochs", "loss", "optimizer", "schedule", "l1", "l2", "patience",
                 "tolerance"),
    "engine": ("init_params", "grads", "shuffle", "dtype", "device"),
}
CSV_ONLY = ("target", "features")
SYNTHETIC_ONLY = ("weights", "bias", "samples", "noise")


class FieldValidator(Validator):
    """Runs a field's own parser; never raises (a raising validator would crash the app)."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def validate(self, value: str) -> ValidationResult:
        try:
            FIELDS[self.name].parse(value)
        except Exception as e:  # noqa: BLE001 - any refusal becomes a message
            return self.failure(str(e))
        return self.success()


class ParameterForm(VerticalScroll):
    @dataclass
    class Applied(Message):
        """A field was committed (Enter or focus left) with a valid value."""

        name: str
        text: str

    def __init__(self, options: dict[str, str], **kwargs):
        super().__init__(**kwargs)
        self._initial = options
        self.errors: dict[str, str] = {}
        self._refused: dict[str, str] = {}  # field -> text the engine refused; sticky until the text changes
        self._before: dict[str, str] = {}  # input id -> its value when it was last entered
        self._entered = False  # the keys are in the form (told once each time it is entered)

    def compose(self) -> ComposeResult:
        for group, names in GROUPS.items():
            yield Static(group, classes="form-group", id=f"group-{group}")
            for name in names:
                f = FIELDS[name]
                only = "csv-only" if name in CSV_ONLY else "synthetic-only" if name in SYNTHETIC_ONLY else ""
                yield Label(f.label, classes=f"form-label {only}")
                placeholder = "|".join(f.choices) if f.choices else ("yes|no" if f.kind == "bool" else "")
                placeholder = {"csv": "none: synthetic data", "target": "the last column",
                               "features": "all but the target"}.get(name, placeholder)
                suggester = SuggestFromList(f.choices or (("yes", "no") if f.kind == "bool" else ()),
                                            case_sensitive=False) if (f.choices or f.kind == "bool") else None
                yield Input(self._initial.get(name, ""), id=f"field-{name}", placeholder=placeholder or f.help,
                            validators=[FieldValidator(name)], valid_empty=f.optional, suggester=suggester,
                            tooltip=f.help, validate_on=["changed", "submitted", "blur"], classes=only,
                            select_on_focus=False)  # a key typed after Tab adds to the value, never replaces it
                yield Label("", id=f"error-{name}", classes="form-error", markup=False)  # quotes user text

    def on_mount(self) -> None:
        self.show_source(bool(self._initial.get("csv")))

    def show_source(self, csv: bool) -> None:
        """Show the fields of the data source in use (the CSV's columns, or the synthetic draw's settings)."""
        self.set_class(csv, "source-csv")
        self.query_one("#group-data", Static).update("data: CSV file" if csv else "data: synthetic")

    def on_descendant_focus(self, event) -> None:
        """Tab (or a click) put the keys in a field: say so, once each time the form is entered."""
        if not self.is_field(event.widget):
            return
        self._before[event.widget.id] = event.widget.value  # Escape gives this back
        if not self._entered:
            self._entered = True
            label = FIELDS[self._field_of(event.widget)].label
            self.notify(f"editing {label}: keys now type into the form. Enter applies, Tab moves on, Escape "
                        "restores the field and goes back to the charts.", timeout=5, markup=False)

    def on_descendant_blur(self, event) -> None:
        if self.is_field(event.widget):
            self.call_after_refresh(self._after_blur)

    def _after_blur(self) -> None:
        if not self.is_field(self.app.focused):
            self._entered = False

    def is_field(self, widget) -> bool:
        """One of this form's fields (its Inputs are its children). Not `in self.query(Input)`: the app's
        check_action asks for every binding at every key, and walking the form's widgets each time took 12% of
        the app's time in a key storm."""
        return isinstance(widget, Input) and widget.parent is self

    def enter(self) -> None:
        """e (or Tab from the charts): into the first field, at once: keys typed in the same burst as `e` (a
        Tab, a value) are already queued, and must reach the field, not the app (Widget.focus() would move the
        focus only after them). Shown again when `f` hid the form."""
        self.display = True
        self.app.set_focus(self.first_field())

    def leave(self) -> None:
        """Escape: the field gets back the value it had when it was entered, and the keys go back to the app."""
        restored = self.restore_focused()
        if restored:
            self.notify(f"{restored}: restored", timeout=3, markup=False)
        self.app.set_focus(None)

    def type_forwarded(self, event) -> bool:
        """A character meant for a field is typed into it, even when it was routed elsewhere (the app calls
        this for every key that comes back to it unused). Textual routes each key by the focus when the app
        first sees it, then handles bindings when it comes back: in a burst (a fast typist over SSH, keys sent
        together) `e`, Tab and `0.1` are all routed before `e` has moved the focus, so the characters went to
        the screen, were not typed anywhere and came back unused. Such a character, while a field has the
        focus, is typed there, in the order the keys came (an Input stops every character it receives, so
        none is typed twice). True when it was typed."""
        field = self.app.focused
        if not (event.is_forwarded and event.is_printable and event.character is not None
                and self.is_field(field) and self.app.screen is self.screen):
            return False
        if field.selection.is_empty:
            field.insert_text_at_cursor(event.character)
        else:
            field.replace(event.character, *field.selection)
        return True

    def restore_focused(self) -> str | None:
        """Escape in a field: the value it had when it was entered comes back. Returns the field's label."""
        widget = self.screen.focused
        if not isinstance(widget, Input) or widget.id not in self._before:
            return None
        before = self._before[widget.id]
        if widget.value != before:
            widget.value = before
            self._show(widget, widget.validate(before))
            return FIELDS[self._field_of(widget)].label
        return None

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show(event.input, event.validation_result)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._commit(event.input, event.validation_result)

    def on_input_blurred(self, event: Input.Blurred) -> None:
        self._commit(event.input, event.validation_result)

    def _field_of(self, widget: Input) -> str:
        return widget.id.removeprefix("field-")

    def _show(self, widget: Input, result) -> None:
        name = self._field_of(widget)
        label = self.query_one(f"#error-{name}", Label)
        if self._refused.get(name) == widget.value:
            return  # the engine's refusal of this very text still stands
        self._refused.pop(name, None)
        if result is None or result.is_valid:
            if self.errors.pop(name, None) is not None:  # (an update would cost a layout pass: only on change)
                label.update("")
                label.display = False
        else:
            self.errors[name] = result.failure_descriptions[0]
            label.update(self.errors[name])
            label.display = True

    def _commit(self, widget: Input, result) -> None:
        self._show(widget, result)
        name = self._field_of(widget)
        if name not in self.errors and name not in self._refused:
            self._before[widget.id] = widget.value  # Escape from here on gives this back
            self.post_message(self.Applied(name, widget.value))

    def set_value(self, name: str, text: str) -> None:
        """Change a field from code (keys such as lr ×2); validated like typing."""
        widget = self.query_one(f"#field-{name}", Input)
        widget.value = text
        self._before[widget.id] = text
        self._show(widget, widget.validate(text))

    def show_error(self, name: str, message: str) -> None:
        """An error found later (e.g. the engine could not read the CSV file). A setting the form does not
        hold is only notified by the app."""
        if name not in FIELDS:
            return
        self.errors[name] = message
        self._refused[name] = self.query_one(f"#field-{name}", Input).value
        label = self.query_one(f"#error-{name}", Label)
        label.update(message)
        label.display = True

    def values(self) -> dict[str, str]:
        return {name: self.query_one(f"#field-{name}", Input).value for name in FIELDS}

    def focus_first(self) -> None:
        self.query_one(Input).focus()

    def first_field(self) -> Input:
        return self.query_one(Input)
