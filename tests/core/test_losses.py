"""Losses and their analytic gradients against torch's own (functional losses and autograd)."""
import pytest
import torch
from hypothesis import given, settings, strategies as st

from linreg_core.model import losses

FUNCTIONAL = {
    "mae": lambda p, y: torch.nn.functional.l1_loss(p, y),
    "mse": lambda p, y: torch.nn.functional.mse_loss(p, y),
    "huber": lambda p, y: torch.nn.functional.huber_loss(p, y, delta=1.0),
}


def _batch(seed: int, m: int, d: int):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(m, d, generator=g, dtype=torch.float64)
    y = torch.randn(m, 1, generator=g, dtype=torch.float64) * 3
    w = torch.randn(d, 1, generator=g, dtype=torch.float64)
    b = torch.randn((), generator=g, dtype=torch.float64)
    return X, y, w, b


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
@settings(deadline=None, max_examples=40)
@given(seed=st.integers(0, 2**31), m=st.integers(1, 40), d=st.integers(1, 6))
def test_value_and_gradients_match_torch(name, seed, m, d):
    X, y, w, b = _batch(seed, m, d)
    loss = losses.get(name)
    # value: as written, against torch.nn.functional
    pred = X @ w + b
    assert loss.value(pred, y).item() == pytest.approx(FUNCTIONAL[name](pred, y).item(), rel=1e-12, abs=1e-12)
    # analytic gradient against autograd
    wa, ba = w.clone().requires_grad_(), b.clone().requires_grad_()
    FUNCTIONAL[name](X @ wa + ba, y).backward()
    value, g = loss.value_and_grad((X @ w + b) - y, m)
    assert value.item() == pytest.approx(FUNCTIONAL[name](pred, y).item(), rel=1e-12, abs=1e-12)
    assert torch.allclose(X.t() @ g, wa.grad, rtol=1e-10, atol=1e-12)
    assert torch.allclose(g.sum(), ba.grad, rtol=1e-10, atol=1e-12)


def test_mae_analytic_is_bit_identical_to_autograd_in_float32():
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(16, 4, generator=g), torch.randn(16, 1, generator=g)
    w, b = torch.randn(4, 1, generator=g).requires_grad_(), torch.tensor(0.01, requires_grad=True)
    l = losses.mae_value(torch.matmul(X, w) + b, y)
    l.backward()
    value, grad = losses.mae_value_and_grad(torch.matmul(X, w.detach()) + b.detach() - y, 16)
    assert value.item() == l.item()
    assert torch.equal(X.t().mm(grad), w.grad) and torch.equal(grad.sum(), b.grad)
