"""Following a diagnosis' advice: the setting changes of its first (best-ranked) cause applied to the config.

`linreg train --follow-advice N` and the app's `A` both go through apply(); follow() is the headless loop:
train, apply the first advice, train again, at most N times, stopping when a run converges (within
diagnosis.CONVERGED_PROGRESS of its loss' optimum), diverges past advice or has nothing left to follow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .config import Config
from .diagnosis import Cause, Diagnosis


@dataclass(frozen=True)
class Round:
    """One training of the loop: what was changed before it (empty for the first) and how it ended."""

    number: int  # 1: the settings as given
    changes: dict  # {setting: new value}
    cause: str | None  # the cause whose advice these changes follow
    summary: object  # summary.Summary

    def as_dict(self) -> dict:
        return {"round": self.number, "changes": self.changes, "cause": self.cause, "summary": self.summary.as_dict()}


def apply(config: Config, cause: Cause) -> Config:
    """The config with the cause's changes (values checked by Config's own fields)."""
    return config.replace(**cause.changes)


def next_advice(diagnosis: Diagnosis | None, converged: bool) -> Cause | None:
    """The advice to follow after a run: none when it converged or nothing can be set to help."""
    if converged or diagnosis is None:
        return None
    return diagnosis.advice


def follow(config: Config, rounds: int, train: Callable[[Config], object],
           on_round: Callable[[Round], None] | None = None) -> list[Round]:
    """Train `config`, then follow the advice up to `rounds` times. train(config) -> Summary; returns every
    round in order (the last is the run to report)."""
    done: list[Round] = []
    changes, cause = {}, None
    for number in range(1, rounds + 2):
        summary = train(config)
        done.append(Round(number, changes, cause, summary))
        if on_round is not None:
            on_round(done[-1])
        advice = next_advice(summary.diagnosis, summary.converged)
        if advice is None or number == rounds + 1 or summary.status == "interrupted":
            break
        config, changes, cause = apply(config, advice), dict(advice.changes), advice.name
    return done
