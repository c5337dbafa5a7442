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

import functools

from .symbolic_bernoulli import (  # noqa: F401 (re-exported)
    bernoulli_one_step,
    bernoulli_contraction,
    bernoulli_magnetization,
    bernoulli_short_run_field,
    bernoulli_cd_equation,
)
from .symbolic_core import (  # noqa: F401 (re-exported)
    BERNOULLI_DYNAMICS,
    affine_recursion,
    relaxation,
    symbols,
    sympy_module,
    symbol,
)
from .symbolic_gaussian import (  # noqa: F401 (re-exported)
    gaussian_mode,
    gaussian_stationary_variance,
    gaussian_short_run_equation,
    gaussian_short_run_equation_in_r,
    gaussian_short_run_coupling,
    gaussian_short_run_field,
    gaussian_mean_overshoot,
    gaussian_cd_equation,
    gaussian_persistent_equation,
    persistent_ula_coupling,
    short_run_coupling_series,
    gaussian_limits,
    uniform_start_excess_kurtosis,
)

__all__ = [
    "symbols",
    "affine_recursion",
    "relaxation",
    "gaussian_mode",
    "gaussian_stationary_variance",
    "gaussian_short_run_equation",
    "gaussian_short_run_equation_in_r",
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

# --------------------------------------------------------------------------------------
# the formulas behind the paper checks, and printing
# --------------------------------------------------------------------------------------
def _eq(name, expr):
    sp = sympy_module()
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

    Parameters
    ----------
    check_name : str, the module name of a paper check (any str; an unknown one gives ``[]``)

    Returns
    -------
    list of ``(label, sympy expression or Eq)`` pairs (a fresh list; the derivation is cached).
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

    Parameters
    ----------
    expr_or_name : a sympy expression, a non-empty list/tuple of ``(label, expr)`` pairs, or a
        check name (str, see :func:`check_formulas`)

    Returns
    -------
    str.
    """
    sp = sympy_module()
    return _render(expr_or_name, sp.latex)


def plain(expr_or_name):
    """Plain one-line text (``sympy.sstr``) of an expression, a list of ``(label, expr)`` or a check's formulas.

    Parameters
    ----------
    expr_or_name : as in :func:`latex` (expression, ``(label, expr)`` pairs or check name)

    Returns
    -------
    str, one line per formula for a list or a check name.
    """
    sp = sympy_module()
    return _render(expr_or_name, sp.sstr)
