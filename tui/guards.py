"""Guards for the app's message handlers."""
from __future__ import annotations

import functools


def unless_closing(handler):
    """For the engine's messages: ignored once the app is shutting down (its screens are gone while the
    engine's last messages still arrive): a state change would refresh the footer of a screen that is gone
    (ScreenStackError), and a failure would start a new engine."""
    @functools.wraps(handler)
    def guarded(self, message):
        try:
            stack = self.app.screen_stack  # (an App's own `app` is itself; a screen's is its app)
        except RuntimeError:  # Textual's NoActiveAppError: the app has ended (a late message to its screen)
            return None
        if stack:
            return handler(self, message)
        return None
    return guarded
