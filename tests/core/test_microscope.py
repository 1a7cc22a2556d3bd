"""The microscope's numbers are the step the trainer took: its parameters before and after, exactly."""
import pytest
import torch

from linreg_core.settings.config import Config
from linreg_core.analysis.microscope import last_step
from linreg_core.training.trainer import trainer_for


def stepped(n=3, **options):
    t = trainer_for(Config().replace(**options))
    assert last_step(t) is None  # nothing taken yet
    for _ in range(n):
        before = t.training_parameters()
        t.step()
    return t, before


OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("options", [{}, {"loss": "mse", "l1": 0.01, "l2": 0.1}, {"dtype": "float64",
                                                                                 "standardize": True}])
def test_before_and_after_are_the_trainers_parameters_exactly(optimizer, options):
    t, before = stepped(optimizer=optimizer, **options)
    rec = last_step(t)
    w, b = t.training_parameters()
    assert [p["after"] for p in rec["parameters"]] == [*w, b]
    assert [p["before"] for p in rec["parameters"]] == [*before[0], before[1]]
    assert rec["step"] == 3 and rec["batch"] == 3 and rec["optimizer"] == optimizer  # counted from 1
    dtype = torch.float64 if options.get("dtype") == "float64" else torch.float32
    for p in rec["parameters"]:  # Δp is the step taken; the rule's update is what it subtracted, bit for bit
        assert p["delta"] == p["after"] - p["before"]
        before_t, update_t = torch.tensor(p["before"], dtype=dtype), torch.tensor(p["update"], dtype=dtype)
        assert before_t - update_t == torch.tensor(p["after"], dtype=dtype)
        ulp = torch.finfo(dtype).eps * max(abs(p["before"]), abs(p["after"]))
        assert abs(p["delta"] + p["update"]) <= ulp
    if optimizer == "sgd":  # the plain step: Δp = −lr·(grad + penalties)
        for p in rec["parameters"]:
            g = torch.tensor(p["grad"], dtype=dtype) + p["l2_term"] + p["l1_term"]
            assert p["update"] == pytest.approx(float(g * torch.tensor(rec["lr"], dtype=dtype)), rel=1e-6)
            assert p["terms"] == {}
    if optimizer == "adam":
        assert rec["t"] == 3 and set(rec["parameters"][0]["terms"]) == {"m", "v", "m_hat", "v_hat", "denominator"}


TORCH = {"sgd": lambda p, lr: torch.optim.SGD([p], lr=lr),
         "momentum": lambda p, lr: torch.optim.SGD([p], lr=lr, momentum=0.9),
         "nesterov": lambda p, lr: torch.optim.SGD([p], lr=lr, momentum=0.9, nesterov=True),
         "adagrad": lambda p, lr: torch.optim.Adagrad([p], lr=lr, eps=1e-10),
         "rmsprop": lambda p, lr: torch.optim.RMSprop([p], lr=lr, alpha=0.99, eps=1e-8),
         "adam": lambda p, lr: torch.optim.Adam([p], lr=lr)}


def torch_terms(name: str, state: dict, t: int) -> dict[str, torch.Tensor]:
    """The terms the microscope shows, from torch.optim's own state."""
    if name in ("momentum", "nesterov"):
        return {"v": state["momentum_buffer"]}
    if name in ("adagrad", "rmsprop"):
        s = state["sum" if name == "adagrad" else "square_avg"]
        return {"s": s, "denominator": s.sqrt() + (1e-10 if name == "adagrad" else 1e-8)}
    if name == "adam":
        m_hat, v_hat = state["exp_avg"] / (1 - 0.9**t), state["exp_avg_sq"] / (1 - 0.999**t)
        return {"m_hat": m_hat, "v_hat": v_hat, "denominator": v_hat.sqrt() + 1e-8}
    return {}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_step_and_the_rules_terms_match_torch_optim_on_the_same_gradients(optimizer):
    """torch.optim is the oracle: fed the gradients the trainer's rule took, its step and its state are the
    microscope's Δp and terms (Adam's Δp = −lr·m̂ / (√v̂ + ε), from the terms shown)."""
    t = trainer_for(Config().replace(optimizer=optimizer, dtype="float64", loss="mse"))
    p = None
    for k in range(5):
        t.step()
        rec = last_step(t)
        params = rec["parameters"]
        if p is None:
            p = torch.tensor([q["before"] for q in params], dtype=torch.float64, requires_grad=True)
            opt = TORCH[optimizer](p, rec["lr"])
        assert [q["before"] for q in params] == pytest.approx(p.tolist(), rel=1e-12, abs=1e-12)
        start = p.detach().clone()
        p.grad = torch.tensor([q["grad"] for q in params], dtype=torch.float64)
        opt.step()
        delta = (p.detach() - start).tolist()
        assert [q["delta"] for q in params] == pytest.approx(delta, rel=1e-9, abs=1e-12)
        for key, values in torch_terms(optimizer, opt.state[p], k + 1).items():
            assert [q["terms"][key] for q in params] == pytest.approx(values.tolist(), rel=1e-12, abs=1e-15), key
    if optimizer == "adam":  # the shown terms reproduce the step
        for q in params:
            shown = rec["lr"] * q["terms"]["m_hat"] / (q["terms"]["v_hat"] ** 0.5 + 1e-8)
            assert shown == pytest.approx(q["update"], rel=1e-14)
            assert shown == pytest.approx(-q["delta"], rel=1e-9)
    if optimizer == "sgd":
        assert [rec["lr"] * q["grad"] for q in params] == pytest.approx([-q["delta"] for q in params], rel=1e-9)


def test_the_rows_are_the_batch_with_its_residuals_and_loss_gradient():
    t, _ = stepped(n=1)
    rec = last_step(t)
    assert rec["batch_rows"] == 16 and rec["rows_shown"] == 8 and len(rec["rows"]) == 8
    assert rec["residual_is"] == "y_hat - y"
    for row in rec["rows"]:
        assert row["residual"] == pytest.approx(row["y_hat"] - row["y"], rel=1e-6, abs=1e-6)
        assert abs(row["dloss_dyhat"]) == pytest.approx(1 / 16)  # MAE: sign(ŷ − y) / m
    grad_b = sum(r["dloss_dyhat"] for r in rec["rows"])  # the first 8 of 16 rows: part of ∂loss/∂b
    assert abs(grad_b) <= 0.5
    assert rec["parameters"][-1]["name"] == "b" and rec["parameters"][0]["name"] == "w[x0]"
