r"""Pairwise Ising model, fitting: the fixed points of every training scheme with exact moments.

:func:`fit` solves the stationary equations of maximum likelihood, pseudolikelihood, CD-k,
PCD and short runs for a law over :func:`solvable.ising.all_states` (theory.md sections 2.1,
2.4 and 5.2; theory.md ships in the repository's ``docs/`` folder). Re-exported by
:mod:`solvable.ising`.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from . import _validate as V
from .errors import NoFixedPointError, UnstableFixedPointWarning
from .ising_exact import INVARIANT_DYNAMICS, MAX_DENSE_MATRIX_N, MAX_PARALLEL_N, features
from .ising_exact import check_dynamics as _dynamics
from .ising_exact import check_law as _law
from .ising_exact import check_time as _time
from .ising_exact import dense_couplings as _dense_couplings
from .ising_exact import evolve_law as _evolve
from .ising_exact import law_feature_vector as _law_features
from .ising_exact import minus_energies as _minus_energies
from .ising_exact import size_limit as _size_limit
from .ising_exact import stationary_law as _stationary

__all__ = ["FIT_SCHEMES", "MAX_INTERIOR_CHECK_N", "pseudolikelihood", "fit"]

FIT_SCHEMES = ("mle", "short-run", "cd", "pcd", "pseudolikelihood")


# ======================================================================================
# fixed points of the training schemes (exact moments)
# ======================================================================================
def _pack(J, h):
    return np.concatenate([h, J[np.triu_indices(h.size, 1)]])


def _unpack(theta, n):
    h = theta[:n].copy()
    J = np.zeros((n, n))
    J[np.triu_indices(n, 1)] = theta[n:]
    return J + J.T, h


def _pair_index(n):
    """PI[i, j] = position of the parameter J_ij (i != j) in the packed vector."""
    PI = np.full((n, n), -1, dtype=np.int64)
    iu = np.triu_indices(n, 1)
    PI[iu] = n + np.arange(iu[0].size)
    PI[(iu[1], iu[0])] = PI[iu]
    return PI


def _pl_terms(theta, S, w, n, hessian):
    r"""Pseudolikelihood :math:`\mathrm{PL}=\sum_sw_s\sum_i\log p_\theta(s_i\mid s_{\setminus i})`,
    its gradient and Hessian in the packed parameters (Besag 1975; theory.md 2.4)."""
    J, h = _unpack(theta, n)
    H = S @ J + h
    x = S * H
    value = float(w @ np.sum(x - (np.abs(H) + np.log1p(np.exp(-2.0 * np.abs(H)))), axis=1))
    r = S - np.tanh(H)  # d/dH_i of log p(s_i | rest)
    wr = w[:, None] * r
    grad = np.empty(theta.size)
    grad[:n] = wr.sum(axis=0)
    G = S.T @ wr  # G[j, i] = sum_s w s_j r_i
    iu = np.triu_indices(n, 1)
    grad[n:] = G[iu[1], iu[0]] + G[iu[0], iu[1]]
    if not hessian:
        return value, grad, None
    PI = _pair_index(n)
    sech2 = w[:, None] / np.cosh(H) ** 2
    Hs = np.zeros((theta.size, theta.size))
    for i in range(n):
        others = np.array([j for j in range(n) if j != i], dtype=np.int64)
        idx = np.concatenate([[i], PI[i, others]])
        X = np.hstack([np.ones((S.shape[0], 1)), S[:, others]])
        Hs[np.ix_(idx, idx)] -= (X * sech2[:, i:i + 1]).T @ X
    return value, grad, Hs


def pseudolikelihood(p_data, J, h):
    r"""Expected log-pseudolikelihood :math:`\langle\sum_i\log p_\theta(s_i\mid s_{\setminus i})\rangle_D`
    and its gradient ``(value, grad_J, grad_h)`` (grad_J symmetric, zero diagonal; each
    off-diagonal entry is the derivative w.r.t. the pair parameter :math:`J_{ij}`, i<j).

    CD-1 with one random-site heat-bath step from the data has expected update
    :math:`\frac1n\nabla\mathrm{PL}` (Hyvarinen 2006; theory.md 2.4).

    Parameters
    ----------
    p_data : array (2^n,), the data law over :func:`solvable.ising.all_states`
    J : array (n, n), symmetric with zero diagonal
    h : array (n,) of fields (or a scalar)
    """
    J = _dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    p_data, _ = _law(p_data, "p_data", n)
    S, w = _support(p_data, n)
    value, grad, _ = _pl_terms(_pack(J, h), S, w, n, hessian=False)
    gJ, gh = _unpack(grad, n)
    return value, gJ, gh


def _support(p, n):
    idx = np.flatnonzero(p > 0)
    S = ((idx[:, None] >> np.arange(n)) & 1) * 2.0 - 1.0
    return S, p[idx]


def _log_z_and_cov(theta, n):
    """log Z, <phi> and Cov(phi) under p_theta (chunked over the states)."""
    J, h = _unpack(theta, n)
    a = _minus_energies(J, h)
    amax = a.max()
    p = np.exp(a - amax)
    Z = p.sum()
    p /= Z
    P = theta.size
    mu = np.zeros(P)
    M2 = np.zeros((P, P))
    chunk = 1 << 14
    for start in range(0, p.size, chunk):
        idx = np.arange(start, min(start + chunk, p.size))
        S = ((idx[:, None] >> np.arange(n)) & 1) * 2.0 - 1.0
        Phi = features(S)
        pc = p[idx]
        mu += pc @ Phi
        M2 += (Phi * pc[:, None]).T @ Phi
    return float(amax + np.log(Z)), mu, M2 - np.outer(mu, mu)


#: rounding floor of a sum of ``n_terms`` terms of size <= 1 (the moments and gradients here):
#: a residual below ``_FLOOR_FACTOR * eps * sqrt(n_terms)`` is at the noise floor and counts as zero
_FLOOR_FACTOR = 256.0
_EPS = float(np.finfo(float).eps)


def _noise_floor(n_terms):
    return _FLOOR_FACTOR * _EPS * np.sqrt(max(1.0, float(n_terms)))


def _newton_concave(objective, theta, tol, max_iter, bound, what, n_terms=1):
    r"""Maximise a concave objective(theta, hessian) -> (value, grad, hessian) by damped Newton.

    Stops when :math:`\max|\nabla|` < max(``tol``, noise floor of a gradient summed over
    ``n_terms`` states, :func:`_noise_floor`), or at the rounding floor of the objective: when
    the Newton decrement :math:`\lambda^2=\nabla^\top(-H)^{-1}\nabla` is below the rounding of
    the value (:math:`16\epsilon\max(1,|f|)`, so that a line search on f is blind) and a
    full Newton step no longer lowers the gradient (Boyd & Vandenberghe 2004, section 9.5:
    the decrement as stopping rule). Info: ``n_iter``, ``residual``, ``decrement``, ``stop``.
    """
    gtol = max(tol, _noise_floor(n_terms))
    value, grad, hess = objective(theta, True)
    lam2 = np.inf
    for it in range(max_iter):
        res = float(np.max(np.abs(grad)))
        if res < gtol:
            return theta, {"n_iter": it, "residual": res, "decrement": lam2, "stop": "gradient"}
        if np.max(np.abs(theta)) > bound:
            raise NoFixedPointError(
                f"{what}: no finite maximiser: |theta|_inf = {np.max(np.abs(theta)):.3g} > {bound} after {it} "
                f"Newton steps, gradient {res:.3g} (the data lie on the boundary of the model's moment space)"
            )
        try:
            step = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(-hess, grad, rcond=None)[0]
        lam2 = float(grad @ step)
        if 0.0 <= lam2 <= 16.0 * _EPS * max(1.0, abs(value)):
            # f can no longer rank the points (its change is below its rounding): take the full Newton
            # step and judge it by the gradient, which is still accurate
            new = theta + step
            nv, ng, nh = objective(new, True)
            if float(np.max(np.abs(ng))) < res:
                theta, value, grad, hess = new, nv, ng, nh
                continue
            return theta, {"n_iter": it, "residual": res, "decrement": lam2, "stop": "decrement"}
        cap = np.max(np.abs(step))
        if cap > 5.0:
            step *= 5.0 / cap
        alpha = 1.0
        while True:
            new = theta + alpha * step
            nv, ng, nh = objective(new, True)
            if nv >= value + 1e-4 * alpha * float(grad @ step) or alpha < 1e-10:
                break
            alpha *= 0.5
        if nv < value - 1e-12 * max(1.0, abs(value)):
            raise NoFixedPointError(f"{what}: Newton stalled at gradient {res:.3g}")
        theta, value, grad, hess = new, nv, ng, nh
    raise NoFixedPointError(
        f"{what}: no convergence in {max_iter} Newton steps; gradient {float(np.max(np.abs(grad))):.3g}, "
        f"|theta|_inf = {np.max(np.abs(theta)):.3g}"
    )


def _fd_jacobian(G, theta, eps=1e-6):
    P = theta.size
    Jac = np.empty((P, P))
    for b in range(P):
        e = np.zeros(P)
        e[b] = eps * max(1.0, abs(theta[b]))
        Jac[:, b] = (G(theta + e) - G(theta - e)) / (2.0 * e[b])
    return Jac


def _levenberg_marquardt(G, theta, F, Jac):
    r"""One Levenberg-Marquardt step on :math:`|G|^2`: :math:`(M^\top M+\mu I)s=-M^\top G`, with
    :math:`\mu` raised tenfold until :math:`|G|` drops. A descent direction for any Jacobian, so
    it also reaches stationary points the training flow leaves (unstable ones). Returns
    ``(theta, F)`` or None when no step lowers :math:`|G|` (a local minimum of the residual, or
    its rounding floor)."""
    JtJ = Jac.T @ Jac
    g = Jac.T @ F
    norm = np.linalg.norm(F)
    mu = 1e-6 * max(1.0, float(np.max(np.diag(JtJ))))
    eye = np.eye(theta.size)
    for _ in range(24):
        try:
            s = np.linalg.solve(JtJ + mu * eye, -g)
        except np.linalg.LinAlgError:
            mu *= 10.0
            continue
        cap = np.max(np.abs(s))
        if cap > 2.0:
            s *= 2.0 / cap
        new = theta + s
        Fn = G(new)
        if np.linalg.norm(Fn) < norm:
            return new, Fn
        mu *= 10.0
    return None


def _solve_stationary(G, theta, tol, max_iter, bound, what, n_terms=1):
    r"""Root of the expected update :math:`G(\theta)=\langle\phi\rangle_{\hat p_\theta}-\langle\phi\rangle_D`.

    Newton with a finite-difference Jacobian and a backtracking line search on |G|; where
    Newton fails to reduce |G|, a Levenberg-Marquardt step (a descent direction of
    :math:`|G|^2`), and where that fails too, the expected-update flow
    :math:`\theta\mathrel{-}=\gamma G` (20 steps). Converged when :math:`\max|G|` <
    max(``tol``, :func:`_noise_floor` of moments summed over ``n_terms`` states), or when no
    step lowers |G| any more and it is within 1e4 times that floor (rounding, not a missing
    root). No fixed point (theory.md 5.2) shows as a runaway (:math:`|\theta|_\infty` >
    ``bound``) or a stalled residual: NoFixedPointError.
    """
    floor = _noise_floor(n_terms)
    ftol = max(tol, floor)
    F = G(theta)
    best = np.inf
    since_best = 0
    n_flow = n_lm = 0

    def done(it, res, stop):
        Jac = _fd_jacobian(G, theta)
        return theta, {"n_iter": it, "residual": res, "jacobian": Jac, "stop": stop,
                       "stable": bool(np.all(np.linalg.eigvals(Jac).real > 0)), "flow_steps": n_flow,
                       "lm_steps": n_lm}

    for it in range(max_iter):
        res = float(np.max(np.abs(F)))
        if res < ftol:
            return done(it, res, "residual")
        if res < 0.9 * best:
            best, since_best = res, 0
        else:
            since_best += 1
        big = float(np.max(np.abs(theta)))
        if big > bound or since_best > 40:
            why = (f"the parameters run away (|theta|_inf = {big:.3g} > {bound}); the training flow drifts to "
                   "infinity" if big > bound
                   else f"the residual stalls at {res:.3g} (|theta|_inf = {big:.3g}), a positive local minimum of "
                   "|<phi>_model - <phi>_data|: no stationary point nearby")
            raise NoFixedPointError(
                f"{what}: no fixed point: {why}; after {it} iterations max |<phi>_model - <phi>_data| = {res:.3g} "
                "(theory.md 5.2)."
            )
        Jac = _fd_jacobian(G, theta)
        try:
            step = np.linalg.solve(Jac, -F)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(Jac, -F, rcond=None)[0]
        cap = np.max(np.abs(step))
        if cap > 2.0:
            step *= 2.0 / cap
        norm = np.linalg.norm(F)
        alpha = 1.0
        accepted = False
        while alpha >= 1.0 / 256:
            new = theta + alpha * step
            Fn = G(new)
            if np.linalg.norm(Fn) <= (1.0 - 1e-4 * alpha) * norm:
                theta, F, accepted = new, Fn, True
                break
            alpha *= 0.5
        if accepted:
            continue
        lm = _levenberg_marquardt(G, theta, F, Jac)
        if lm is not None:
            theta, F = lm
            n_lm += 1
            continue
        if res < 1e4 * floor:
            return done(it, res, "noise floor")
        gamma = 1.0 / max(1.0, np.linalg.norm(Jac, 2))
        for _ in range(20):
            theta = theta - gamma * F
            F = G(theta)
            n_flow += 1
    raise NoFixedPointError(
        f"{what}: no fixed point found in {max_iter} iterations; residual {float(np.max(np.abs(F))):.3g}, "
        f"|theta|_inf = {float(np.max(np.abs(theta))):.3g}"
    )


def _continuation(G, theta0, d, tol, max_iter, bound, what, n_terms, error, n_stages=16):
    r"""Root of G by continuation in the data: solve :math:`G(\theta)=(1-s)\,G(\theta_0)` for
    s = 1/n_stages, ..., 1, each stage from the previous root (:math:`\theta_0` solves s = 0), so that
    the iterate follows a branch of roots instead of falling into a local minimum of |G| (e.g. PCD
    with parallel heat bath, whose stationary points are unstable). A stage that fails is split in
    two, down to 1/256 of the path; then ``error`` (the first solver's) is raised."""
    g0 = G(theta0)
    theta, s, ds = theta0, 0.0, 1.0 / n_stages
    info = None
    while s < 1.0:
        s_next = min(1.0, s + ds)
        try:
            theta, info = _solve_stationary(lambda t, c=(1.0 - s_next): G(t) - c * g0, theta,
                                            tol if s_next == 1.0 else 1e-8, max_iter, bound, what, n_terms)
            s = s_next
            ds = min(2.0 * ds, 1.0 / n_stages)
        except NoFixedPointError:
            ds /= 2.0
            if ds < 1.0 / 256:
                raise error from None
    return theta, info


#: largest n for which fit(scheme="mle") checks by linear programming that data with zeros
#: have moments inside the marginal polytope (else the MLE is at infinity)
MAX_INTERIOR_CHECK_N = 12


def check_interior(p_data, n, what):
    r"""Raise NoFixedPointError (message naming ``what``) when the data moments lie on the boundary of the marginal polytope.

    The MLE of an exponential family exists iff the data moments are interior, i.e. some
    law with full support has them (Barndorff-Nielsen 1978). Data with full support
    pass at once; otherwise a linear program maximises the smallest probability
    :math:`\varepsilon` of a law with the data moments, and :math:`\varepsilon=0` means the
    maximiser is at infinity. Skipped for n > :data:`MAX_INTERIOR_CHECK_N` (then only the
    runaway test of the Newton iteration applies).
    """
    if np.all(p_data > 0) or n > MAX_INTERIOR_CHECK_N:
        return
    from scipy.optimize import linprog  # noqa: PLC0415 (only needed for data with zeros)

    N = 2**n
    S = ((np.arange(N)[:, None] >> np.arange(n)) & 1) * 2.0 - 1.0
    Phi = features(S)
    A_eq = np.hstack([np.vstack([Phi.T, np.ones((1, N))]), np.zeros((Phi.shape[1] + 1, 1))])
    b_eq = np.concatenate([_law_features(p_data, n), [1.0]])
    A_ub = sparse.hstack([-sparse.identity(N), np.ones((N, 1))]).tocsr()
    c = np.zeros(N + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(N), A_eq=A_eq, b_eq=b_eq, bounds=[(0, None)] * N + [(0, 1)],
                  method="highs")
    if res.status == 0 and -res.fun < 1e-12:
        raise NoFixedPointError(
            f"{what}: no finite maximiser: the data moments lie on the boundary of the marginal polytope "
            "(no law with full support has them), so the maximum-likelihood parameters are at infinity"
        )


def fit(p_data, *, scheme, k=1, dynamics="random-heat-bath", p0=None, tol=1e-10, max_iter=200, bound=50.0,
        full_output=False):
    r"""The stationary point :math:`(J, h)` of a training scheme's expected update, with exact moments.

    ``scheme``:

    * ``"mle"``: :math:`\langle\phi\rangle_{p_\theta}=\langle\phi\rangle_D`; Newton with Hessian
      :math:`\mathrm{Cov}_{p_\theta}(\phi)` (concave log-likelihood).
    * ``"pseudolikelihood"``: maximiser of :func:`pseudolikelihood` (Newton, concave).
    * ``"short-run"`` (Rdm-k): :math:`\langle\phi\rangle_{p_0T^k_\theta}=\langle\phi\rangle_D`,
      chains restarted from ``p0`` (default uniform) and run for ``k`` (units of ``dynamics``).
    * ``"cd"`` (CD-k): :math:`\langle\phi\rangle_{p_DT^k_\theta}=\langle\phi\rangle_D`.
    * ``"pcd"``: :math:`\langle\phi\rangle_{\pi_\theta}=\langle\phi\rangle_D` with :math:`\pi_\theta`
      the stationary law of the kernel (:func:`stationary`): the MLE for every single-site
      kernel, not for the parallel ones.

    theory.md 2.1, 2.4, 5.2 (theory.md ships in the repository's ``docs/`` folder).

    Solvers. mle and pseudolikelihood: damped Newton on the concave objective, stopped when the
    gradient is below ``tol`` or at the rounding floor (Newton decrement below the rounding of the
    objective and a full Newton step no longer lowering the gradient; Boyd & Vandenberghe 2004,
    9.5). Flow schemes: Newton on the expected update with a finite-difference Jacobian (``2 P``
    evolutions per iteration, P = n(n+1)/2 parameters), a Levenberg-Marquardt step where Newton
    fails to lower the residual, the update flow where both fail; if that start (theta = 0)
    ends in a runaway or a stalled residual, a second start at the pseudolikelihood fit, then a
    continuation in the data (derived here) before NoFixedPointError. Residuals below
    ``256 eps sqrt(2^n)`` count as zero (the rounding floor of moments summed over 2^n states),
    so a ``tol`` below it stops at the floor instead of failing.

    Parameters
    ----------
    p_data : array (2^n,), the data law over :func:`solvable.ising.all_states` (n <= 24)
    scheme : one of :data:`FIT_SCHEMES`
    k : time of the chains (units of ``dynamics``; > 0 for short-run and cd)
    dynamics : one of :data:`solvable.ising.DYNAMICS`
    p0 : array (2^n,) or None, the short-run start law (None: uniform)
    tol : float > 0, the final max residual :math:`\max|\langle\phi\rangle_{\hat p}-\langle\phi\rangle_D|`
        (the gradient for mle/PL), or the rounding floor if larger
    max_iter : int >= 1, iterations per solver start
    bound : float > 0, :math:`|\theta|_\infty` beyond which the parameters are declared to run away
    full_output : bool, also return the solver's info dict

    Returns
    -------
    ``(J, h)``, or ``(J, h, info)`` with ``full_output``: ``n_iter``, ``residual``, ``stop`` (why it
    stopped: ``"gradient"``/``"decrement"`` for mle/PL, ``"residual"``/``"noise floor"`` for the
    flow schemes), ``decrement`` (mle/PL); for flow schemes the Jacobian
    :math:`M=\partial\langle\phi\rangle_{\hat p}/\partial\theta`, ``stable`` (all eigenvalues of
    M with positive real part, i.e. the training flow converges there), ``lm_steps``, ``flow_steps``.

    An unstable stationary point (the flow leaves it; e.g. PCD with parallel heat bath)
    is returned with an :class:`~solvable.errors.UnstableFixedPointWarning`.
    Raises :class:`~solvable.NoFixedPointError` when there is none: parameters beyond
    ``bound`` (runaway), a stalled residual (a positive local minimum of the residual), or no
    convergence in ``max_iter`` iterations (e.g. short runs with small k, theory.md 9.5).
    """
    p_data, n = _law(p_data, "p_data")
    scheme = V.choice(scheme, "scheme", FIT_SCHEMES)
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    tol = V.positive(tol, "tol")
    max_iter = V.integer(max_iter, "max_iter", low=1)
    bound = V.positive(bound, "bound")
    p0 = np.full(2**n, 2.0**-n) if p0 is None else _law(p0, "p0", n)[0]
    if scheme in ("short-run", "cd") and k == 0:
        raise ValueError(f"k must be > 0 for scheme={scheme!r}: after zero steps the chains ignore the parameters")
    if dynamics.startswith("parallel") and scheme in ("short-run", "cd", "pcd"):
        _size_limit(n, MAX_PARALLEL_N if scheme != "pcd" or dynamics == "parallel-heat-bath" else MAX_DENSE_MATRIX_N,
                    f"fit(dynamics={dynamics!r})", "synchronous kernels on exact laws cost O(4^n) per step")
    d = _law_features(p_data, n)
    theta0 = np.zeros(n + n * (n - 1) // 2)
    detail = "" if scheme in ("mle", "pseudolikelihood") else f", k={k}, dynamics={dynamics!r}"
    what = f"fit(scheme={scheme!r}{detail})"

    if scheme == "mle" or (scheme == "pcd" and dynamics in INVARIANT_DYNAMICS):
        check_interior(p_data, n, what)

        def loglik(theta, _):
            logz, mu, cov = _log_z_and_cov(theta, n)
            return float(theta @ d) - logz, d - mu, -cov

        theta, info = _newton_concave(loglik, theta0, tol, max_iter, bound, what, n_terms=2**n)
    elif scheme == "pseudolikelihood":
        S, w = _support(p_data, n)
        theta, info = _newton_concave(lambda t, hs: _pl_terms(t, S, w, n, hs), theta0, tol, max_iter, bound, what,
                                      n_terms=w.size)
    else:
        start_law = {"short-run": p0, "cd": p_data}.get(scheme)

        def G(theta):
            J, h = _unpack(theta, n)
            if scheme == "pcd":
                q = _stationary(J, h, dynamics)
            else:
                q = _evolve(start_law, J, h, k, dynamics)
            return _law_features(q, n) - d

        try:
            theta, info = _solve_stationary(G, theta0, tol, max_iter, bound, what, n_terms=2**n)
        except NoFixedPointError as first:
            # theta = 0 may lie in the basin of a positive local minimum of the residual (e.g. PCD with
            # parallel heat bath, whose stationary points are unstable): one more start, at the
            # pseudolikelihood fit of the data, before concluding that there is no fixed point
            try:
                S, w = _support(p_data, n)
                theta_pl, _ = _newton_concave(lambda t, hs: _pl_terms(t, S, w, n, hs), theta0, 1e-8, max_iter,
                                              bound, what, n_terms=w.size)
                theta, info = _solve_stationary(G, theta_pl, tol, max_iter, bound, what, n_terms=2**n)
            except NoFixedPointError:
                theta, info = _continuation(G, theta0, d, tol, max_iter, bound, what, 2**n, first)
        if not info["stable"]:
            # theta = 0 can itself be a spurious stationary point (e.g. parallel Metropolis, even k,
            # where every spin flips at every step); look for a stable one from the pseudolikelihood fit
            try:
                S, w = _support(p_data, n)
                theta_pl, _ = _newton_concave(lambda t, hs: _pl_terms(t, S, w, n, hs), theta0, 1e-8, max_iter,
                                              bound, what)
                alt, alt_info = _solve_stationary(G, theta_pl, tol, max_iter, bound, what, n_terms=2**n)
                if alt_info["stable"]:
                    theta, info = alt, alt_info
            except NoFixedPointError:
                pass
        if not info["stable"]:
            ev = np.linalg.eigvals(info["jacobian"])
            warnings.warn(
                f"{what}: the stationary point found is unstable (eigenvalue {ev.real.min():.3g} < 0 of the "
                "expected update's Jacobian): training with a small learning rate moves away from it",
                UnstableFixedPointWarning, stacklevel=2,
            )
    J, h = _unpack(theta, n)
    return (J, h, info) if full_output else (J, h)
