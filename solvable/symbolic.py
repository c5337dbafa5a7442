r"""The closed forms of the Gaussian and independent-spin models, derived in sympy.

Every closed form of :mod:`solvable.gaussian` and :mod:`solvable.bernoulli` was derived by
hand in theory.md (sections 3 and 4). This module carries the derivations as code: each
function starts from the **one-step recursion** (or the moment ODE in continuous time) of
the dynamics and solves it with sympy, so a reader can see where a formula comes from and
a teacher can show it. The tests (tests/test_symbolic.py) check every expression against
the numeric functions of the package at random rational points and re-derive it by an
independent route (``sympy.rsolve`` or iterating the recursion k times).

Two solved templates do all the work (derived here, checked by the tests):

* an affine recursion :math:`x_{t+1}=a\,x_t+b` has, by induction,
  :math:`x_k=a^kx_0+b\sum_{s<k}a^s`; summing the geometric series
  (``sympy.summation``) gives :math:`x_k=x_\infty+(x_0-x_\infty)\,a^k` with
  :math:`x_\infty=b/(1-a)` (:func:`affine_recursion`);
* the linear ODE :math:`\dot x=-\lambda x+b` (``sympy.dsolve``) gives
  :math:`x(t)=x_\infty+(x_0-x_\infty)e^{-\lambda t}`, :math:`x_\infty=b/\lambda`
  (:func:`relaxation`).

Symbols (:func:`symbols`): ``j`` (eigenvalue of J, real), ``h`` (field, real), ``m0``
(start mean / magnetisation), ``v0`` (start variance, positive), ``eta`` (ULA step,
positive), ``k`` (time or number of steps, non-negative), ``c`` (data variance of the mode,
positive), ``mu_D`` (data mean), ``m_D`` (data magnetisation), ``n`` (number of spins,
positive integer), ``r`` (:math:`\rho^2=(1-\eta j)^2`), ``w`` (:math:`e^{-2|h|}`), ``tau``
(:math:`\eta k`). Pass ``k`` as a Python int, or as the symbol ``k`` for the general form; ``k`` is
declared a non-negative integer (a number of steps). The continuous-time forms are analytic in
k, so substituting a non-integer time into them is valid.

sympy is imported inside the functions, so ``import solvable.symbolic`` costs nothing
until a formula is asked for; results are cached.

Use :func:`check_formulas` for the formulas a paper check rests on, :func:`latex` /
:func:`plain` to print them.
"""
from __future__ import annotations

import fractions
import functools
import numbers

__all__ = [
    "symbols",
    "affine_recursion",
    "relaxation",
    "gaussian_mode",
    "gaussian_stationary_variance",
    "gaussian_short_run_equation",
    "gaussian_short_run_coupling",
    "gaussian_short_run_field",
    "gaussian_mean_overshoot",
    "gaussian_cd_equation",
    "gaussian_persistent_equation",
    "persistent_ula_coupling",
    "short_run_coupling_series",
    "gaussian_limits",
    "uniform_start_excess_kurtosis",
    "bernoulli_one_step",
    "bernoulli_contraction",
    "bernoulli_magnetization",
    "bernoulli_short_run_field",
    "bernoulli_cd_equation",
    "BERNOULLI_DYNAMICS",
    "check_formulas",
    "CHECKS_WITH_FORMULAS",
    "latex",
    "plain",
]

#: The dynamics of :mod:`solvable.bernoulli` (same names and time units).
BERNOULLI_DYNAMICS = (
    "glauber",
    "random-heat-bath",
    "random-metropolis",
    "sequential-heat-bath",
    "parallel-heat-bath",
    "parallel-metropolis",
)


def _sympy():
    import sympy

    return sympy


@functools.lru_cache(maxsize=None)
def symbols():
    """The named sympy symbols used in every expression of this module (a dict name -> Symbol)."""
    sp = _sympy()
    return {
        "j": sp.Symbol("j", real=True),
        "h": sp.Symbol("h", real=True),
        "m0": sp.Symbol("m0", real=True),
        "v0": sp.Symbol("v0", positive=True),
        "eta": sp.Symbol("eta", positive=True),
        "k": sp.Symbol("k", integer=True, nonnegative=True),
        "c": sp.Symbol("c", positive=True),
        "mu_D": sp.Symbol("mu_D", real=True),
        "m_D": sp.Symbol("m_D", real=True),
        "n": sp.Symbol("n", positive=True, integer=True),
        "r": sp.Symbol("r", nonnegative=True),
        "w": sp.Symbol("w", positive=True),
        "tau": sp.Symbol("tau", positive=True),
    }


def _S(name):
    return symbols()[name]


# --------------------------------------------------------------------------------------
# argument handling
# --------------------------------------------------------------------------------------
def _exact(x, name):
    """A number as an exact sympy number (a float via its shortest decimal repr: 0.1 -> 1/10)."""
    sp = _sympy()
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, fractions.Fraction)):
        raise TypeError(f"{name} must be a real number or a sympy expression, got {type(x).__name__}")
    if isinstance(x, numbers.Integral):
        return sp.Integer(int(x))
    if isinstance(x, fractions.Fraction):
        return sp.Rational(x.numerator, x.denominator)
    xf = float(x)
    if xf != xf or xf in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return sp.Rational(repr(xf))


def _time_arg(k, *, integer):
    """k as a sympy object: a non-negative number (an integer when ``integer``) or a sympy expression."""
    sp = _sympy()
    if isinstance(k, sp.Basic):
        if k.is_number and (k.is_negative or (integer and not k.is_integer)):
            raise ValueError(f"k must be a non-negative{' integer' if integer else ''} number of steps, got {k}")
        return k
    kk = _exact(k, "k")
    if kk.is_negative:
        raise ValueError(f"k must be >= 0, got {k!r}")
    if integer and not kk.is_integer:
        raise ValueError(f"k must be an integer number of steps for this dynamics, got {k!r}")
    return kk


def _step_arg(step):
    """None (continuous time), the symbol eta (``"eta"``), or a positive number / expression."""
    if step is None:
        return None
    if isinstance(step, str):
        if step != "eta":
            raise ValueError(f"step must be None (continuous time), 'eta' (the symbol) or a positive number, got {step!r}")
        return _S("eta")
    s = _exact(step, "step")
    if s.is_number and not s.is_positive:
        raise ValueError(f"step must be > 0, got {step!r}")
    return s


# --------------------------------------------------------------------------------------
# the two solved templates
# --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _affine_template():
    r"""(a, b, x0, t, solution) of x_{t+1} = a x_t + b, derived by summing the geometric series."""
    sp = _sympy()
    a, b, x0 = sp.symbols("a b x0")
    t = sp.Symbol("t", integer=True, nonnegative=True)
    s = sp.Symbol("s", integer=True, nonnegative=True)
    # induction: x_t = a^t x0 + b sum_{s<t} a^s ; the sum is a Piecewise (t when a = 1)
    geometric = sp.summation(a**s, (s, 0, t - 1))
    generic = [expr for expr, cond in geometric.args if cond == sp.true]
    assert len(generic) == 1, geometric
    x_t = a**t * x0 + b * generic[0]
    x_inf = b / (1 - a)
    relaxed = x_inf + (x0 - x_inf) * a**t
    assert sp.simplify(x_t - relaxed) == 0, (x_t, relaxed)
    return a, b, x0, t, relaxed


def affine_recursion(a, b, x0, k):
    r"""Solution of :math:`x_{t+1}=a\,x_t+b` after k steps: :math:`x_\infty+(x_0-x_\infty)a^k`, :math:`x_\infty=b/(1-a)`.

    Derivation (here, in code): by induction :math:`x_k=a^kx_0+b\sum_{s<k}a^s`; sympy sums the
    geometric series (``summation``), and the result is checked to equal the relaxation
    form. Valid for :math:`a\ne1` (at a = 1 it is :math:`x_0+bk`, the limit).
    """
    sp = _sympy()
    A, B, X0, t, relaxed = _affine_template()
    a, b, x0, k = (sp.sympify(v) for v in (a, b, x0, k))
    x_inf = sp.factor(b / (1 - a))  # the template's b/(1-a), written compactly
    decay = sp.simplify((relaxed - B / (1 - A)) / (X0 - B / (1 - A)))  # = a^t
    return x_inf + (x0 - x_inf) * decay.subs({A: a, t: k}, simultaneous=True)


@functools.lru_cache(maxsize=None)
def _relaxation_template():
    r"""(lam, b, x0, t, x_inf, decay) of x' = -lam x + b, x(0) = x0, solved by dsolve."""
    sp = _sympy()
    lam = sp.Symbol("lambda", positive=True)
    b, x0 = sp.symbols("b x0")
    t = sp.Symbol("t", nonnegative=True)
    x = sp.Function("x")
    sol = sp.dsolve(sp.Eq(x(t).diff(t), -lam * x(t) + b), x(t), ics={x(0): x0}).rhs
    x_inf = sp.limit(sol, t, sp.oo)
    decay = sp.simplify((sol - x_inf) / (x0 - x_inf))
    assert decay == sp.exp(-lam * t), decay
    return lam, b, x0, t, x_inf, decay


def relaxation(lam, b, x0, t):
    r"""Solution of :math:`\dot x=-\lambda x+b`, :math:`x(0)=x_0`: :math:`x_\infty+(x_0-x_\infty)e^{-\lambda t}`, :math:`x_\infty=b/\lambda`.

    Derivation (here, in code): ``sympy.dsolve`` of the linear ODE for :math:`\lambda>0`; the
    stationary value is its :math:`t\to\infty` limit and the decay factor is read off. The
    resulting identity holds for every :math:`\lambda\ne0` (analytic continuation).
    """
    sp = _sympy()
    L, B, X0, T, x_inf, decay = _relaxation_template()
    lam, b = sp.sympify(lam), sp.sympify(b)
    xi = sp.factor(x_inf.subs({L: lam, B: b}, simultaneous=True))
    return xi + (sp.sympify(x0) - xi) * decay.subs({L: lam, T: sp.sympify(t)}, simultaneous=True)


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
    """
    step = _step_arg(step)
    k = _time_arg(k, integer=step is not None)
    return _gaussian_mode(k, step)


def gaussian_stationary_variance(*, step=None):
    r"""Stationary variance of one mode: :math:`1/j` (continuous time), :math:`1/[j(1-\eta j/2)]` (ULA).

    Derivation: the fixed point :math:`v=\rho^2v+2\eta` of the variance recursion
    (:math:`v_\infty=2\eta/(1-\rho^2)`, factorised), resp. of :math:`\dot v=-2jv+2`; it is the
    :math:`k\to\infty` limit of :func:`gaussian_mode` for :math:`0<\eta j<2` (resp. j > 0).
    """
    sp = _sympy()
    step = _step_arg(step)
    j = _S("j")
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
    """
    sp = _sympy()
    _, var = gaussian_mode(k, step=step)
    return sp.Eq(var, _S("c"))


def gaussian_short_run_equation_in_r(k, *, step="eta"):
    r"""The ULA short-run equation in :math:`r=\rho^2`: :math:`c_k(r)=v_0r^k+2\eta(1-r^k)/(1-r)=c` (theory.md 3.3).

    Derivation: :func:`gaussian_short_run_equation` with :math:`(1-\eta j)^2\to r`; for an integer
    k the left side is the polynomial :math:`v_0r^k+2\eta\sum_{s<k}r^s` (positive coefficients, so a
    root :math:`r\ge0` exists iff :math:`c\ge2\eta`).
    """
    sp = _sympy()
    step = _step_arg(step)
    if step is None:
        raise ValueError("step must be a ULA step ('eta' or a number): the equation in r = (1 - eta j)^2 is ULA's")
    k = _time_arg(k, integer=True)
    r = _S("r")
    lhs = affine_recursion(r, 2 * step, _S("v0"), k)
    if k.is_Integer:
        lhs = sp.expand(sp.cancel(lhs))
    return sp.Eq(lhs, _S("c"))


@functools.lru_cache(maxsize=None)
def _ula_short_run_coupling(k, step):
    sp = _sympy()
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
    """
    step = _step_arg(step)
    if step is None:
        raise ValueError("continuous time: v0 e^{-2jk} + (1 - e^{-2jk})/j = c has no closed-form root; "
                         "use short_run_coupling_series(order) (small k) or solvable.gaussian.short_run_fixed_point")
    k = _time_arg(k, integer=True)
    if k not in (1, 2):
        raise ValueError(f"k must be 1 or 2 for a closed-form short-run coupling, got {k}")
    return _ula_short_run_coupling(k, step)[0]


def gaussian_short_run_field(k, *, step=None):
    r"""The short-run fixed-point field h of one mode, in terms of its coupling j: :math:`m_k(j,h)=\mu_D` solved for h.

    Derivation: the mean of :func:`gaussian_mode` is affine in h; ``sympy.solve`` gives
    :math:`h=j(\mu_D-A m_0)/(1-A)` with :math:`A=\rho^k` (ULA) or :math:`e^{-jk}` (continuous),
    theory.md 3.4.
    """
    sp = _sympy()
    mean, _ = gaussian_mode(k, step=step)
    (h,) = sp.solve(sp.Eq(mean, _S("mu_D")), _S("h"))
    return sp.factor(h)


def gaussian_mean_overshoot(k, *, step=None):
    r""":math:`h/j-\mu_D=\frac{A}{1-A}(\mu_D-m_0)`: the short-run model's mean overshoots the data, away from :math:`m_0`.

    Derivation: :func:`gaussian_short_run_field` divided by j minus the data mean, factorised
    (theory.md 3.4); :math:`A=\rho^k` or :math:`e^{-jk}`.
    """
    sp = _sympy()
    return sp.factor(sp.simplify(gaussian_short_run_field(k, step=step) / _S("j") - _S("mu_D")))


def gaussian_cd_equation(k, *, step=None):
    r"""CD-k from the data: :math:`v_k-c=(1-A^2)(v_\infty-c)`, so the fixed point is :math:`v_\infty=c` for every k.

    Derivation (theory.md 3.5, in code): the variance of :func:`gaussian_mode` with the start
    variance set to the data's (:math:`v_0=c`) minus c, factorised by sympy; the factor
    :math:`1-A^2` (:math:`A=\rho^k` or :math:`e^{-jk}`) vanishes only at k = 0 (or
    :math:`\eta j\in\{0,2\}`), so CD-k stops where the stationary variance
    (:func:`gaussian_stationary_variance`) equals c: the same equation as PCD
    (:func:`gaussian_persistent_equation`). Returns ``Eq(v_k - c, factorised form)``.
    """
    sp = _sympy()
    step = _step_arg(step)
    _, var = gaussian_mode(k, step=step)
    lhs = var.subs(_S("v0"), _S("c")) - _S("c")
    v_inf = gaussian_stationary_variance(step=step)
    j, c = _S("j"), _S("c")
    A2 = sp.exp(-2 * j * _time_arg(k, integer=False)) if step is None else (1 - step * j) ** (2 * _time_arg(k, integer=True))
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
    """
    sp = _sympy()
    step = _step_arg(step)
    j, c = _S("j"), _S("c")
    v_inf = gaussian_stationary_variance(step=step)
    lhs = j if step is None else sp.Mul(j, 1 - step * j / 2, evaluate=False)
    assert sp.simplify(lhs - 1 / v_inf) == 0, (lhs, v_inf)
    return sp.Eq(lhs, 1 / c)


@functools.lru_cache(maxsize=None)
def _persistent_root():
    sp = _sympy()
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
    """
    sp = _sympy()
    root = _persistent_root()
    if order is None:
        return root
    if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 0:
        raise ValueError(f"order must be None or an integer >= 0, got {order!r}")
    eta = _S("eta")
    return sp.expand(sp.series(root, eta, 0, int(order) + 1).removeO())


@functools.lru_cache(maxsize=None)
def _short_run_series(order):
    sp = _sympy()
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
    return sum(cf * _S("k") ** (p - 1) for p, cf in enumerate(tidy))


def short_run_coupling_series(order):
    r"""Continuous-time short-run coupling :math:`j^*(k)` for small k, to :math:`O(k^{\rm order})` inclusive.

    Derivation (here, in code): with :math:`u=jk` the equation :math:`g(j;k)=c` of theory.md 3.2 reads
    :math:`v_0e^{-2u}+k(1-e^{-2u})/u=c`; at k = 0 it gives :math:`u_0=\tfrac12\ln(v_0/c)`, and
    inserting :math:`u=u_0+u_1k+u_2k^2+\dots` gives one linear equation per order
    (``sympy.series``). Then :math:`j^*=u/k=\frac{\ln(v_0/c)}{2k}+u_1+u_2k+\dots`; the leading
    term is theory.md's :math:`k\to0` limit. Valid for :math:`c\ne v_0` (at :math:`c=v_0`,
    :math:`j^*=1/c` for every k).
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
    sp = _sympy()
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
    """
    sp = _sympy()
    S = symbols()
    x = sp.Symbol("x", real=True)
    m2 = sp.integrate(x**2 / 2, (x, -1, 1))
    m4 = sp.integrate(x**4 / 2, (x, -1, 1))
    kappa4 = m4 - 3 * m2**2
    step = _step_arg(step)
    kk = S["k"] if k is None else _time_arg(k, integer=step is not None)
    A = sp.exp(-S["j"] * kk) if step is None else (1 - step * S["j"]) ** kk
    return A**4 * kappa4 / S["c"] ** 2


# --------------------------------------------------------------------------------------
# independent spins
# --------------------------------------------------------------------------------------
def _dyn(dynamics):
    if dynamics not in BERNOULLI_DYNAMICS:
        raise ValueError(f"dynamics must be one of {list(BERNOULLI_DYNAMICS)}, got {dynamics!r}")
    return dynamics


@functools.lru_cache(maxsize=None)
def _single_update(rule):
    r"""(a, b) with E[s'] = a m + b for one heat-bath or Metropolis update of a spin of mean m."""
    sp = _sympy()
    h = _S("h")
    branches = []
    for hb in (sp.Symbol("h", positive=True), sp.Symbol("h", negative=True)):
        cond = {}
        for s in (1, -1):
            if rule == "heat-bath":
                # P(s' = +1) = e^{h} / (2 cosh h), whatever s
                p_plus = sp.exp(hb) / (sp.exp(hb) + sp.exp(-hb))
                cond[s] = 2 * p_plus - 1
            else:
                # Metropolis: flip with probability min(1, e^{-dE}), dE = 2 s h
                dE = 2 * s * hb
                p_flip = sp.exp(-dE) if dE.is_positive else sp.Integer(1)
                cond[s] = s * (1 - 2 * p_flip)
        # m' = P(+) E[s'|+] + P(-) E[s'|-] with P(+-) = (1 +- m)/2
        a = sp.simplify((cond[1] - cond[-1]) / 2)
        b = sp.simplify((cond[1] + cond[-1]) / 2)
        # the stationary magnetisation of the update is tanh h (detailed balance)
        assert sp.simplify((b / (1 - a) - sp.tanh(hb)).rewrite(sp.exp)) == 0, (rule, a, b)
        branches.append((a.subs(hb, sp.Abs(h)) if hb.is_positive else a.subs(hb, -sp.Abs(h)), b.subs(hb, h)))
    (a_pos, _), (a_neg, _) = branches
    assert sp.simplify(a_pos - a_neg) == 0, (a_pos, a_neg)
    a = a_pos
    return a, sp.tanh(h) * (1 - a)


def bernoulli_one_step(dynamics):
    r"""(a, b) of the one-step recursion :math:`m'=a\,m+b` of a spin's mean (``glauber``: the rate equation :math:`\dot m=a\,m+b`).

    Derivation (here, in code), for :math:`E=-hs`: a single heat-bath update gives
    :math:`E[s'|s]=\tanh h` (a = 0); a single Metropolis update flips with probability
    :math:`\min(1,e^{-2sh})`, so :math:`E[s'|s]=s(1-2p_{\rm flip}(s))` and, worked out for h > 0
    and h < 0 separately, :math:`a=-e^{-2|h|}` (the parity effect); in both cases
    :math:`b=(1-a)\tanh h` (checked: the update keeps :math:`\tanh h`). Then per unit of k:

    * ``glauber``: each spin resampled by heat bath at rate 1: :math:`\dot m=\tanh h-m`;
    * ``random-heat-bath`` / ``random-metropolis``: the spin is the updated one with probability
      1/n: :math:`m'=(1-\tfrac1n)m+\tfrac1n(a m+b)`;
    * ``sequential-heat-bath`` (one sweep), ``parallel-heat-bath``, ``parallel-metropolis``:
      every spin updated once: :math:`m'=a\,m+b`.
    """
    sp = _sympy()
    dynamics = _dyn(dynamics)
    n = _S("n")
    if dynamics == "glauber":
        a, b = _single_update("heat-bath")
        return sp.simplify(a - 1), b  # rate form: dm/dt = E[s'] - m
    rule = "metropolis" if dynamics.endswith("metropolis") else "heat-bath"
    a, b = _single_update(rule)
    if dynamics.startswith("random"):
        return 1 - (1 - a) / n, b / n
    return a, b


@functools.lru_cache(maxsize=None)
def _bernoulli(k, dynamics):
    sp = _sympy()
    h, m0 = _S("h"), _S("m0")
    a, b = bernoulli_one_step(dynamics)
    # solve the recursion (glauber: the rate equation) and read off the contraction factor
    if dynamics == "glauber":
        mk, decay = relaxation(-a, b, m0, k), sp.exp(a * k)
    else:
        mk, decay = affine_recursion(a, b, m0, k), a**k
    assert sp.expand(mk - (sp.tanh(h) + decay * (m0 - sp.tanh(h)))) == 0, (mk, decay)
    if decay.is_Pow and decay.base == 0:  # 0**k for the symbol k: 1 at k = 0, else 0
        decay = sp.Piecewise((1, sp.Eq(k, 0)), (0, True))
    return decay


def bernoulli_contraction(k, *, dynamics):
    r"""The factor :math:`a_k(h)` of :math:`m_k-\tanh h=a_k(h)(m_0-\tanh h)` (:func:`solvable.bernoulli.contraction`).

    Derivation: :func:`bernoulli_one_step` solved by :func:`affine_recursion` (``glauber``: by
    :func:`relaxation`): :math:`e^{-k}`, :math:`(1-1/n)^k`, :math:`(1-(1+w)/n)^k`, :math:`0^k`
    (0 for k >= 1), :math:`(-w)^k` with :math:`w=e^{-2|h|}` (theory.md 4).
    """
    dynamics = _dyn(dynamics)
    k = _time_arg(k, integer=dynamics != "glauber")
    return _bernoulli(k, dynamics)


def bernoulli_magnetization(k, *, dynamics):
    r"""Mean of an independent spin after time k from mean ``m0``: :math:`m_k=\tanh h+a_k(h)(m_0-\tanh h)`.

    An expression in ``h``, ``m0`` (and ``n`` for the random-site dynamics, ``k`` when k is the
    symbol). Derivation (here, in code; theory.md 4): the one-step recursion of the spin's mean
    (:func:`bernoulli_one_step`: heat bath :math:`E[s'|s]=\tanh h`, Metropolis
    :math:`E[s'|s]=s(1-2\min(1,e^{-2sh}))`, diluted by 1/n for a random site) is affine,
    :math:`m'=a\,m+(1-a)\tanh h`, and :func:`affine_recursion` (``glauber``: the rate equation
    :math:`\dot m=\tanh h-m` and :func:`relaxation`) solves it. With ``parallel-metropolis`` the
    contraction :math:`(-e^{-2|h|})^k` alternates in sign: the parity effect.
    Numeric counterpart: :func:`solvable.bernoulli.magnetization`.
    """
    sp = _sympy()
    h, m0 = _S("h"), _S("m0")
    return sp.tanh(h) + bernoulli_contraction(k, dynamics=dynamics) * (m0 - sp.tanh(h))


@functools.lru_cache(maxsize=None)
def _bernoulli_field(k, dynamics):
    sp = _sympy()
    S = symbols()
    h, m0, mD, n, w = S["h"], S["m0"], S["m_D"], S["n"], S["w"]
    if not dynamics.endswith("metropolis"):
        a = bernoulli_contraction(k, dynamics=dynamics)
        assert not a.has(h)
        t, A = sp.symbols("t A")
        (sol,) = sp.solve(sp.Eq(t + A * (m0 - t), mD), t)  # linear in t = tanh h*
        return sp.atanh(sp.factor(sol).subs(A, a))
    # Metropolis: m0 = 0, m_D > 0 (h* < 0 for m_D < 0 by the symmetry h -> -h)
    mk = bernoulli_magnetization(k, dynamics=dynamics).subs(m0, 0)
    hp = sp.Symbol("h", positive=True)
    mk = mk.subs(h, hp).rewrite(sp.exp).subs(sp.exp(-2 * hp), w).subs(sp.exp(2 * hp), 1 / w)
    mk = sp.simplify(mk.subs(sp.exp(hp), 1 / sp.sqrt(w)).subs(sp.exp(-hp), sp.sqrt(w)))
    assert not mk.has(hp), mk
    roots = sp.solve(sp.Eq(mk, mD), w)
    point = {mD: sp.Rational(1, 10), n: 3}
    good = [q for q in roots if 0 < sp.N(q.subs(point)) < 1 and sp.N(q.subs(point)).is_real]
    assert len(good) == 1, roots
    return sp.simplify(-sp.log(good[0]) / 2)  # w = e^{-2h}


def bernoulli_short_run_field(k, *, dynamics):
    r"""Closed-form short-run fixed point :math:`h^*` of an independent spin: :math:`m_k(h^*)=m_D`.

    Derivation (here, in code; theory.md 4): for the heat-bath dynamics :math:`a_k` does not
    depend on h, so :math:`\tanh h^*+a_k(m_0-\tanh h^*)=m_D` is linear in :math:`\tanh h^*`:
    :math:`h^*=\operatorname{atanh}\frac{m_D-a_km_0}{1-a_k}` (any k). For the Metropolis
    dynamics (start :math:`m_0=0`, data :math:`m_D>0`; :math:`h^*(-m_D)=-h^*(m_D)`), write
    :math:`\tanh h=(1-w)/(1+w)`, :math:`w=e^{-2h}`, solve the polynomial equation in w
    (``sympy.solve``) and keep the root in (0, 1); k = 1 or 2 only:
    parallel Metropolis :math:`-\frac12\ln(1-m_D)` (k = 1), :math:`-\frac12\ln(1-\sqrt{m_D})` (k = 2);
    random-site Metropolis :math:`-\frac12\ln(1-nm_D)` (k = 1).
    Numeric counterpart: :func:`solvable.bernoulli.short_run_fixed_point`.
    """
    dynamics = _dyn(dynamics)
    k = _time_arg(k, integer=dynamics != "glauber")
    if k == 0:
        raise ValueError("k must be > 0: after zero steps the chains are the start law, whatever h")
    if dynamics.endswith("metropolis") and k not in (1, 2):
        raise ValueError(f"dynamics={dynamics!r}: closed-form short-run field only for k = 1 or 2, got {k}")
    return _bernoulli_field(k, dynamics)


def bernoulli_cd_equation(k, *, dynamics):
    r"""CD-k of an independent spin from the data: :math:`m_k-m_D=(1-a_k)(\tanh h-m_D)`: no CD bias.

    Derivation (theory.md 4, in code): :func:`bernoulli_magnetization` with :math:`m_0=m_D`,
    minus :math:`m_D`, factorised; it vanishes at :math:`\tanh h=m_D` (the MLE) for every k
    (and also where :math:`a_k=1`: parallel Metropolis, even k, h = 0). Returns
    ``Eq(m_k - m_D, (1 - a_k)(tanh h - m_D))``.
    """
    sp = _sympy()
    h, mD = _S("h"), _S("m_D")
    lhs = bernoulli_magnetization(k, dynamics=dynamics).subs(_S("m0"), mD) - mD
    a = bernoulli_contraction(k, dynamics=dynamics)
    rhs = sp.Mul(1 - a, sp.tanh(h) - mD, evaluate=False)
    assert sp.expand(lhs - (1 - a) * (sp.tanh(h) - mD)) == 0
    return sp.Eq(lhs, rhs, evaluate=False)


# --------------------------------------------------------------------------------------
# the formulas behind the paper checks, and printing
# --------------------------------------------------------------------------------------
def _eq(name, expr):
    sp = _sympy()
    return sp.Eq(sp.Symbol(name), expr, evaluate=False)


def _gaussian_closed_forms():
    S = symbols()
    k = S["k"]
    return [
        ("short-run, continuous time (theory 3.2): g(j; k) = c", gaussian_short_run_equation(k)),
        ("short-run, ULA (theory 3.3), r = (1 - eta j)^2", gaussian_short_run_equation_in_r(k)),
        ("short-run, ULA, k = 1, stable root j_-", _eq("j^*", gaussian_short_run_coupling(1))),
        ("short-run, ULA, k = 2, stable root j_-", _eq("j^*", gaussian_short_run_coupling(2))),
        ("short-run field (theory 3.4)", _eq("h^*", gaussian_short_run_field(k, step="eta"))),
        ("PCD / CD-k, ULA (theory 3.5)", gaussian_persistent_equation(step="eta")),
        ("PCD / CD-k, ULA, stable root", _eq("j_inf", persistent_ula_coupling())),
    ]


def _bernoulli_closed_forms():
    k = symbols()["k"]
    out = [(f"m_k, {d}", _eq("m_k", bernoulli_magnetization(k, dynamics=d))) for d in BERNOULLI_DYNAMICS]
    out += [
        ("short-run field, glauber (exists iff |m_D - a_k m0| < 1 - a_k)",
         _eq("h^*", bernoulli_short_run_field(k, dynamics="glauber"))),
        ("short-run field, random-heat-bath", _eq("h^*", bernoulli_short_run_field(k, dynamics="random-heat-bath"))),
        ("short-run field, parallel-metropolis, k = 1 (m0 = 0, m_D > 0)",
         _eq("h^*", bernoulli_short_run_field(1, dynamics="parallel-metropolis"))),
        ("short-run field, parallel-metropolis, k = 2 (m0 = 0, m_D > 0)",
         _eq("h^*", bernoulli_short_run_field(2, dynamics="parallel-metropolis"))),
        ("CD-k from the data (no CD bias)", bernoulli_cd_equation(k, dynamics="random-metropolis")),
    ]
    return out


def _persistent():
    return [
        ("PCD / CD-k, ULA (theory 3.5)", gaussian_persistent_equation(step="eta")),
        ("PCD / CD-k, exact kernel (MALA): the MLE", gaussian_persistent_equation()),
        ("PCD-ULA coupling, stable root", _eq("j_CD", persistent_ula_coupling())),
        ("ULA bias of PCD to second order in eta", _eq("j_CD", persistent_ula_coupling(2))),
    ]


def _short_run_at_k():
    k = symbols()["k"]
    mean, var = gaussian_mode(k, step="eta")
    return [
        ("mode mean after k ULA steps", _eq("m_k", mean)),
        ("mode variance after k ULA steps", _eq("v_k", var)),
        ("short-run fixed point: v_k = c (stable root j_-)", gaussian_short_run_equation_in_r(k)),
        ("short-run field (theory 3.4)", _eq("h^*", gaussian_short_run_field(k, step="eta"))),
    ]


def _trained_coupling():
    k = symbols()["k"]
    return [
        ("short-run, ULA: c_k(r) = c, r = (1 - eta j)^2", gaussian_short_run_equation_in_r(k)),
        ("PCD, ULA, every k", gaussian_persistent_equation(step="eta")),
        ("MLE", gaussian_persistent_equation()),
    ] + [(label, eq) for label, eq in gaussian_limits() if "ULA, k -> oo" in label]


def _jarzynski():
    return [
        ("PCD, ULA", _eq("j_CD", persistent_ula_coupling())),
        ("Jarzynski-weighted PCD: the MLE", gaussian_persistent_equation()),
    ]


def _uniform_start():
    return [
        ("excess kurtosis of q = p0 T^k, p0 = U(-1, 1) (theory 3.8)",
         _eq("kurt(q)", uniform_start_excess_kurtosis())),
        ("mode variance after k ULA steps (= c at the fixed point)", _eq("v_k", gaussian_mode(symbols()["k"], step="eta")[1])),
    ]


def _generator():
    k = symbols()["k"]
    return [("mean overshoot of the short-run model (theory 3.4)", _eq("h/j - mu_D", gaussian_mean_overshoot(k, step="eta")))]


_CHECKS = {
    "gaussian_closed_forms": _gaussian_closed_forms,
    "bernoulli_closed_forms": _bernoulli_closed_forms,
    "persistent_ula_bias": _persistent,
    "short_run_matches_data_at_time_k": _short_run_at_k,
    "trained_coupling_vs_k": _trained_coupling,
    "jarzynski_removes_pcd_bias": _jarzynski,
    "uniform_start_non_gaussian": _uniform_start,
    "short_run_generator": _generator,
}

#: The paper checks (module names in ``paper_checks``) that rest on a formula derived here.
CHECKS_WITH_FORMULAS = tuple(sorted(_CHECKS))


@functools.lru_cache(maxsize=None)
def _check_formulas(name):
    return tuple(_CHECKS[name]())


def check_formulas(check_name):
    """The derived formulas a paper check rests on: a list of ``(label, sympy expression)``.

    ``check_name`` is the module name of a check in ``paper_checks`` (e.g.
    ``"persistent_ula_bias"``). Checks that rest on no formula of this module (enumeration,
    Jarzynski weights, RBMs, ...) give an empty list; :data:`CHECKS_WITH_FORMULAS` lists the others.
    """
    if not isinstance(check_name, str):
        raise TypeError(f"check_name must be a str (a paper check's module name), got {type(check_name).__name__}")
    if check_name not in _CHECKS:
        return []
    return list(_check_formulas(check_name))


def _render(x, one):
    if isinstance(x, str):
        return "\n".join(f"{label}: {one(expr)}" for label, expr in check_formulas(x))
    if isinstance(x, (list, tuple)) and x and all(isinstance(p, tuple) and len(p) == 2 for p in x):
        return "\n".join(f"{label}: {one(expr)}" for label, expr in x)
    return one(x)


def latex(expr_or_name):
    r"""LaTeX of a sympy expression, of a list of ``(label, expr)``, or of a check's formulas (by check name).

    For a check name or a list, one line per formula: ``label: <latex>`` (no ``$`` delimiters);
    an unknown check name gives the empty string.
    """
    sp = _sympy()
    return _render(expr_or_name, sp.latex)


def plain(expr_or_name):
    """Plain one-line text (``sympy.sstr``) of an expression, a list of ``(label, expr)`` or a check's formulas."""
    sp = _sympy()
    return _render(expr_or_name, sp.sstr)
