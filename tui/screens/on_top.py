"""Screens that close only themselves."""
from __future__ import annotations

import asyncio

from textual.await_complete import AwaitComplete
from textual.app import ScreenStackError


class ClosesOnlyItself:
    """Mixed into a Screen (before it): dismiss() acts only while this screen is the one on top.

    Textual's dismiss() calls this screen's callback and pops whatever screen is on top. A message handler
    runs after the keys typed before it were read, so Enter then Ctrl+P typed fast dismissed the command
    palette instead (its search worker then found no list and ended the app) and reopened a run under it, and
    Enter Enter in the race presets started the race twice, the second closing the first. `is_current` is no
    guard: it is also true under a modal screen such as the palette. A dismiss while another screen is on
    top, or once this one is closing, does nothing: the screen stays as the user last saw it."""

    @property
    def on_top(self) -> bool:
        try:
            return self.app.screen is self
        except ScreenStackError:  # the app is closing: no screens left
            return False

    def dismiss(self, result=None) -> AwaitComplete:
        if not self.on_top:
            return AwaitComplete(asyncio.sleep(0))
        return super().dismiss(result)

    def dismiss_covered(self, result=None) -> None:
        """Close this screen and whatever was opened over it (the help over the race): for news that ends it
        whatever is on screen (the engine failed, or refused the race)."""
        if self not in self.app.screen_stack:
            return
        while not self.on_top:
            self.app.pop_screen()
        self.dismiss(result)
