"""A schedule stretched by continue: a finished cosine run continued for `epochs` more follows the cosine over
the new length (trainer.extend: "a schedule stretches over the new length"). The rate checked is the one each
step really used, read off the parameters' move (full-batch plain gradient descent on MSE: Δθ = −lr·∇L, with
∇L computed here from the training data), not the rate the trainer reports."""
import pytest
import torch

from linreg_core.model import schedules
from linreg_core.session import commands as c
from linreg_core.session.controller import RunController
from linreg_core.session.events import Progress
from linreg_core.settings.config import Config
from linreg_core.training.trainer import Trainer, trainer_for

EPOCHS, BASE = 4, 0.2
OPTIONS = {"loss": "mse", "optimizer": "sgd", "samples": "64", "batch_size": "64", "epochs": str(EPOCHS),
           "schedule": "cosine", "lr": str(BASE), "dtype": "float64"}


def _theta(t: Trainer) -> torch.Tensor:
    w, b = t.parameters()  # data units: no standardizing here, so the training units too
    return torch.tensor([*w, b], dtype=torch.float64)


def _gradient(t: Trainer, theta: torch.Tensor) -> torch.Tensor:
    """∇ of mean((Xw + b − y)²) over the whole training set (the batch is all of it)."""
    X, y = t.split.X_train.double(), t.split.y_train.double().reshape(-1)
    A = torch.cat([X, torch.ones(len(X), 1, dtype=torch.float64)], dim=1)  # (n, d + 1)
    return 2 * A.T @ (A @ theta - y) / len(X)


def _used_rates(t: Trainer) -> list[tuple[int, float]]:
    """(epoch, the rate the step used) for each step until the run ends."""
    used = []
    while True:
        before = _theta(t)
        results = list(t.run(max_steps=1))
        if not results:
            return used
        g = _gradient(t, before)
        used.append((results[0].epoch, float(-(_theta(t) - before) @ g / (g @ g))))


def test_a_finished_cosine_run_continued_follows_the_cosine_over_the_new_length():
    t = trainer_for(Config.from_options(OPTIONS))
    first = _used_rates(t)
    assert t.status == "finished" and [e for e, _ in first] == list(range(EPOCHS))  # one step an epoch
    for epoch, lr in first:
        assert lr == pytest.approx(BASE * schedules.factor("cosine", epoch, EPOCHS), rel=1e-9, abs=1e-12)
    t.extend(EPOCHS)
    more = _used_rates(t)
    assert t.status == "finished" and [e for e, _ in more] == list(range(EPOCHS, 2 * EPOCHS))
    for epoch, lr in more:
        assert lr == pytest.approx(BASE * schedules.factor("cosine", epoch, 2 * EPOCHS), rel=1e-9, abs=1e-12)
    assert more[0][1] > 0.1 * BASE  # stretched: not the ~0 the old length's cosine would have left


def test_continue_through_the_controller_reports_the_stretched_rate():
    """Continue (the app's c) after the end: the Progress the listener gets carries the rate of the new length."""
    events = []
    ctl = RunController(events.append)
    ctl.handle(c.Configure(Config.from_options(OPTIONS)))
    ctl.handle(c.Start())
    while ctl.wants_steps:
        ctl.advance(1)
    assert ctl.state == "finished"
    ctl.handle(c.Continue())
    ctl.advance(1)  # the first step of epoch EPOCHS; the next epoch's rate is set at its end
    ctl.flush(force=True)
    rate = [e for e in events if isinstance(e, Progress)][-1].lr
    assert rate == pytest.approx(BASE * schedules.factor("cosine", EPOCHS + 1, 2 * EPOCHS), rel=1e-9)
