"""The least-squares optimum and the metrics come from the data as written (float64), not from the training
dtype's rounding of it: checked on an ill-conditioned table of decimals against an exact rational solve."""
from fractions import Fraction

import pytest
import torch

from linreg_core.settings.config import Config
from linreg_core.data.csvdata import read_csv
from linreg_core.settings.errors import DataError
from linreg_core.analysis.summary import summarize
from linreg_core.training.trainer import trainer_for


def _economic_table(path):
    """16 rows in the manner of a classic economic data set: a year column (≈1950, so nearly parallel to the
    intercept), a column in the hundreds of thousands and one near 100, all with decimals."""
    lines = ["year,gnp,population,employed"]
    for i in range(16):
        year = 1947 + i
        gnp = f"{234289 + 12000 * i + 347.3 * (i % 3):.1f}"
        pop = f"{107.608 + 1.2 * i + 0.013 * (i % 5) ** 2:.3f}"
        employed = f"{60323 + 500 * i + 13.7 * (i % 4) - 0.9 * (i % 7):.1f}"
        lines.append(f"{year},{gnp},{pop},{employed}")
    path.write_text("\n".join(lines) + "\n")
    return [[Fraction(c) for c in line.split(",")] for line in lines[1:]]


def _exact_least_squares(rows):
    """Solve the normal equations [X 1]ᵀ[X 1]·x = [X 1]ᵀy in exact rational arithmetic."""
    A = [r[:-1] + [Fraction(1)] for r in rows]
    y = [r[-1] for r in rows]
    k = len(A[0])
    M = [[sum(a[i] * a[j] for a in A) for j in range(k)] + [sum(a[i] * t for a, t in zip(A, y))] for i in range(k)]
    for col in range(k):  # Gauss-Jordan, exact
        pivot = next(r for r in range(col, k) if M[r][col] != 0)
        M[col], M[pivot] = M[pivot], M[col]
        M[col] = [v / M[col][col] for v in M[col]]
        for r in range(k):
            if r != col and M[r][col] != 0:
                M[r] = [a - M[r][col] * b for a, b in zip(M[r], M[col])]
    x = [float(M[i][k]) for i in range(k)]
    return x[:-1], x[-1]


def test_the_optimum_of_an_ill_conditioned_csv_agrees_with_an_exact_solve(tmp_path):
    rows = _economic_table(tmp_path / "economy.csv")
    A = torch.tensor([[float(v) for v in r[:-1]] + [1.0] for r in rows], dtype=torch.float64)
    assert torch.linalg.cond(A) >= 1e9  # as badly conditioned as the classic
    exact_w, exact_b = _exact_least_squares(rows)
    for dtype in ("float32", "float64"):  # the training dtype must not matter
        trainer = trainer_for(Config().replace(csv=str(tmp_path / "economy.csv"), dtype=dtype))
        w, b = trainer.least_squares()
        assert w == pytest.approx(exact_w, rel=1e-9) and b == pytest.approx(exact_b, rel=1e-9), dtype
        assert trainer.experiment.dataset.X.dtype == torch.float64


def test_metrics_are_computed_on_the_float64_data(tmp_path):
    rows = _economic_table(tmp_path / "economy.csv")
    trainer = trainer_for(Config().replace(csv=str(tmp_path / "economy.csv"), epochs=1))
    exact_w, exact_b = _exact_least_squares(rows)
    ls = summarize(trainer)
    # at the optimum itself, R² from the float64 data is the exact one to many digits
    y = [float(r[-1]) for r in rows]
    pred = [sum(float(x) * w for x, w in zip(r[:-1], exact_w)) + exact_b for r in rows]
    mean = sum(y) / len(y)
    r2 = 1 - sum((p - t) ** 2 for p, t in zip(pred, y)) / sum((t - mean) ** 2 for t in y)
    from linreg_core.model.reference import metrics
    m = metrics(*trainer.split.raw_train, ls.ls_weights, ls.ls_bias, "mse")
    assert m.r2 == pytest.approx(r2, rel=1e-9)


def test_a_value_float32_cannot_hold_is_refused_with_its_line_unless_training_in_float64(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("x,y\n1,2\n2,4.1\n3,1e39\n4,8\n")
    with pytest.raises(DataError) as e:
        trainer_for(Config().replace(csv=str(path)))
    assert "line 4" in str(e.value) and "'y'" in str(e.value) and "--dtype float64" in str(e.value)
    trainer = trainer_for(Config().replace(csv=str(path), dtype="float64", epochs=1))
    assert all(v == v for v in trainer.least_squares()[0])  # finite, no lstsq error


def test_a_large_offset_keeps_its_digits(tmp_path):
    """y = 100000001 + x: float32 cannot tell 100000001 from 100000000; the optimum still says 100000001."""
    path = tmp_path / "offset.csv"
    path.write_text("x,y\n" + "".join(f"{i},{100000001 + i}\n" for i in range(10)))
    w, b = trainer_for(Config().replace(csv=str(path))).least_squares()
    assert w[0] == pytest.approx(1.0, rel=1e-9) and b == pytest.approx(100000001.0, rel=1e-12)


def test_rows_remember_their_lines(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("a,b\n1,2\n\n3,4\n")
    assert read_csv(str(path)).lines == [2, 4]
