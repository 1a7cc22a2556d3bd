"""The least-squares reference and metrics against answers known by hand."""
import math

import pytest
import torch

from linreg_core.reference import least_squares, metrics


def test_textbook_line():
    # x = 1..4, y = 6, 5, 7, 10: slope 1.4, intercept 3.5 (worked by hand from the normal equations)
    X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
    y = torch.tensor([[6.0], [5.0], [7.0], [10.0]])
    w, b = least_squares(X, y)
    assert w[0] == pytest.approx(1.4, abs=1e-9) and b == pytest.approx(3.5, abs=1e-9)


def test_exact_plane_is_recovered_to_1e_9():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(50, 3, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([[2.0], [-3.0], [0.5]], dtype=torch.float64) + 5.0
    w, b = least_squares(X, y)
    assert w == pytest.approx((2.0, -3.0, 0.5), abs=1e-9) and b == pytest.approx(5.0, abs=1e-9)


def test_metrics_of_a_known_fit():
    X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
    y = torch.tensor([[6.0], [5.0], [7.0], [10.0]])
    m = metrics(X, y, (1.4,), 3.5, "mse")
    # residuals 1.1, -1.3, -0.7, 0.9: SS_res 4.2, SS_tot 14.0
    assert m.mse == pytest.approx(4.2 / 4) and m.rmse == pytest.approx(math.sqrt(4.2 / 4))
    assert m.mae == pytest.approx(4.0 / 4) and m.r2 == pytest.approx(1 - 4.2 / 14.0)
    assert m.loss == pytest.approx(m.mse)
