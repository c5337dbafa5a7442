r"""Derivations for one Gaussian eigenmode (ULA and continuous time): the law after k steps, the
fixed-point equations of short-run, CD and PCD training, their solutions, limits and series.
Public face: :mod:`solvable.symbolic` (theory.md section 3)."""
from __future__ import annotations

import functools
import numbers

from .symbolic_core import (
    sympy_module,
    symbols,
    symbol,
    time_arg,
    step_arg,
    affine_recursion,
    relaxation,
)
# --------------------------------------------------------------------------------------
# Gaussian EBM, one eigenmode
# --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _gaussian_mode(k, step):
    S = symbols()
    j, h, m0, v0 = S["j"], S["h"], S["m0"], S["v0"]
    if step is None:
        # Ito: d<x> = -(j<x> - h) dt ; d<x^2> = (-2j<x^2> + 2h<x> + 2) dt  =>  dv/dt = -2jv + 2
        mean = relaxation(j, h, m0, k)
        var = relaxation(2 * j, 2, v0, k)
    else:
        rho = 1 - step * j
        # x' = rho x + eta h + sqrt(2 eta) xi  =>  m' = rho m + eta h ;  v' = rho^2 v + 2 eta
        mean = affine_recursion(rho, step * h, m0, k)
        var = affine_recursion(rho**2, 2 * step, v0, k)
    return mean, var


def gaussian_mode(k, *, step=None):
    r"""Mean and variance of one eigenmode of the Gaussian EBM after time k, as sympy expressions.

    Energy :math:`E=\tfrac12jx^2-hx` per eigenmode (j an eigenvalue of J, h the field's component),
    start law :math:`\mathcal N(m_0,v_0)`. Returns ``(mean, var)`` in the symbols ``j, h, m0, v0``
    (and ``eta`` when ``step="eta"``); ``k`` an int (steps; a number for continuous time) or
    the symbol ``k``.

    Derivation (here, in code; theory.md 3.1):

    * ULA, ``step=eta``: :math:`x'=\rho x+\eta h+\sqrt{2\eta}\,\xi`, :math:`\rho=1-\eta j`, so
      the moments obey the affine recursions :math:`m'=\rho m+\eta h` and
      :math:`v'=\rho^2v+2\eta`; :func:`affine_recursion` solves them:
      :math:`m_k=h/j+(m_0-h/j)\rho^k`,
      :math:`v_k=v_\infty+(v_0-v_\infty)\rho^{2k}`, :math:`v_\infty=2\eta/(1-\rho^2)=1/[j(1-\eta j/2)]`;
    * continuous time (``step=None``), :math:`dx=-(jx-h)dt+\sqrt2dW`: Itô's formula gives the
      moment ODEs :math:`\dot m=-(jm-h)`, :math:`\dot v=-2jv+2`; :func:`relaxation` solves them:
      :math:`m(k)=h/j+(m_0-h/j)e^{-jk}`, :math:`v(k)=1/j+(v_0-1/j)e^{-2jk}`.

    Numeric counterpart: :func:`solvable.gaussian.langevin_moments` (per eigenmode). The
    forms have a removable singularity at j = 0 (limits :math:`m_0+hk`, :math:`v_0+2k`; ULA
    :math:`m_0+\eta hk`, :math:`v_0+2\eta k`).

    Parameters
    ----------
    k : time: an int >= 0 (ULA steps), a number >= 0 (continuous time) or a sympy expression
        such as the symbol ``k``
    step : None (default: continuous time), ``"eta"`` (ULA, the step as the symbol ``eta``) or a
        number / sympy expression > 0 (ULA with that step)

    Returns
    -------
    ``(mean, var)``, sympy expressions.
    """
    step = step_arg(step)
    k = time_arg(k, integer=step is not None)
    return _gaussian_mode(k, step)


def gaussian_stationary_variance(*, step=None):
    r"""Stationary variance of one mode: :math:`1/j` (continuous time), :math:`1/[j(1-\eta j/2)]` (ULA).

    Derivation: the fixed point :math:`v=\rho^2v+2\eta` of the variance recursion
    (:math:`v_\infty=2\eta/(1-\rho^2)`, factorised), resp. of :math:`\dot v=-2jv+2`; it is the
    :math:`k\to\infty` limit of :func:`gaussian_mode` for :math:`0<\eta j<2` (resp. j > 0).

    Parameters
    ----------
    step : None (default: continuous time), ``"eta"`` (ULA, the step as the symbol ``eta``) or a
        number / sympy expression > 0 (ULA with that step)

    Returns
    -------
    sympy expression in ``j`` (and the step).
    """
    sp = sympy_module()
    step = step_arg(step)
    j = symbol("j")
    v = sp.Symbol("v")
    if step is None:
        return sp.solve(sp.Eq(0, -2 * j * v + 2), v)[0]
    (root,) = sp.solve(sp.Eq(v, (1 - step * j) ** 2 * v + 2 * step), v)
    return sp.factor(root)


def gaussian_short_run_equation(k, *, step=None):
    r"""The short-run (Rdm-k) fixed-point equation of one mode's coupling: :math:`v_k(j)=c`.

    Short-run training restarts every chain from :math:`\mathcal N(m_0,v_0)` and stops where the
    k-step moments equal the data's (theory.md 2.1-2.2); the variance equation involves j
    only: :math:`v_0e^{-2jk}+(1-e^{-2jk})/j=c` (continuous time, theory.md 3.2),
    :math:`v_0r^k+2\eta(1-r^k)/(1-r)=c` with :math:`r=\rho^2` (ULA, theory.md 3.3).
    Derivation: the variance of :func:`gaussian_mode` set equal to the data variance ``c``.
    Numeric counterpart: :func:`solvable.gaussian.short_run_fixed_point` (its root).

    Parameters
    ----------
    k : time: an int >= 0 (ULA steps), a number >= 0 (continuous time) or a sympy expression
        such as the symbol ``k``
    step : None (default: continuous time), ``"eta"`` (ULA, the step as the symbol ``eta``) or a
        number / sympy expression > 0 (ULA with that step)

    Returns
    -------
    ``sympy.Eq(v_k, c)``.
    """
    sp = sympy_module()
    _, var = gaussian_mode(k, step=step)
    return sp.Eq(var, symbol("c"))


def gaussian_short_run_equation_in_r(k, *, step="eta"):
    r"""The ULA short-run equation in :math:`r=\rho^2`: :math:`c_k(r)=v_0r^k+2\eta(1-r^k)/(1-r)=c` (theory.md 3.3).

    Derivation: :func:`gaussian_short_run_equation` with :math:`(1-\eta j)^2\to r`; for an integer
    k the left side is the polynomial :math:`v_0r^k+2\eta\sum_{s<k}r^s` (positive coefficients, so a
    root :math:`r\ge0` exists iff :math:`c\ge2\eta`).

    Parameters
    ----------
    k : number of ULA steps (int >= 0, expanded as a polynomial) or a sympy expression such as ``k``
    step : ``"eta"`` (default, the symbol) or a number / sympy expression > 0; None (continuous
        time) gives ``ValueError``

    Returns
    -------
    ``sympy.Eq(c_k(r), c)`` in ``r, v0, c`` (and ``eta``).
    """
    sp = sympy_module()
    step = step_arg(step)
    if step is None:
        raise ValueError("step must be a ULA step ('eta' or a number): the equation in r = (1 - eta j)^2 is ULA's")
    k = time_arg(k, integer=True)
    r = symbol("r")
    lhs = affine_recursion(r, 2 * step, symbol("v0"), k)
    if k.is_Integer:
        lhs = sp.expand(sp.cancel(lhs))
    return sp.Eq(lhs, symbol("c"))


@functools.lru_cache(maxsize=None)
def _ula_short_run_coupling(k, step):
    sp = sympy_module()
    S = symbols()
    r, c, v0 = S["r"], S["c"], S["v0"]
    eq = gaussian_short_run_equation_in_r(k, step=step)
    roots = sp.solve(eq, r)
    # the stable root: r >= 0 (c_k is increasing on r >= 0; the other roots are negative);
    # picked at a test point inside the existence range c > 2 eta
    point = {c: sp.Rational(1, 2), v0: sp.Integer(1), S["eta"]: sp.Rational(1, 100)}
    good = [q for q in roots if sp.N(q.subs(point).subs(S["eta"], sp.Rational(1, 100))) >= 0]
    assert len(good) == 1, roots
    r_star = good[0]
    # j_- = (1 - sqrt r*)/eta: the stable branch eta j <= 1 (theory.md 3.3)
    return sp.simplify((1 - sp.sqrt(r_star)) / step), r_star


def gaussian_short_run_coupling(k, *, step="eta"):
    r"""The short-run ULA fixed point :math:`j^*` in closed form, k = 1 or 2 (stable branch :math:`j_-`).

    Derivation (theory.md 3.3, in code): solve the polynomial equation
    :math:`v_0r^k+2\eta\sum_{s<k}r^s=c` (:func:`gaussian_short_run_equation_in_r`) for
    :math:`r=\rho^2` with ``sympy.solve``, keep the root :math:`r^*\ge0` (unique: the left side
    increases on :math:`r\ge0` from :math:`2\eta`), and take the stable branch
    :math:`j_-=(1-\sqrt{r^*})/\eta`. k = 1: :math:`j^*=(1-\sqrt{(c-2\eta)/v_0})/\eta`; k = 2:
    :math:`r^*=(-\eta+\sqrt{\eta^2+v_0(c-2\eta)})/v_0`. Real iff :math:`c\ge2\eta`.
    For k >= 3 the root has no useful closed form (a degree-k polynomial) and continuous
    time gives a transcendental equation: ValueError, use
    :func:`solvable.gaussian.short_run_fixed_point` or :func:`short_run_coupling_series`.

    Parameters
    ----------
    k : 1 or 2 (ULA steps; other values give ``ValueError``)
    step : ``"eta"`` (default, the symbol) or a number / sympy expression > 0; None (continuous
        time) gives ``ValueError``

    Returns
    -------
    sympy expression of :math:`j^*` in ``c, v0`` (and ``eta``).
    """
    step = step_arg(step)
    if step is None:
        raise ValueError("continuous time: v0 e^{-2jk} + (1 - e^{-2jk})/j = c has no closed-form root; "
                         "use short_run_coupling_series(order) (small k) or solvable.gaussian.short_run_fixed_point")
    k = time_arg(k, integer=True)
    if k not in (1, 2):
        raise ValueError(f"k must be 1 or 2 for a closed-form short-run coupling, got {k}")
    return _ula_short_run_coupling(k, step)[0]


def gaussian_short_run_field(k, *, step=None):
    r"""The short-run fixed-point field h of one mode, in terms of its coupling j: :math:`m_k(j,h)=\mu_D` solved for h.

    Derivation: the mean of :func:`gaussian_mode` is affine in h; ``sympy.solve`` gives
    :math:`h=j(\mu_D-A m_0)/(1-A)` with :math:`A=\rho^k` (ULA) or :math:`e^{-jk}` (continuous),
    theory.md 3.4.

    Parameters
    ----------
    k : time: an int >= 0 (ULA steps), a number >= 0 (continuous time) or a sympy expression
        such as the symbol ``k``
    step : None (default: continuous time), ``"eta"`` (ULA, the step as the symbol ``eta``) or a
        number / sympy expression > 0 (ULA with that step)

    Returns
    -------
    sympy expression of h in ``j, m0, mu_D`` (and the step), factorised.
    """
    sp = sympy_module()
    mean, _ = gaussian_mode(k, step=step)
    (h,) = sp.solve(sp.Eq(mean, symbol("mu_D")), symbol("h"))
    return sp.factor(h)


def gaussian_mean_overshoot(k, *, step=None):
    r""":math:`h/j-\mu_D=\frac{A}{1-A}(\mu_D-m_0)`: the short-run model's mean overshoots the data, away from :math:`m_0`.

    Derivation: :func:`gaussian_short_run_field` divided by j minus the data mean, factorised
    (theory.md 3.4); :math:`A=\rho^k` or :math:`e^{-jk}`.

    Parameters
    ----------
    k : time: an int >= 0 (ULA steps), a number >= 0 (continuous time) or a sympy expression
        such as the symbol ``k``
    step : None (default: continuous time), ``"eta"`` (ULA, the step as the symbol ``eta``) or a
        number / sympy expression > 0 (ULA with that step)

    Returns
    -------
    sympy expression in ``j, m0, mu_D`` (and the step), factorised.
    """
    sp = sympy_module()
    return sp.factor(sp.simplify(gaussian_short_run_field(k, step=step) / symbol("j") - symbol("mu_D")))


def gaussian_cd_equation(k, *, step=None):
    r"""CD-k from the data: :math:`v_k-c=(1-A^2)(v_\infty-c)`, so the fixed point is :math:`v_\infty=c` for every k.

    Derivation (theory.md 3.5, in code): the variance of :func:`gaussian_mode` with the start
    variance set to the data's (:math:`v_0=c`) minus c, factorised by sympy; the factor
    :math:`1-A^2` (:math:`A=\rho^k` or :math:`e^{-jk}`) vanishes only at k = 0 (or
    :math:`\eta j\in\{0,2\}`), so CD-k stops where the stationary variance
    (:func:`gaussian_stationary_variance`) equals c: the same equation as PCD
    (:func:`gaussian_persistent_equation`). Returns ``Eq(v_k - c, factorised form)``.

    Parameters
    ----------
    k : time: an int >= 0 (ULA steps), a number >= 0 (continuous time) or a sympy expression
        such as the symbol ``k``
    step : None (default: continuous time), ``"eta"`` (ULA, the step as the symbol ``eta``) or a
        number / sympy expression > 0 (ULA with that step)

    Returns
    -------
    ``sympy.Eq`` as above, in ``j, c`` (and the step).
    """
    sp = sympy_module()
    step = step_arg(step)
    _, var = gaussian_mode(k, step=step)
    lhs = var.subs(symbol("v0"), symbol("c")) - symbol("c")
    v_inf = gaussian_stationary_variance(step=step)
    j, c = symbol("j"), symbol("c")
    A2 = sp.exp(-2 * j * time_arg(k, integer=False)) if step is None else (1 - step * j) ** (2 * time_arg(k, integer=True))
    rhs = sp.Mul(1 - A2, v_inf - c, evaluate=False)
    assert sp.simplify(lhs - (1 - A2) * (v_inf - c)) == 0
    return sp.Eq(lhs, rhs, evaluate=False)


def gaussian_persistent_equation(*, step=None):
    r"""PCD (slow learning rate) and CD-k fixed point of one mode: :math:`v_\infty(j)=c`.

    ULA: :math:`1/[j(1-\eta j/2)]=c`, i.e. :math:`j(1-\eta j/2)=1/c` (theory.md 3.5); exact
    kernels (continuous time, MALA): :math:`1/j=c`, the maximum likelihood. Derivation:
    persistent chains sample the kernel's stationary law (:func:`gaussian_stationary_variance`),
    and training stops where its variance is the data's. Returned as ``Eq(j*(1 - eta*j/2), 1/c)``
    (``Eq(j, 1/c)`` for ``step=None``).

    Parameters
    ----------
    step : None (default: continuous time), ``"eta"`` (ULA, the step as the symbol ``eta``) or a
        number / sympy expression > 0 (ULA with that step)

    Returns
    -------
    ``sympy.Eq`` as above.
    """
    sp = sympy_module()
    step = step_arg(step)
    j, c = symbol("j"), symbol("c")
    v_inf = gaussian_stationary_variance(step=step)
    lhs = j if step is None else sp.Mul(j, 1 - step * j / 2, evaluate=False)
    assert sp.simplify(lhs - 1 / v_inf) == 0, (lhs, v_inf)
    return sp.Eq(lhs, 1 / c)


@functools.lru_cache(maxsize=None)
def _persistent_root():
    sp = sympy_module()
    S = symbols()
    j, c, eta = S["j"], S["c"], S["eta"]
    roots = sp.solve(gaussian_persistent_equation(step="eta"), j)
    # the branch continuous at eta -> 0 (finite limit 1/c); the other root ~ 2/eta is unstable
    good = [q for q in roots if sp.limit(q, eta, 0) == 1 / c]
    assert len(good) == 1, roots
    return good[0]


def persistent_ula_coupling(order=None):
    r"""PCD-ULA coupling :math:`j_{\rm CD}` of a mode with data variance c, exact or as a series in :math:`\eta`.

    Derivation (theory.md 3.5, in code): ``sympy.solve`` the persistent equation
    :math:`j(1-\eta j/2)=1/c` (:func:`gaussian_persistent_equation`) and keep the root with a
    finite :math:`\eta\to0` limit: :math:`j=(1-\sqrt{1-2\eta/c})/\eta`; its Taylor series in
    :math:`\eta` (``sympy.series``) is the ULA bias of PCD,
    :math:`j=\frac1c+\frac{\eta}{2c^2}+\frac{\eta^2}{2c^3}+O(\eta^3)` (ML is 1/c).

    ``order=None``: the exact root; an int >= 0: the polynomial in ``eta`` up to
    :math:`\eta^{\rm order}` inclusive (the O() term removed). Numeric counterpart:
    :func:`solvable.gaussian.persistent_fixed_point`.

    Parameters
    ----------
    order : None (default, the exact root) or an int >= 0 (the last power of ``eta`` kept)

    Returns
    -------
    sympy expression in ``c`` and ``eta``.
    """
    sp = sympy_module()
    root = _persistent_root()
    if order is None:
        return root
    if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 0:
        raise ValueError(f"order must be None or an integer >= 0, got {order!r}")
    eta = symbol("eta")
    return sp.expand(sp.series(root, eta, 0, int(order) + 1).removeO())


@functools.lru_cache(maxsize=None)
def _short_run_series(order):
    sp = sympy_module()
    S = symbols()
    c, v0 = S["c"], S["v0"]
    kk = sp.Symbol("kappa", positive=True)
    u = sp.Symbol("u")  # u = j k, finite as k -> 0
    u0 = sp.Symbol("u0", real=True)  # the k = 0 root; c = v0 e^{-2 u0}
    # g(j; k) = c written in u = j k:  v0 e^{-2u} + k (1 - e^{-2u})/u = c
    F = v0 * sp.exp(-2 * u) + kk * (1 - sp.exp(-2 * u)) / u - v0 * sp.exp(-2 * u0)
    coeffs = [u0]
    for i in range(1, order + 2):
        ui = sp.Symbol(f"u{i}")
        trial = sum(cf * kk**p for p, cf in enumerate(coeffs)) + ui * kk**i
        term = sp.series(F.subs(u, trial), kk, 0, i + 1).removeO().coeff(kk, i)
        (sol,) = sp.solve(term, ui)  # linear in u_i (coefficient -2 v0 e^{-2 u0} = -2c)
        coeffs.append(sp.factor(sp.simplify(sol)))
    Q = sp.Symbol("Q", positive=True)  # Q = v0 / c = e^{2 u0}
    tidy = [sp.factor(sp.expand(cf.subs(u0, sp.log(Q) / 2))) for cf in coeffs]
    tidy = [sp.factor(cf.subs(Q, v0 / c)) for cf in tidy]
    return sum(cf * symbol("k") ** (p - 1) for p, cf in enumerate(tidy))


def short_run_coupling_series(order):
    r"""Continuous-time short-run coupling :math:`j^*(k)` for small k, to :math:`O(k^{\rm order})` inclusive.

    Derivation (here, in code): with :math:`u=jk` the equation :math:`g(j;k)=c` of theory.md 3.2 reads
    :math:`v_0e^{-2u}+k(1-e^{-2u})/u=c`; at k = 0 it gives :math:`u_0=\tfrac12\ln(v_0/c)`, and
    inserting :math:`u=u_0+u_1k+u_2k^2+\dots` gives one linear equation per order
    (``sympy.series``). Then :math:`j^*=u/k=\frac{\ln(v_0/c)}{2k}+u_1+u_2k+\dots`; the leading
    term is theory.md's :math:`k\to0` limit. Valid for :math:`c\ne v_0` (at :math:`c=v_0`,
    :math:`j^*=1/c` for every k).

    Parameters
    ----------
    order : int in [-1, 2], the power of k of the last term kept (-1: the leading :math:`1/k` term only)

    Returns
    -------
    sympy expression in ``k, c, v0``.
    """
    if isinstance(order, bool) or not isinstance(order, numbers.Integral) or not -1 <= order <= 2:
        raise ValueError(f"order must be an integer in [-1, 2] (the power of k of the last term), got {order!r}")
    return _short_run_series(int(order))


@functools.lru_cache(maxsize=None)
def gaussian_limits():
    r"""The limits of the Gaussian fixed-point equations, derived by ``sympy.limit``; a list of (label, Eq).

    * short-run, continuous time, :math:`k\to\infty` (j > 0): :math:`g\to1/j`, so :math:`j^*\to1/c` (ML);
    * short-run, ULA, :math:`k\to\infty` (:math:`0<r<1`, written :math:`r=e^{-\lambda}`): the
      equation tends to :math:`2\eta/(1-r)=c`, whose stable root is the PCD-ULA coupling
      :math:`j_\infty=(1-\sqrt{1-2\eta/c})/\eta` (:func:`persistent_ula_coupling`);
    * short-run, ULA, :math:`\eta\to0` at fixed :math:`\tau=\eta k`: :math:`\rho^{2k}\to e^{-2j\tau}`,
      the continuous-time equation at time :math:`\tau`;
    * PCD-ULA, :math:`\eta\to0`: :math:`j_\infty\to1/c` (ML).
    """
    sp = sympy_module()
    S = symbols()
    j, c, eta, k, v0, tau = S["j"], S["c"], S["eta"], S["k"], S["v0"], S["tau"]
    jp = sp.Symbol("j", positive=True)
    out = []
    _, var_ct = gaussian_mode(k)
    lim_ct = sp.limit(var_ct.subs(j, jp), k, sp.oo).subs(jp, j)
    (root_ct,) = sp.solve(sp.Eq(lim_ct, c), j)
    out.append(("short-run, continuous time, k -> oo: v_k -> v_inf, j* ->", sp.Eq(sp.Symbol("j^*"), root_ct)))
    lam = sp.Symbol("lambda", positive=True)
    lhs_r = gaussian_short_run_equation_in_r(k, step="eta").lhs
    lim_r = sp.limit(lhs_r.subs(S["r"], sp.exp(-lam)), k, sp.oo).subs(sp.exp(-lam), S["r"])
    out.append(("short-run, ULA, k -> oo (0 < r < 1):", sp.Eq(sp.simplify(lim_r), c)))
    (r_inf,) = sp.solve(sp.Eq(lim_r, c), S["r"])
    j_inf = sp.simplify((1 - sp.sqrt(r_inf)) / eta)
    assert sp.simplify(j_inf - persistent_ula_coupling()) == 0 or abs(
        sp.N((j_inf - persistent_ula_coupling()).subs({c: 3, eta: sp.Rational(1, 10)}))) < 1e-12
    out.append(("short-run, ULA, k -> oo: j* -> j_inf (the PCD-ULA coupling)", sp.Eq(sp.Symbol("j_inf"), persistent_ula_coupling())))
    _, var_ula = gaussian_mode(k, step="eta")
    lim_eta = sp.limit(var_ula.subs(k, tau / eta).subs(j, jp), eta, 0).subs(jp, j)
    out.append(("short-run, ULA, eta -> 0 at eta k = tau: v_k ->", sp.Eq(sp.Symbol("v(tau)"), lim_eta)))
    out.append(("PCD-ULA, eta -> 0:", sp.Eq(sp.Symbol("j_inf"), sp.limit(persistent_ula_coupling(), eta, 0))))
    return out


@functools.lru_cache(maxsize=None)
def uniform_start_excess_kurtosis(k=None, *, step="eta"):
    r"""Excess kurtosis of the short-run law q of a mode started from :math:`U(-1,1)`: :math:`\rho^{4k}\kappa_4(p_0)/c^2`.

    Derivation (theory.md 3.8, in code): :math:`x_k=\rho^kx_0+` (Gaussian noise independent of
    :math:`x_0`); cumulants of independent sums add, a Gaussian has :math:`\kappa_4=0`, and
    :math:`\kappa_4(ax)=a^4\kappa_4(x)`, so :math:`\kappa_4(q)=\rho^{4k}\kappa_4(p_0)`; at the
    short-run fixed point the variance of q is c. :math:`\kappa_4(U(-1,1))=\langle x^4\rangle-3\langle x^2\rangle^2=1/5-3/9=-2/15`
    is integrated here. Returns the expression in ``j, eta, k, c``.

    Parameters
    ----------
    k : None (default: the symbol ``k``), or a time as in :func:`gaussian_mode` (int >= 0 for ULA)
    step : ``"eta"`` (default, the symbol), a number / expression > 0 (ULA), or None (continuous
        time, :math:`A=e^{-jk}`)

    Returns
    -------
    sympy expression.
    """
    sp = sympy_module()
    S = symbols()
    x = sp.Symbol("x", real=True)
    m2 = sp.integrate(x**2 / 2, (x, -1, 1))
    m4 = sp.integrate(x**4 / 2, (x, -1, 1))
    kappa4 = m4 - 3 * m2**2
    step = step_arg(step)
    kk = S["k"] if k is None else time_arg(k, integer=step is not None)
    A = sp.exp(-S["j"] * kk) if step is None else (1 - step * S["j"]) ** kk
    return A**4 * kappa4 / S["c"] ** 2
