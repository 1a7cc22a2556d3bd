"""The engine sends the theory with each new experiment (events.Theorized; a race: RaceTheorized), as plain
values the app can unpickle without torch, equal to analysis.theory's for the same settings."""
from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from linreg_core.analysis.theory import Theory, theory
from linreg_core.session import commands as c
from linreg_core.session.controller import RunController
from linreg_core.session.events import Setup, Theorized
from linreg_core.session.race_controller import RaceController, RaceSetup, RaceTheorized
from linreg_core.settings.config import Config

SMALL = Config().replace(samples=64, weights=(3.0, -2.0), bias=0.5, noise=0.1, epochs=4, lr=0.05, loss="mse")


def _configured(config: Config):
    events: list = []
    ctl = RunController(events.append)
    ctl.handle(c.Configure(config))
    return ctl, events


def _theorized(events) -> list[Theorized]:
    return [e for e in events if isinstance(e, Theorized)]


def test_mse_sends_the_prediction_right_after_the_setup():
    ctl, events = _configured(SMALL)
    kinds = [type(e) for e in events]
    assert Theorized in kinds and kinds.index(Theorized) == kinds.index(Setup) + 1
    sent = _theorized(events)[-1].theory
    want = theory(ctl.trainer.config, ctl.trainer.experiment)
    assert isinstance(want, Theory) and sent.curve is not None
    assert list(sent.curve.mean) == pytest.approx(list(want.prediction.epoch_mean), rel=1e-12)
    assert sent.curve.epochs == tuple(range(SMALL.train.epochs))
    assert sent.eigenvalues == want.spectrum.eigenvalues and sent.lr == SMALL.train.lr
    assert sent.curve.kind == want.prediction.kind and sent.stable_lr == want.stable_lr


def test_full_batch_is_exact_and_its_error_shrinks_by_the_rate():
    _, events = _configured(SMALL.replace(batch_size=64, epochs=6))
    th = _theorized(events)[-1].theory
    assert th.curve.kind == "exact"
    for got, rate in zip(th.predicted_error(5), th.rates):
        assert got == pytest.approx(rate ** 5, rel=1e-9)


@pytest.mark.parametrize("values, word", [(dict(loss="mae"), "MAE"), (dict(optimizer="adam"), "adam"),
                                          (dict(loss="huber"), "HUBER")])
def test_no_theory_sends_the_reason(values, word):
    _, events = _configured(SMALL.replace(**values))
    sent = _theorized(events)[-1]
    assert sent.theory is None and word in sent.reason


def test_a_new_lr_sends_a_new_prediction_and_a_reset_the_same_again():
    ctl, events = _configured(SMALL)
    first = _theorized(events)[-1]
    ctl.handle(c.SetLr(0.01))
    second = _theorized(events)[-1]
    assert second is not first and second.theory.lr == 0.01
    assert second.theory.curve.mean != first.theory.curve.mean
    want = theory(ctl.trainer.config, ctl.trainer.experiment)
    assert list(second.theory.curve.mean) == pytest.approx(list(want.prediction.epoch_mean), rel=1e-12)
    count = len(_theorized(events))
    ctl.handle(c.Reset())
    assert len(_theorized(events)) == count + 1 and _theorized(events)[-1] is second  # not computed again


def test_no_steps_send_no_theory():
    ctl, events = _configured(SMALL)
    count = len(_theorized(events))
    ctl.handle(c.Toggle())
    while ctl.wants_steps:
        ctl.advance(20)
    assert len(_theorized(events)) == count


def test_error_along_takes_data_units_to_the_theorys():
    config = SMALL.replace(standardize=True, standardize_target=True, dtype="float64")
    ctl, events = _configured(config)
    th = _theorized(events)[-1].theory
    want = theory(ctl.trainer.config, ctl.trainer.experiment)
    w, b = ctl.trainer.parameters()  # data units
    assert th.error_along(w, b) == pytest.approx(want.directions.initial_error, rel=1e-9, abs=1e-12)
    wt, bt = ctl.trainer.training_parameters()
    assert th.error_along(w, b) == pytest.approx(want.error_along(wt, bt), rel=1e-9, abs=1e-12)


def test_a_race_sends_each_lanes_theory():
    events: list = []
    ctl = RaceController(events.append)
    ctl.handle(c.Configure([SMALL, SMALL.replace(lr=0.01), SMALL.replace(loss="mae")]))
    kinds = [type(e) for e in events]
    assert kinds.index(RaceTheorized) == kinds.index(RaceSetup) + 1
    lanes = [e for e in events if isinstance(e, RaceTheorized)][-1].lanes
    assert len(lanes) == 3 and lanes[2].theory is None and "MAE" in lanes[2].reason
    for lane, sent in zip(ctl.race.lanes[:2], lanes[:2]):
        want = theory(lane.config, lane.experiment)
        assert list(sent.theory.curve.mean) == pytest.approx(list(want.prediction.epoch_mean), rel=1e-12)
    ctl.handle(c.ScaleLr(2.0))
    scaled = [e for e in events if isinstance(e, RaceTheorized)][-1].lanes
    assert scaled[0].theory.lr == pytest.approx(2 * SMALL.train.lr)


def test_what_is_sent_unpickles_without_torch():
    _, events = _configured(SMALL)
    blob = pickle.dumps(_theorized(events)[-1])
    code = ("import pickle, sys; t = pickle.loads(sys.stdin.buffer.read()); "
            "t.theory.error_along((1.0, 2.0), 0.0); t.theory.predicted_error(3); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, check=True).stdout
    assert out.strip() == b"False"
