"""The microscope's numbers are the step the trainer took: its parameters before and after, exactly."""
import pytest
import torch

from linreg_core.config import Config
from linreg_core.microscope import last_step
from linreg_core.trainer import Trainer


def stepped(n=3, **options):
    t = Trainer(Config().replace(**options))
    assert last_step(t) is None  # nothing taken yet
    for _ in range(n):
        before = t.training_parameters()
        t.step()
    return t, before


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
@pytest.mark.parametrize("options", [{}, {"loss": "mse", "l1": 0.01, "l2": 0.1}, {"dtype": "float64",
                                                                                 "standardize": True}])
def test_before_and_after_are_the_trainers_parameters_exactly(optimizer, options):
    t, before = stepped(optimizer=optimizer, **options)
    rec = last_step(t)
    w, b = t.training_parameters()
    assert [p["after"] for p in rec["parameters"]] == [*w, b]
    assert [p["before"] for p in rec["parameters"]] == [*before[0], before[1]]
    assert rec["step"] == 2 and rec["batch"] == 2 and rec["optimizer"] == optimizer
    if optimizer == "sgd":  # the plain step: after = before − lr·(grad + penalties), in the run's dtype
        dtype = torch.float64 if options.get("dtype") == "float64" else torch.float32
        for p in rec["parameters"]:
            assert torch.tensor(p["before"], dtype=dtype) - torch.tensor(p["lr_grad"], dtype=dtype) == \
                torch.tensor(p["after"], dtype=dtype)
    if optimizer == "adam":
        assert rec["t"] == 3 and {"m", "v", "m_hat", "v_hat"} <= set(rec["parameters"][0]["state"])


def test_the_rows_are_the_batch_with_its_residuals_and_loss_gradient():
    t, _ = stepped(n=1)
    rec = last_step(t)
    assert rec["batch_rows"] == 16 and rec["rows_shown"] == 8 and len(rec["rows"]) == 8
    for row in rec["rows"]:
        assert row["residual"] == pytest.approx(row["y_hat"] - row["y"], rel=1e-6, abs=1e-6)
        assert abs(row["dloss_dyhat"]) == pytest.approx(1 / 16)  # MAE: sign(ŷ − y) / m
    grad_b = sum(r["dloss_dyhat"] for r in rec["rows"])  # the first 8 of 16 rows: part of ∂loss/∂b
    assert abs(grad_b) <= 0.5
    assert rec["parameters"][-1]["name"] == "b" and rec["parameters"][0]["name"] == "w[x0]"
