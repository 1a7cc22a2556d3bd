"""Following a diagnosis' advice: the setting changes of its first (best-ranked) cause applied to the config.

`linreg train --follow-advice N` and the app's `y` both go through apply(); follow() is the one loop (the
CLI's and the corpus test's): train, apply the first advice, train again, at most N times, stopping when a
run converges (within diagnosis.CONVERGED_PROGRESS of its loss' optimum), diverges past advice or has
nothing left to follow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..settings.config import Config
from ..model.diagnosis import Cause, Diagnosis
from ..settings.errors import LinregError
from ..model.results import Outcome


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
           on_start: Callable[[int, dict], None] | None = None,
           on_end: Callable[[Round, Cause | None, LinregError | None], None] | None = None,
           stopped: Callable[[], bool] = lambda: False) -> list[Round]:
    """The one advice loop (`linreg train --follow-advice`, the corpus test): train `config`, then follow
    the first advice up to `rounds` times. train(config) -> Summary. on_start(number, changes) before each
    training; on_end(round, advice to follow next or None, refusal) after it, where refusal is the
    LinregError of advice that a setting does not accept (the loop ends there). A run interrupted, or
    stopped() true, ends the loop without on_end. Returns every round in order (the last is the one to
    report)."""
    done: list[Round] = []
    changes, cause = {}, None
    for number in range(1, rounds + 2):
        if on_start is not None:
            on_start(number, changes)
        summary = train(config)
        done.append(Round(number, changes, cause, summary))
        if stopped() or summary.status == Outcome.INTERRUPTED:
            break
        advice = next_advice(summary.diagnosis, summary.converged) if number <= rounds else None
        refused, following = None, None
        if advice is not None:
            try:
                following = apply(config, advice)
            except LinregError as e:  # advice beyond what a setting accepts: said, and the loop ends
                refused, advice = e, None
        if on_end is not None:
            on_end(done[-1], advice, refused)
        if advice is None:
            break
        config, changes, cause = following, dict(advice.changes), advice.name
    return done
