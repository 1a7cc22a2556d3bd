"""Guards for the app's message handlers."""
from __future__ import annotations

import functools


def unless_closing(handler):
    """For the engine's messages: ignored once the app is shutting down (its screens are gone while the
    engine's last messages still arrive): a state change would refresh the footer of a screen that is gone
    (ScreenStackError), and a failure would start a new engine."""
    @functools.wraps(handler)
    def guarded(self, message):
        if self.screen_stack:
            return handler(self, message)
        return None
    return guarded
