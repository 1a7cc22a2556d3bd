"""Each update rule against torch.optim's, on the same gradients (float64)."""
import pytest
import torch

from linreg_core.model import optim

TORCH = {
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_update_rule_matches_torch_optim(name):
    g = torch.Generator().manual_seed(1)
    X, y = torch.randn(32, 3, generator=g, dtype=torch.float64), torch.randn(32, 1, generator=g, dtype=torch.float64)
    w0, b0 = torch.randn(3, 1, generator=g, dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    lr = 0.05
    tw, tb = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    reference = TORCH[name]([tw, tb], lr)
    ours, params = optim.make(name), [w0.clone(), b0.clone()]
    for _ in range(25):
        reference.zero_grad()
        ((X @ tw + tb - y) ** 2).mean().backward()
        grads = [tw.grad.clone(), tb.grad.clone()]
        reference.step()
        params = ours.update(params, grads, torch.tensor(lr, dtype=torch.float64))
    assert torch.allclose(params[0], tw.detach(), rtol=1e-10, atol=1e-12)
    assert torch.allclose(params[1], tb.detach(), rtol=1e-10, atol=1e-12)


def test_tutorial_sgd_has_no_division_by_batch_size():
    params = optim.SGD().update([torch.tensor([1.0])], [torch.tensor([2.0])], torch.tensor(0.5))
    assert params[0].item() == 0.0
