"""Ctrl+P: Textual's command palette, deaf once it is closing."""
from __future__ import annotations

from textual import on
from textual.events import Mount
from textual.command import CommandPalette as TextualPalette
from textual.widgets import Input, OptionList

from tui.screens.on_top import ClosesOnlyItself


class CommandPalette(ClosesOnlyItself, TextualPalette):
    """Textual's palette still handles the keys that were typed just before it closed: Enter then a letter
    typed fast, and the letter started a search whose worker found the palette's list gone (NoMatches, which
    ended the app); Enter Enter ran the chosen command twice, the second dismiss closing the screen under the
    palette. Once the palette is not on top, its field's changes, submits and selections are dropped.
    Ctrl+P then Escape typed fast closed it before it was mounted; its mount then searched a list it never
    made (NoMatches ended the app): a palette closed before its mount does not start its search."""

    @on(Mount)
    def _not_once_closed(self, event: Mount) -> None:
        if self not in self.app.screen_stack:
            event.prevent_default()  # Textual's _on_mount (the search) is not called

    @on(Input.Changed)
    @on(Input.Submitted)
    @on(OptionList.OptionSelected)
    def _not_once_closing(self, event) -> None:
        if not self.on_top:
            event.stop()
            event.prevent_default()  # Textual's own handlers (its base class's) are not called
