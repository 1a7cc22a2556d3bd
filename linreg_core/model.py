"""The model y = X·w + b as the torch module people already know."""
from __future__ import annotations

import torch


def to_linear(weights, bias) -> torch.nn.Linear:
    """A torch.nn.Linear(d, 1) holding these parameters (float32)."""
    layer = torch.nn.Linear(len(weights), 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([list(weights)], dtype=torch.float32))
        layer.bias.copy_(torch.tensor([bias], dtype=torch.float32))
    return layer
