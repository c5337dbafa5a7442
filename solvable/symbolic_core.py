r"""The two solved templates and the symbols behind :mod:`solvable.symbolic` (derived here).

* an affine recursion :math:`x_{t+1}=a\,x_t+b` has, by induction,
  :math:`x_k=a^kx_0+b\sum_{s<k}a^s`; summing the geometric series gives
  :math:`x_k=x_\infty+(x_0-x_\infty)\,a^k` with :math:`x_\infty=b/(1-a)` (:func:`affine_recursion`);
* the linear ODE :math:`\dot x=-\lambda x+b` (``sympy.dsolve``) gives
  :math:`x(t)=x_\infty+(x_0-x_\infty)e^{-\lambda t}` (:func:`relaxation`).

sympy is imported inside the functions (:func:`sympy_module`), so importing costs nothing.
"""
from __future__ import annotations

import fractions
import functools
import numbers

#: The dynamics of :mod:`solvable.bernoulli` (same names and time units). Written out rather than
#: imported from :mod:`solvable.kernels.spins`, which would load Numba with the symbolic layer;
#: ``tests/test_symbolic.py`` checks that the two tuples agree.
BERNOULLI_DYNAMICS = (
    "glauber",
    "random-heat-bath",
    "random-metropolis",
    "sequential-heat-bath",
    "parallel-heat-bath",
    "parallel-metropolis",
)


def sympy_module():
    import sympy

    return sympy


@functools.lru_cache(maxsize=None)
def symbols():
    """The named sympy symbols used in every expression of this module (a dict name -> Symbol)."""
    sp = sympy_module()
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


def symbol(name):
    """One symbol of :func:`symbols` by name.

    Parameters
    ----------
    name : str, a key of :func:`symbols` (``"j"``, ``"h"``, ``"eta"``, ``"k"``, ...; else ``KeyError``)

    Returns
    -------
    the sympy ``Symbol`` (with its assumptions: real, positive, integer, ...).
    """
    return symbols()[name]


# --------------------------------------------------------------------------------------
# argument handling
# --------------------------------------------------------------------------------------
def _exact(x, name):
    """A number as an exact sympy number (a float via its shortest decimal repr: 0.1 -> 1/10)."""
    sp = sympy_module()
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


def time_arg(k, *, integer):
    """k as a sympy object: a non-negative number (an integer when ``integer``) or a sympy expression.

    Parameters
    ----------
    k : int, float (read exactly via its shortest repr), ``Fraction`` or sympy expression; a number
        must be >= 0 (and integral when ``integer``), a symbolic expression is passed through
    integer : whether k counts steps (an integer) rather than a continuous time

    Returns
    -------
    exact sympy number, or ``k`` itself when it is a sympy expression.
    """
    sp = sympy_module()
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


def step_arg(step):
    """None (continuous time), the symbol eta (``"eta"``), or a positive number / expression.

    Parameters
    ----------
    step : None, the str ``"eta"`` (no other str), a real number > 0 (made exact: 0.1 -> 1/10)
        or a sympy expression (a numeric one must be > 0)

    Returns
    -------
    None for continuous time, else a sympy expression.
    """
    if step is None:
        return None
    if isinstance(step, str):
        if step != "eta":
            raise ValueError(f"step must be None (continuous time), 'eta' (the symbol) or a positive number, got {step!r}")
        return symbol("eta")
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
    sp = sympy_module()
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
    decay = sp.simplify((relaxed - x_inf) / (x0 - x_inf))  # the factor a^t read off
    assert decay == a**t, decay
    return a, b, x0, t, decay


def affine_recursion(a, b, x0, k):
    r"""Solution of :math:`x_{t+1}=a\,x_t+b` after k steps: :math:`x_\infty+(x_0-x_\infty)a^k`, :math:`x_\infty=b/(1-a)`.

    Derivation (here, in code): by induction :math:`x_k=a^kx_0+b\sum_{s<k}a^s`; sympy sums the
    geometric series (``summation``), and the result is checked to equal the relaxation
    form. Valid for :math:`a\ne1` (at a = 1 it is :math:`x_0+bk`, the limit).

    Parameters
    ----------
    a : contraction factor (number or sympy expression, :math:`a\ne1`)
    b : constant term (number or sympy expression)
    x0 : initial value :math:`x_0` (number or sympy expression)
    k : number of steps (int >= 0 or a sympy expression such as the symbol ``k``)

    Returns
    -------
    sympy expression of :math:`x_k`.
    """
    sp = sympy_module()
    A, B, X0, t, decay = _affine_template()
    a, b, x0, k = (sp.sympify(v) for v in (a, b, x0, k))
    x_inf = sp.factor(b / (1 - a))  # the template's b/(1-a), written compactly
    return x_inf + (x0 - x_inf) * decay.subs({A: a, t: k}, simultaneous=True)


@functools.lru_cache(maxsize=None)
def _relaxation_template():
    r"""(lam, b, x0, t, x_inf, decay) of x' = -lam x + b, x(0) = x0, solved by dsolve."""
    sp = sympy_module()
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

    Parameters
    ----------
    lam : rate :math:`\lambda` (number or sympy expression, :math:`\lambda\ne0`)
    b : constant term (number or sympy expression)
    x0 : initial value :math:`x_0` (number or sympy expression)
    t : time (>= 0; number or sympy expression)

    Returns
    -------
    sympy expression of :math:`x(t)`.
    """
    sp = sympy_module()
    L, B, X0, T, x_inf, decay = _relaxation_template()
    lam, b = sp.sympify(lam), sp.sympify(b)
    xi = sp.factor(x_inf.subs({L: lam, B: b}, simultaneous=True))
    return xi + (sp.sympify(x0) - xi) * decay.subs({L: lam, T: sp.sympify(t)}, simultaneous=True)
