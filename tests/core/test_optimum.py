"""The optimum of the loss in use, against independent solvers on public tables: SciPy's HiGHS linear program
for least absolute deviations (MAE), SciPy's trust-region least_squares with its Huber loss (the same minimizer:
its ρ is twice ours) for Huber, and our least squares for MSE."""
from pathlib import Path

import numpy as np
import pytest
import torch

from linreg_core.model import reference
from linreg_core.model.optimum import optimum

scipy_optimize = pytest.importorskip("scipy.optimize", reason="scipy (the test extra) is the independent solver")
PUBLIC = Path(__file__).parent.parent / "data" / "public"
TABLES = sorted(p.stem for p in PUBLIC.glob("*.csv"))


def _table(name):
    rows = np.loadtxt(PUBLIC / f"{name}.csv", delimiter=",", skiprows=1)
    return rows[:, :-1], rows[:, -1]


def _ours(X, y, loss, scale=1.0):
    o = optimum(torch.tensor(X), torch.tensor(y).reshape(-1, 1), loss, scale)
    return o, np.array([*o.weights, o.bias])


@pytest.mark.parametrize("name", TABLES)
def test_lad_equals_the_linear_programs_optimum(name):
    X, y = _table(name)
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    c = np.concatenate([np.zeros(d + 1), np.ones(2 * n)])  # min Σ(u + v) s.t. A·β + u − v = y, u, v ≥ 0
    lp = scipy_optimize.linprog(c, A_eq=np.hstack([A, np.eye(n), -np.eye(n)]), b_eq=y,
                                bounds=[(None, None)] * (d + 1) + [(0, None)] * (2 * n), method="highs")
    o, beta = _ours(X, y, "mae")
    ours = np.abs(A @ beta - y).mean()
    assert lp.status == 0 and o.exact
    assert ours == pytest.approx(lp.fun / n, rel=1e-9)


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("scale", [1.0, 37.5])
def test_huber_is_at_least_as_good_as_scipys_and_its_gradient_vanishes(name, scale):
    X, y = _table(name)
    n = len(y)
    A = np.hstack([X, np.ones((n, 1))])
    delta = scale  # δ = 1 on residuals divided by the target's training scale

    def huber(beta):
        a = np.abs(A @ beta - y)
        return np.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta)).mean()

    start = np.linalg.lstsq(A, y, rcond=None)[0]
    other = scipy_optimize.least_squares(lambda b: A @ b - y, start, loss="huber", f_scale=delta, x_scale="jac",
                                         xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20_000)
    o, beta = _ours(X, y, "huber", scale)
    assert o.exact
    assert huber(beta) <= huber(other.x) * (1 + 1e-9)
    grad = A.T @ np.clip(A @ beta - y, -delta, delta) / n  # the loss' gradient at our optimum
    assert np.abs(grad).max() <= 1e-8 * np.abs(A).max() * max(delta, 1.0)


def test_mse_is_least_squares_and_lad_beats_it_in_mae_on_outliers():
    X, y = _table("stackloss")
    ls = reference.least_squares(torch.tensor(X), torch.tensor(y).reshape(-1, 1))
    o, beta = _ours(X, y, "mse")
    assert (o.weights, o.bias) == (tuple(ls[0]), ls[1])
    _, lad = _ours(X, y, "mae")
    A = np.hstack([X, np.ones((len(y), 1))])
    assert np.abs(A @ lad - y).mean() < 0.95 * np.abs(A @ beta - y).mean()  # the classic: outliers pull LS
