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

from linreg_core.config import FIELDS

GROUPS = {
    "experiment": ("weights", "bias", "samples", "noise", "seed", "test_fraction", "standardize"),
    "training": ("lr", "batch_size", "epochs", "loss", "optimizer", "schedule", "l1", "l2", "patience",
                 "tolerance"),
    "CSV data": ("csv", "target", "features"),
    "engine": ("init_params", "grads", "shuffle", "dtype", "device"),
}


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

    def compose(self) -> ComposeResult:
        for group, names in GROUPS.items():
            yield Static(group, classes="form-group")
            for name in names:
                f = FIELDS[name]
                yield Label(f.label, classes="form-label")
                placeholder = "|".join(f.choices) if f.choices else ("yes|no" if f.kind == "bool" else "")
                suggester = SuggestFromList(f.choices or (("yes", "no") if f.kind == "bool" else ()),
                                            case_sensitive=False) if (f.choices or f.kind == "bool") else None
                yield Input(self._initial.get(name, ""), id=f"field-{name}", placeholder=placeholder or f.help,
                            validators=[FieldValidator(name)], valid_empty=f.optional, suggester=suggester,
                            tooltip=f.help, validate_on=["changed", "submitted", "blur"])
                yield Label("", id=f"error-{name}", classes="form-error", markup=False)  # quotes user text

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
            self.post_message(self.Applied(name, widget.value))

    def set_value(self, name: str, text: str) -> None:
        """Change a field from code (keys such as lr ×2); validated like typing."""
        widget = self.query_one(f"#field-{name}", Input)
        widget.value = text
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
