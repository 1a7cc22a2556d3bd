"""The least-squares reference and metrics against answers known by hand."""
import math

import pytest
import torch

from linreg_core.model.reference import least_squares, metrics


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


def test_tall_data_take_the_fast_path_and_agree_with_the_svd():
    g = torch.Generator().manual_seed(1)
    X = torch.randn(20_000, 5, generator=g) * torch.tensor([1.0, 10.0, 0.1, 3.0, 1.0])
    y = X @ torch.tensor([[1.0], [-2.0], [3.0], [0.5], [4.0]]) + 2.0 + 0.01 * torch.randn(20_000, 1, generator=g)
    fast_w, fast_b = least_squares(X, y)
    A = torch.cat([X.double(), torch.ones(20_000, 1, dtype=torch.float64)], 1)
    svd = torch.linalg.lstsq(A, y.double(), driver="gelsd").solution.reshape(-1).tolist()
    assert fast_w == pytest.approx(svd[:-1], abs=1e-10) and fast_b == pytest.approx(svd[-1], abs=1e-10)


def test_collinear_columns_fall_back_to_the_svd():
    """x1 = 2·x0: the normal equations would be singular; the SVD gives the minimum-norm answer."""
    g = torch.Generator().manual_seed(2)
    x0 = torch.randn(20_000, 1, generator=g, dtype=torch.float64)
    X = torch.cat([x0, 2 * x0], 1)
    y = 5 * x0 + 1
    w, b = least_squares(X, y)
    assert all(math.isfinite(v) for v in (*w, b))
    assert w[0] + 2 * w[1] == pytest.approx(5.0, abs=1e-8) and b == pytest.approx(1.0, abs=1e-8)
