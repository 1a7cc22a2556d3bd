"""The predicted run when the exact recursion costs too much: the diagonal closure.

The exact second moment S (D × D per pair of (e, v) entries, theory_moments.py) costs n·D² a step through the
rows' fourth moments, and its state grows as D². The diagonal closure keeps, per eigendirection j, only its
own k × k block S_j (k = 1 for SGD, 2 for momentum) and its mean μ_j, and drops the correlations between
directions. Each step is then, with the data's own rows in the eigenbasis ỹ_i (no assumption on their
distribution):
    μ_j' = f_j·μ_j
    S_j' = f_j·S_j·f_jᵀ + (q_j/m)·J·Jᵀ,   q_j = Σ_a N_ja·s_a + 2·Σ_a μ_a·C_aj + Σξ_jj
where s_a = S_a[e, e], N = 4·E_i[ỹ_i² (ỹ_i²)ᵀ] − diag(λ²) (+ the penalty's terms) the multiplicative noise's
diagonal acting on a diagonal S, and C_aj = 2·E_i[ỹ_ia·ỹ_ij·ξ̃_ij] the cross term's diagonal. What is left out:
the noise that correlates two directions (it feeds back into a direction's variance only through the rows'
mixed fourth moments E[ỹ_a·ỹ_b·ỹ_j²], a ≠ b, which are zero for data symmetric in the eigenbasis). The
error this makes is measured in tests/core/test_theory.py against the exact recursion and against runs.

Cost: n·D² once (the moments), then k²·D² a step: 64 features and 1,600 steps in milliseconds, 1,000
features in about a second. No spread is given (it needs the full S).
"""
from __future__ import annotations

import math

import torch

from .theory_moments import F64, ROWS, Recursion


class Diagonal:
    """The diagonal closure's per-step maps, built from a Recursion's moments (its Y, ξ, λ, G̃, P̃, f, J)."""

    def __init__(self, rec: Recursion):
        self.rec = rec
        D = rec.D
        Kd = torch.zeros(D, D, dtype=F64)  # E_i[ỹ_ia²·ỹ_ib²]
        Cd = torch.zeros(D, D, dtype=F64)  # 2·E_i[ỹ_ia·ỹ_ib·ξ̃_ib]
        for a in range(0, rec.n, ROWS):
            Y, Xi = rec.Y[a:a + ROWS], rec._Xi[a:a + ROWS]
            Y2 = Y * Y
            Kd += Y2.t().mm(Y2)
            Cd += Y.t().mm(Y * Xi)
        Kd /= rec.n
        Cd *= 2 / rec.n
        N = 4 * Kd - torch.diag(rec.lam * rec.lam)
        if rec.l2:
            G, P = rec.Gt, rec.Pt
            N = N + 4 * rec.l2 * G * P + rec.l2 ** 2 * P * P
        self.N, self.C = N, Cd  # (D, D) each: q = N·s + 2·μ·C + Σξ_diag
        self.sigma = rec.Sigma.diagonal().clone()  # (D,)
        self.g = rec.Gt.diagonal().clone()  # (D,): E[L] = L_r + g·s + b̃·μ_e with S diagonal

    def step(self, S: torch.Tensor, mu: torch.Tensor):
        """(S: (D, k, k), μ: (D, k)) → one step later."""
        rec = self.rec
        mu2 = torch.einsum("jab,jb->ja", rec.f, mu)
        S2 = torch.einsum("jab,jbc,jdc->jad", rec.f, S, rec.f)
        if rec.noisy:
            q = self.N.mv(S[:, 0, 0]) + 2 * self.C.t().mv(mu[:, 0]) + self.sigma  # (D,)
            S2 = S2 + (q / rec.m)[:, None, None] * rec.JJ
        return S2, mu2

    def iterate(self, w0: list[float], b0: float, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(s_ee: (count, D), μ_e: (count, D)) at steps 0 … count − 1; inf from where the state stops being
        finite."""
        rec = self.rec
        D, k = rec.D, rec.k
        e = rec.U.t().mv(torch.tensor([*w0, b0], dtype=F64) - rec.theta_star)  # ẽ_0: (D,)
        mu = torch.zeros(D, k, dtype=F64)
        mu[:, 0] = e
        S = torch.zeros(D, k, k, dtype=F64)
        S[:, 0, 0] = e * e
        s_ee = torch.empty(count, D, dtype=F64)
        mu_e = torch.empty(count, D, dtype=F64)
        for t in range(count):
            s_ee[t], mu_e[t] = S[:, 0, 0], mu[:, 0]
            if t % 64 == 0 and not bool(torch.isfinite(S).all()):
                s_ee[t:], mu_e[t:] = math.inf, math.inf
                break
            if t + 1 < count:
                S, mu = self.step(S, mu)
        return s_ee, mu_e

    def floor(self) -> float | None:
        """The expected batch loss at the closure's fixed point (μ = 0); None when the second moment does not
        settle. Per direction the fixed point's ee entry is φ_j·q_j/m, φ_j from the k × k Lyapunov equation
        S = f_j·S·f_jᵀ + J·Jᵀ, so s = φ∘(N·s + Σξ)/m: one D × D solve."""
        rec = self.rec
        if float(torch.linalg.eigvals(rec.f).abs().max()) >= 1:
            return None
        D, k = rec.D, rec.k
        kron = torch.einsum("jab,jcd->jacbd", rec.f, rec.f).reshape(D, k * k, k * k)
        try:
            phi = torch.linalg.solve(torch.eye(k * k, dtype=F64) - kron,
                                     rec.JJ.reshape(k * k).expand(D, k * k).unsqueeze(-1))[:, 0, 0]  # (D,)
        except RuntimeError:  # a direction on the edge
            return None
        if not rec.noisy:
            return rec.L_r
        A = (phi / rec.m)[:, None] * self.N  # s = A·s + φ∘σ/m
        if float(torch.linalg.eigvals(A).abs().max()) >= 1:
            return None  # mean-square unstable: the noise feeds itself
        s = torch.linalg.solve(torch.eye(D, dtype=F64) - A, phi * self.sigma / rec.m)
        if not bool(torch.isfinite(s).all()) or float(s.min()) < -1e-12 * max(float(s.abs().max()), 1e-300):
            return None
        return rec.L_r + float(self.g.dot(s))


def diagonal_cost(n: int, d: int, steps: int, optimizer: str) -> float:
    """Multiply-adds of the diagonal closure: the moments once, then each step."""
    D, k = d + 1, 1 if optimizer == "sgd" else 2
    return 4.0 * n * D * D + D ** 3 + steps * (D * D + 4 * D * k ** 3)
