"""A race's lanes side by side, as plain values: what each lane changed, where it ended, how fast it came
near the optimum. Shared by the sweep's table, its JSON and the app's compare panel."""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..settings.config import FIELDS, LANE_FIELDS, Config
from ..training.race import Race
from ..model.results import DIVERGED, EpochResult, Status
from .summary import Summary, summarize

NEAR_OPTIMUM = 2.0  # "steps to near": the first epoch whose mean batch loss is within this factor of the optimum's


def varied_fields(configs: list[Config]) -> list[str]:
    """The lane settings that differ between the configs, in the form's order."""
    return [name for name in LANE_FIELDS if len({FIELDS[name].format(c.get(name)) for c in configs}) > 1]


def lane_settings(config: Config, varied: list[str]) -> dict[str, str]:
    """{setting: value as typed} of the varied settings."""
    return {name: FIELDS[name].format(config.get(name)) for name in varied}


def lane_label(config: Config, varied: list[str]) -> str:
    """"lr 0.01 adam": the lane's own values of what varies (the first lane of a one-lane race: its lr)."""
    shown = varied or ["lr"]
    return " ".join(f"{name.replace('_', ' ')} {FIELDS[name].format(config.get(name))}" if FIELDS[name].kind != "choice"
                    else FIELDS[name].format(config.get(name)) for name in shown)


@dataclass(frozen=True)
class LaneResult:
    lane: int  # 1-based, in the order the lanes were given
    settings: dict[str, str]  # the varied settings
    status: str
    diagnosis: str | None  # the diagnosis' kind (oscillating, stalled, not_converged, diverged) or None
    epochs: int
    steps: int
    final_loss: float  # the lane's own loss over all training samples, data units (nan: diverged past repair)
    test_loss: float | None
    lstsq_gap: float  # max over the parameters of |learned − the optimum of the lane's own loss|
    steps_to_near: int | None  # steps until an epoch's mean loss ≤ NEAR_OPTIMUM × the optimum's; None: never
    summary: Summary

    @property
    def mse(self) -> float:
        """Full-data MSE in data units: the one metric every lane shares, whatever loss it trains on."""
        return self.summary.train.mse

    @property
    def test_mse(self) -> float | None:
        return None if self.summary.test is None else self.summary.test.mse

    def as_dict(self) -> dict:
        """settings as JSON values (numbers as numbers), the rest as they are."""
        typed = {name: FIELDS[name].parse(text) for name, text in self.settings.items()}
        return {"lane": self.lane, "settings": typed, "status": self.status, "diagnosis": self.diagnosis,
                "epochs": self.epochs, "steps": self.steps, "final_loss": self.final_loss,
                "test_loss": self.test_loss, "mse": self.mse, "r2": self.summary.train.r2, "test_mse": self.test_mse,
                "verdict": self.summary.verdict, "loss": self.summary.optimum.loss,
                "optimum_gap": self.lstsq_gap, "lstsq_gap": self.lstsq_gap, "steps_to_near": self.steps_to_near,
                "summary": self.summary.as_dict()}


def steps_to_near(epochs: list[EpochResult], optimum_loss: float) -> int | None:
    """The steps done at the end of the first epoch whose mean batch loss is within NEAR_OPTIMUM × the
    optimum's loss (training units, as the epochs are logged); None when no epoch was."""
    limit = NEAR_OPTIMUM * optimum_loss
    return next((e.steps for e in epochs if e.loss_mean <= limit), None)


def lane_results(race: Race, histories: dict[int, list[EpochResult]], outcome: str | None = None) -> list[LaneResult]:
    """Every lane's result, in lane order. outcome: the status of lanes still running (e.g. interrupted)."""
    varied = varied_fields([lane.config for lane in race.lanes])
    out = []
    for i, lane in enumerate(race.lanes):
        s = summarize(lane, outcome if lane.status == Status.RUNNING and outcome else None)
        ls_w, ls_b = s.optimum.weights, s.optimum.bias
        gap = max(abs(a - b) for a, b in zip([*s.weights, s.bias], [*ls_w, ls_b]))
        optimum = lane.data_facts().optimum_loss
        out.append(LaneResult(i + 1, lane_settings(lane.config, varied), s.status,
                              None if s.diagnosis is None else s.diagnosis.kind, s.epochs, s.steps, s.train.loss,
                              None if s.test is None else s.test.loss, gap,
                              steps_to_near(histories.get(i, []), optimum), s))
    return out


def ranked(results: list[LaneResult]) -> list[LaneResult]:
    """Best first: by full-data MSE in data units (the test MSE when every lane has one) — one unit for every
    lane, whatever loss each trains on; diverged lanes and non-finite values last (in lane order)."""
    on_test = bool(results) and all(r.test_mse is not None for r in results)

    def key(r: LaneResult):
        value = r.test_mse if on_test else r.mse
        bad = r.status == DIVERGED or not math.isfinite(value)
        return (bad, value if not bad else 0.0, r.lane)
    return sorted(results, key=key)
