"""The linear recursion of the error's first and second moments under mini-batch SGD / heavy ball on MSE
(theory.py explains the method; this file is the arithmetic). Everything float64 on the CPU, in H's
eigenbasis (coordinates ·̃ = Uᵀ·), with k numbers per direction: k = 1 (SGD: the error e) or 2 (momentum:
e and the velocity v).

One step, as the lab takes it (a batch B of m rows drawn with replacement, ĝ the batch gradient, whose mean
given e is H·e):
    x = [e; v]:  x' = F0·x + J·ĝ          (SGD: F0 = 1, J = −lr; heavy ball: F0 = [[1, −lr·β], [0, β]],
                                           J = [−lr, 1]; Nesterov: F0 = [[1, −lr·β²], [0, β]], J = [−lr(1+β), 1])
    μ' = F̄·μ,  F̄ = F0 + J·H·E            (E picks e out of x; per direction f_j = F0 + λ_j·J·[1, 0])
    S' = F̄·S·F̄ᵀ + (1/m)·J·(N(S_ee) + X(μ_e) + X(μ_e)ᵀ + Σξ)·Jᵀ
where, over the rows i (M_i = 2·z_i·z_iᵀ + l2·P the one-row curvature, ξ_i = −2·z_i·r_i + l2·P·θ* its
gradient at the optimum, mean 0):
    N(S) = E_i[M_i·S·M_i] − H·S·H     the multiplicative noise (the rows' fourth moments)
    X(μ) = E_i[M_i·μ·ξ_iᵀ]            the cross term, linear in the mean
    Σξ   = E_i[ξ_i·ξ_iᵀ]              the additive noise at the optimum
The state (S, μ, 1) moves by one fixed linear map, so it is either built once as a matrix (dense) or applied
as above (structured). A full batch without replacement has no noise term (S stays μ·μᵀ).
"""
from __future__ import annotations

import torch

F64 = torch.float64
ROWS = 65_536  # rows per chunk of the data's sums (bounds the memory of n × D² products)


class Recursion:
    """The data's moments in H's eigenbasis and one step of the moment recursion (batched over a leading
    axis x, so the dense matrix is the step applied to the identity)."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, l2: float, lr: float, batch: int, optimizer: str,
                 noisy: bool, beta: float = 0.9):
        n, d = X.shape
        Z = torch.cat([X.to(F64), torch.ones(n, 1, dtype=F64)], dim=1)  # (n, D): rows [x_i; 1]
        y = y.to(F64).reshape(-1)  # (n,)
        D = d + 1
        self.n, self.D, self.m, self.lr, self.l2, self.noisy = n, D, batch, lr, l2, noisy
        G = Z.t().mm(Z) / n  # (D, D)
        P = torch.diag(torch.tensor([1.0] * d + [0.0], dtype=F64))  # the penalty acts on w only
        H = 2 * G + l2 * P  # (D, D), the curvature of the (penalized) training loss over θ = [w; b]
        lam, U = torch.linalg.eigh(H)  # ascending; U: (D, D), columns the eigenvectors
        self.lam, self.U, self.G = lam, U, G
        tiny = lam.abs().max().clamp_min(1e-300) * D * torch.finfo(F64).eps
        rhs = U.t().mv(2 * Z.t().mv(y) / n)  # (D,)
        self.theta_star_t = torch.where(lam > tiny, rhs / torch.where(lam > tiny, lam, 1.0), 0.0)  # θ̃*
        self.theta_star = U.mv(self.theta_star_t)  # (D,) [w*; b*], the minimizer (least norm if flat)
        r = y - Z.mv(self.theta_star)  # (n,) residuals at the optimum
        self.r, self.L_r = r, float((r * r).mean())
        Y = Z.mm(U)  # (n, D): rows in the eigenbasis
        self.Y = Y
        self.Gt = U.t().mm(G).mm(U)  # G̃ (diagonal when l2 = 0)
        self.Pt = U.t().mm(P).mm(U)  # P̃
        c = l2 * self.Pt.mv(self.theta_star_t)  # (D,) the penalty's gradient at θ*
        self.b_lin = -c  # E[L] = L_r + tr(G̃·S_ee) + b̃·μ_e
        Xi = -2 * Y * r[:, None] + c[None, :]  # (n, D) ξ̃_i
        self.Sigma = Xi.t().mm(Xi) / n  # (D, D)
        self._Xi = Xi
        self._C3 = None  # E_i[ỹ⊗ỹ⊗ξ̃]·2: (D, D, D), n·D³ to build, so only when a noisy step needs it
        self.K4 = None  # E_i[(ỹᵀSỹ)·ỹỹᵀ] as a (D², D²) matrix, built when D is small (dense path)
        # the update rule per direction: f_j (D, k, k), J (k,)
        if optimizer == "sgd":
            F0, J = [[1.0]], [-lr]
        elif optimizer == "momentum":
            F0, J = [[1.0, -lr * beta], [0.0, beta]], [-lr, 1.0]
        else:  # nesterov
            F0, J = [[1.0, -lr * beta * beta], [0.0, beta]], [-lr * (1 + beta), 1.0]
        self.k = len(J)
        self.J = torch.tensor(J, dtype=F64)
        f = torch.tensor(F0, dtype=F64).expand(D, self.k, self.k).clone()
        f[:, :, 0] += lam[:, None] * self.J[None, :]
        self.f = f  # (D, k, k)
        self.JJ = torch.outer(self.J, self.J)  # (k, k)

    # ------------------------------------------------------------------ the step
    @property
    def C3(self) -> torch.Tensor:
        if self._C3 is None:
            Y, Xi = self.Y, self._Xi
            self._C3 = _sum_rows(lambda a, b: torch.einsum("ia,ib,ic->abc", Y[a:b], Y[a:b], Xi[a:b]),
                                 self.n) * (2 / self.n)
        return self._C3

    def build_k4(self) -> None:
        D, Y = self.D, self.Y
        self.K4 = _sum_rows(lambda a, b: _kron_rows(Y[a:b]).t().mm(_kron_rows(Y[a:b])), self.n) / self.n

    def fourth(self, S: torch.Tensor) -> torch.Tensor:
        """E_i[(ỹ_iᵀ·S·ỹ_i)·ỹ_i·ỹ_iᵀ] for S: (x, D, D)."""
        x, D = S.shape[0], self.D
        if self.K4 is not None:
            return S.reshape(x, D * D).mm(self.K4).reshape(x, D, D)
        Y = self.Y

        def part(a, b):
            q = torch.einsum("id,xde,ie->xi", Y[a:b], S, Y[a:b])  # (x, rows)
            return torch.einsum("xi,id,ie->xde", q, Y[a:b], Y[a:b])
        return _sum_rows(part, self.n) / self.n

    def noise(self, See: torch.Tensor) -> torch.Tensor:
        """N(S) = E_i[M̃_i·S·M̃_i] − H̃·S·H̃ for S: (x, D, D)."""
        l2, G, P, lam = self.l2, self.Gt, self.Pt, self.lam
        out = 4 * self.fourth(See) - lam[None, :, None] * See * lam[None, None, :]
        if l2:
            GSP = G.matmul(See).matmul(P)
            out = out + 2 * l2 * (GSP + GSP.transpose(1, 2)) + l2 * l2 * P.matmul(See).matmul(P)
        return out

    def step(self, S: torch.Tensor, mu: torch.Tensor, one: torch.Tensor):
        """One step of (S: (x, D, D, k, k), μ: (x, D, k), one: (x,)) → the same shapes."""
        f = self.f
        mu2 = torch.einsum("jab,xjb->xja", f, mu)
        S2 = torch.einsum("jab,xjkbc,kdc->xjkad", f, S, f)
        if self.noisy:
            cross = torch.einsum("xa,abc->xbc", mu[..., 0], self.C3)  # (x, D, D)
            q = self.noise(S[..., 0, 0]) + cross + cross.transpose(1, 2) + one[:, None, None] * self.Sigma
            S2 = S2 + (q / self.m)[..., None, None] * self.JJ
        return S2, mu2, one

    # ------------------------------------------------------------------ the dense matrix
    def sizes(self) -> tuple[int, int]:
        """(entries of S, of μ) in the flat state [S; μ; 1]."""
        D, k = self.D, self.k
        return D * D * k * k, D * k

    def unflatten(self, s: torch.Tensor):
        nS, nm = self.sizes()
        D, k, x = self.D, self.k, s.shape[0]
        return s[:, :nS].reshape(x, D, D, k, k), s[:, nS:nS + nm].reshape(x, D, k), s[:, -1]

    def flatten(self, S, mu, one) -> torch.Tensor:
        x = S.shape[0]
        return torch.cat([S.reshape(x, -1), mu.reshape(x, -1), one.reshape(x, 1)], dim=1)

    def matrix(self) -> torch.Tensor:
        """T: (N, N), the step as one matrix on the flat state (N = (kD)² + kD + 1)."""
        nS, nm = self.sizes()
        eye = torch.eye(nS + nm + 1, dtype=F64)
        return self.flatten(*self.step(*self.unflatten(eye))).t()

    def start(self, w0: list[float], b0: float) -> torch.Tensor:
        """The flat state of a run starting at (w0, b0) with zero velocity: (N,)."""
        e = self.U.t().mv(torch.tensor([*w0, b0], dtype=F64) - self.theta_star)  # ẽ_0: (D,)
        mu = torch.zeros(1, self.D, self.k, dtype=F64)
        mu[0, :, 0] = e
        S = torch.zeros(1, self.D, self.D, self.k, self.k, dtype=F64)
        S[0, :, :, 0, 0] = torch.outer(e, e)
        return self.flatten(S, mu, torch.ones(1, dtype=F64))[0]

    def loss_vector(self) -> torch.Tensor:
        """ℓ: (N,) with E[L] = ℓ·s: L_r + tr(G̃·S_ee) + b̃·μ_e."""
        S = torch.zeros(1, self.D, self.D, self.k, self.k, dtype=F64)
        S[0, :, :, 0, 0] = self.Gt
        mu = torch.zeros(1, self.D, self.k, dtype=F64)
        mu[0, :, 0] = self.b_lin
        return self.flatten(S, mu, torch.full((1,), self.L_r, dtype=F64))[0]

    # ------------------------------------------------------------------ the noise floor
    def floor_second_moment(self, iterations: int = 20_000, tol: float = 1e-12) -> torch.Tensor | None:
        """S_ee at the fixed point with μ = 0: S = F̄·S·F̄ᵀ + (1/m)·J·(N(S_ee) + Σξ)·Jᵀ. Per pair of
        directions the ee entry of that Lyapunov solution is φ_jk·q_jk, so S_ee = Φ∘(N(S_ee) + Σξ)/m: a
        linear system of D² unknowns (solved directly up to D = 32, by its Neumann series above). None when
        the second moment has no fixed point (the series grows: mean-square unstable)."""
        D, k = self.D, self.k
        kron = torch.einsum("jab,kcd->jkacbd", self.f, self.f).reshape(D, D, k * k, k * k)
        A = torch.eye(k * k, dtype=F64) - kron
        try:
            phi = torch.linalg.solve(A, self.JJ.reshape(k * k).expand(D, D, k * k).unsqueeze(-1))[..., 0, 0]
        except RuntimeError:  # a direction on the edge (f has an eigenvalue pair whose product is 1)
            return None
        if not self.noisy:
            return torch.zeros(D, D, dtype=F64)
        coef = phi / self.m  # (D, D)
        if D * D <= 1024:
            basis = torch.eye(D * D, dtype=F64).reshape(D * D, D, D)
            Nmat = self.noise(basis).reshape(D * D, D * D).t()  # column j: N(basis_j)
            A2 = torch.eye(D * D, dtype=F64) - coef.reshape(-1, 1) * Nmat
            S = torch.linalg.solve(A2, (coef * self.Sigma).reshape(-1)).reshape(D, D)
            return S if _settles(self, S, coef) else None
        S = coef * self.Sigma
        for _ in range(iterations):
            S2 = coef * (self.noise(S[None])[0] + self.Sigma)
            if not torch.isfinite(S2).all():
                return None
            if (S2 - S).abs().max() <= tol * S2.abs().max():
                return S2
            S = S2
        return None


def _settles(rec: Recursion, S: torch.Tensor, coef: torch.Tensor) -> bool:
    """A fixed point is the floor only if the second moment settles there: S positive semidefinite and the
    map S ↦ Φ∘N(S)/m contracting (its spectral radius below 1)."""
    if not torch.isfinite(S).all() or torch.linalg.eigvalsh((S + S.t()) / 2).min() < -1e-9 * S.abs().max():
        return False
    D = rec.D
    if D * D > 256:  # (an eigenvalue solve of D² × D² costs more than it tells here)
        return True
    basis = torch.eye(D * D, dtype=F64).reshape(D * D, D, D)
    Nmat = rec.noise(basis).reshape(D * D, D * D).t()
    return float(torch.linalg.eigvals(coef.reshape(-1, 1) * Nmat).abs().max()) < 1


def _kron_rows(Y: torch.Tensor) -> torch.Tensor:
    """(rows, D) → (rows, D²): each row's ỹ⊗ỹ."""
    return (Y[:, :, None] * Y[:, None, :]).reshape(Y.shape[0], -1)


def _sum_rows(part, n: int) -> torch.Tensor:
    """part(a, b) summed over chunks of ROWS rows."""
    total = None
    for a in range(0, n, ROWS):
        t = part(a, min(n, a + ROWS))
        total = t if total is None else total + t
    return total
