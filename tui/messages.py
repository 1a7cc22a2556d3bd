"""The one message the engine's pump posts to the app: an engine event (linreg_core/session/events.py,
race_controller.py) with the link it came on. The app hands it to its EngineSession (tui/session.py), which
decodes it by one table and routes it to the view on top."""
from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class EngineEvent(Message):
    event: object  # a plain, typed value
    link: object  # the EngineClient it arrived on (a stopped engine's late events are dropped)
