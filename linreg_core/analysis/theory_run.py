"""The predicted run: the moment recursion (theory_moments.py) iterated step by step, read as the lab logs
it (each step's batch loss before its update; per epoch their mean), with the spread and the noise floor."""
from __future__ import annotations

import math

import torch

from ..training.step import EXPLODE_FACTOR
from .theory_moments import F64, ROWS, Recursion, _kron_rows

SPREAD_BUDGET = 3e9  # multiply-adds the spread may cost (steps × rows × D²); above, no spread is given
ERROR_POINTS = 256  # steps at which the error along each direction is kept (evenly spaced, first and last)


def predict(rec: Recursion, w0: list[float], b0: float, epochs: int, per_epoch: int, kind: str, dense: bool,
            max_steps: int, spread_budget: float = SPREAD_BUDGET, diagonal: bool = False):
    """A theory.Prediction of `epochs` epochs of `per_epoch` steps (at most max_steps steps); the spread only
    when it costs at most spread_budget multiply-adds. diagonal: by the diagonal closure (theory_diagonal.py),
    an approximation without a spread, for data too large for the exact recursion."""
    from .theory import Prediction

    total = epochs * per_epoch
    steps = min(total, max_steps - max_steps % per_epoch if max_steps >= per_epoch else max_steps)
    closure = None
    if diagonal:
        from .theory_diagonal import Diagonal

        closure = Diagonal(rec)
        s_ee, mue = closure.iterate(w0, b0, steps + 1)  # (steps + 1, D) each
        mean = rec.L_r + s_ee.mv(closure.g) + mue.mv(rec.b_lin)
        if rec.l2:  # G̃ is not diagonal then: its off-diagonal part read with E[e_a·e_b] ≈ μ_a·μ_b (a ≠ b)
            mean = mean + torch.einsum("td,de,te->t", mue, rec.Gt, mue) - (mue * mue).mv(closure.g)
        See = torch.diag_embed(s_ee[:1])  # (only its diagonal is read below: the error's rms)
    else:
        See, mue = _iterate(rec, w0, b0, steps + 1, dense)  # (steps + 1, D, D), (steps + 1, D)
        mean = rec.L_r + (See * rec.Gt).sum((1, 2)) + mue.mv(rec.b_lin)  # (T,) E[L(θ_t)]
    limit = EXPLODE_FACTOR * max(float(mean[0]), 1.0)
    bad = ~(mean < limit)
    diverges = int(bad.nonzero()[0, 0]) + 1 if bool(bad.any()) else None
    kept = steps + 1 if diverges is None else diverges - 1
    mean, See, mue = mean[:kept], See[:kept], mue[:kept]
    var_b = var_l = None  # each step's batch-sampling variance and its loss's variance across runs
    if kind == "exact":
        var_b = var_l = torch.zeros_like(mean)
    elif closure is None and kept * rec.n * rec.D ** 2 <= min(spread_budget, SPREAD_BUDGET):
        var_b, var_l = _variances(rec, See, mue, mean)
    whole = min(kept - 1, steps) // per_epoch  # epochs predicted whole (and their end)
    step_mean = mean[:min(kept, steps)]
    by_epoch = step_mean[:whole * per_epoch].reshape(whole, per_epoch)
    epoch_mean = by_epoch.mean(1)
    sd = epoch_sd = None
    if var_b is not None:
        sd = (var_b + var_l).sqrt()
        cut = whole * per_epoch
        # the batch-sampling deviations are martingale differences (uncorrelated across steps): their sum's
        # variance is the sum of theirs; the losses' sds add up (Minkowski) to a bound on their sum's
        epoch_sd = (var_b[:cut].reshape(whole, per_epoch).sum(1).sqrt()
                    + var_l[:cut].sqrt().reshape(whole, per_epoch).sum(1)) / per_epoch
    end_loss = mean[per_epoch:whole * per_epoch + 1:per_epoch]
    floor = None if diverges is not None else closure.floor() if closure is not None else _floor(rec)
    notes = {
        "exact": "exact: full-batch descent is deterministic",
        "expected": "the mean is exact in expectation; the spread uses a Gaussian closure for the error "
                    "(an epoch's sd: its batch noise summed exactly, its loss's spread bounded, see theory_run.py)",
        "approximate": "sampling without replacement: the with-replacement prediction used as an approximation "
                       "(its gap is measured in tests/core/test_theory.py)",
    }
    note = notes[kind]
    if closure is not None:
        note = ("the diagonal closure (theory_diagonal.py): each eigendirection's own moments, the noise that "
                "correlates two directions left out; an approximation, without a spread. " + note)
    elif sd is None and kind != "exact":
        note += "; the spread was not computed (too costly for this data)"
    if steps < total:
        note += f"; predicted for the first {steps:,} of the run's {total:,} steps"
    at = _spaced(len(step_mean), ERROR_POINTS)
    diag = s_ee[at] if closure is not None else See[at].diagonal(dim1=1, dim2=2)
    rms = diag.clamp_min(0).sqrt().flip(1)  # (points, D), largest λ first
    method = "diagonal" if closure is not None else "dense" if dense else "structured"
    return Prediction(kind, method, per_epoch, rec.m, _floats(step_mean),
                      None if sd is None else _floats(sd[:len(step_mean)]), _floats(epoch_mean),
                      None if epoch_sd is None else _floats(epoch_sd), _floats(end_loss),
                      None if floor is None else float(floor), rec.L_r, diverges, note,
                      tuple(at), tuple(tuple(r) for r in rms.tolist()))


def _spaced(count: int, points: int) -> list[int]:
    """Up to `points` evenly spaced indices of range(count), the first and the last among them."""
    if count <= points:
        return list(range(count))
    return sorted({round(i * (count - 1) / (points - 1)) for i in range(points)})


def _floats(t: torch.Tensor) -> tuple[float, ...]:
    return tuple(t.tolist())


def _iterate(rec: Recursion, w0, b0, count: int, dense: bool):
    """S_ee: (count, D, D) and μ_e: (count, D) at steps 0 … count − 1 (eigenbasis). Stops early (the rest
    inf) once the state is no longer finite."""
    D = rec.D
    s = rec.start(w0, b0)
    if dense:
        if rec.D <= 24:
            rec.build_k4()
        T = rec.matrix()
        states = torch.empty(count, s.shape[0], dtype=F64)
        states[0] = s
        for t in range(1, count):
            torch.mv(T, states[t - 1], out=states[t])
            if t % 256 == 0 and not bool(torch.isfinite(states[t]).all()):
                states[t:] = math.inf
                break
        S, mu, _ = rec.unflatten(states)
        return S[..., 0, 0], mu[..., 0]
    See = torch.empty(count, D, D, dtype=F64)
    mue = torch.empty(count, D, dtype=F64)
    S, mu, one = rec.unflatten(s[None])
    for t in range(count):
        See[t], mue[t] = S[0, :, :, 0, 0], mu[0, :, 0]
        if not bool(torch.isfinite(See[t]).all()):
            See[t:], mue[t:] = math.inf, math.inf
            break
        if t + 1 < count:
            S, mu, one = rec.step(S, mu, one)
    return See, mue


def _variances(rec: Recursion, See: torch.Tensor, mue: torch.Tensor, mean: torch.Tensor):
    """(E[Var(L_B | θ_t)], Var L(θ_t)): (T,) each, the batch loss's variance across runs being their sum,
    with e ~ Gaussian(μ, C), C = S − μμᵀ (the Gaussian closure):
        E[Var(L_B | θ)] = (E[mean_i u_i⁴] − E[L²])/m,   u_i = z_iᵀe − r_i ~ N(a_i, s_i),  E[u⁴] = a⁴ + 6a²s + 3s²
        Var L = 2·tr(G̃CG̃C) + wᵀCw,  w = 2G̃μ + b̃."""
    T, D = mue.shape
    C = See - mue[:, :, None] * mue[:, None, :]  # (T, D, D)
    GC = rec.Gt.matmul(C)
    w = mue.mm(rec.Gt) * 2 + rec.b_lin  # (T, D)
    var_l = 2 * (GC * GC.transpose(1, 2)).sum((1, 2)) + torch.einsum("td,tde,te->t", w, C, w)
    m4 = torch.zeros(T, dtype=F64)
    Cflat = C.reshape(T, D * D)
    for a in range(0, rec.n, ROWS):
        Y = rec.Y[a:a + ROWS]
        mean_u = mue.mm(Y.t()) - rec.r[a:a + ROWS]  # (T, rows)
        var_u = Cflat.mm(_kron_rows(Y).t()).clamp_min(0)  # (T, rows)
        m4 += (mean_u ** 4 + 6 * mean_u ** 2 * var_u + 3 * var_u ** 2).sum(1)
    m4 /= rec.n
    var_l = var_l.clamp_min(0)
    return ((m4 - var_l - mean ** 2) / rec.m).clamp_min(0), var_l


def _floor(rec: Recursion) -> float | None:
    """The expected batch loss at the recursion's fixed point (μ = 0): L_r + tr(G̃·S∞)."""
    if float(torch.linalg.eigvals(rec.f).abs().max()) >= 1:
        return None
    S = rec.floor_second_moment()
    if S is None:
        return None
    return rec.L_r + float((S * rec.Gt).sum())
