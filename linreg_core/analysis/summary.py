"""The end of a run as plain values: learned against true and least-squares parameters, and metrics."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..model.diagnosis import CONVERGED_PROGRESS, Diagnosis
from ..model.optimum import Optimum
from ..model.reference import Metrics, metrics
from ..model.results import Divergence, Outcome
from ..training.trainer import Trainer


@dataclass(frozen=True)
class Summary:
    status: str  # finished, early_stopped, diverged, interrupted
    epochs: int  # completed epochs
    steps: int
    weights: tuple[float, ...]  # learned, in data units
    bias: float
    true_weights: tuple[float, ...] | None  # None for CSV data
    true_bias: float | None
    ls_weights: tuple[float, ...]  # the least-squares optimum on the training samples
    ls_bias: float
    train: Metrics
    test: Metrics | None
    ls_train: Metrics  # the least-squares optimum's own fit of the training samples: the best MSE and R²
    optimum: Optimum  # the minimizer of the run's own loss (least squares for MSE)
    optimum_train: Metrics  # its fit of the training samples: the best loss any linear fit reaches there
    progress: float  # the share of the way from a constant prediction's loss to the optimum's (1: there)
    verdict: str  # converged | not converged | diverged | interrupted | stopped (see verdict_of)
    feature_names: tuple[str, ...]
    target_name: str
    config: dict  # Config.to_values(): the settings at the run's end, as JSON values
    divergence: Divergence | None
    diagnosis: Diagnosis | None  # what went wrong and why (diagnosis.py); None: nothing seen
    notices: tuple[str, ...]

    def as_dict(self) -> dict:
        """The JSON summary's shape (see the README). Floats may still be non-finite: see export.strict_json."""
        return {
            "status": self.status, "epochs": self.epochs, "steps": self.steps,
            "weights": list(self.weights), "bias": self.bias,
            "true_weights": None if self.true_weights is None else list(self.true_weights),
            "true_bias": self.true_bias,
            "least_squares": {"weights": list(self.ls_weights), "bias": self.ls_bias,
                              "metrics": self.ls_train.as_dict()},
            "optimum": {**self.optimum.as_dict(), "metrics": self.optimum_train.as_dict()},
            "progress": self.progress, "verdict": self.verdict,
            "metrics": {"train": self.train.as_dict(), "test": None if self.test is None else self.test.as_dict()},
            "feature_names": list(self.feature_names), "target_name": self.target_name,
            "divergence": None if self.divergence is None else asdict(self.divergence),
            "diagnosis": None if self.diagnosis is None else self.diagnosis.as_dict(),
            "notices": list(self.notices),
            "config": self.config,
        }


    @property
    def converged(self) -> bool:
        return self.verdict == "converged"


def verdict_of(status: str, progress: float) -> str:
    """"converged" only for a run that ended within CONVERGED_PROGRESS (99%) of the way from a constant
    prediction's loss to its loss' optimum; a run that ended short of it "not converged"."""
    if status in (Outcome.FINISHED, Outcome.EARLY_STOPPED):
        return "converged" if progress >= CONVERGED_PROGRESS else "not converged"
    return status.replace("_", " ")


def summarize(trainer: Trainer, status: str | None = None) -> Summary:
    """Everything worth reporting about a trainer's current state; `status` overrides (e.g. interrupted)."""
    split, ds = trainer.split, trainer.experiment.dataset
    ls_w, ls_b = trainer.least_squares()
    loss = trainer.config.train.loss
    weights, bias = trainer.parameters()  # data units: the metrics are computed on the float64 data
    best = trainer.loss_optimum()
    status = status or trainer.status
    progress = trainer.data_facts().progress(trainer.full_loss())
    return Summary(
        status=status, epochs=trainer.epoch, steps=trainer.steps,
        weights=tuple(weights), bias=bias, true_weights=ds.true_weights, true_bias=ds.true_bias,
        ls_weights=tuple(ls_w), ls_bias=ls_b,
        train=metrics(*split.raw_train, weights, bias, loss),
        test=None if split.raw_test is None else metrics(*split.raw_test, weights, bias, loss),
        ls_train=metrics(*split.raw_train, ls_w, ls_b, loss),
        optimum=best, optimum_train=metrics(*split.raw_train, best.weights, best.bias, loss),
        progress=progress, verdict=verdict_of(status, progress),
        feature_names=ds.feature_names, target_name=ds.target_name, config=trainer.config.to_values(),
        divergence=trainer.divergence, diagnosis=trainer.diagnosis, notices=tuple(trainer.notices),
    )
