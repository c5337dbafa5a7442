r"""Derivations for independent spins under each dynamics of :mod:`solvable.bernoulli`: the
magnetisation after k steps, the short-run field and the CD-k identity.
Public face: :mod:`solvable.symbolic` (theory.md section 4)."""
from __future__ import annotations

import functools

from .symbolic_core import (
    BERNOULLI_DYNAMICS,
    sympy_module,
    symbols,
    symbol,
    time_arg,
    affine_recursion,
    relaxation,
)
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
    sp = sympy_module()
    h = symbol("h")
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

    Parameters
    ----------
    dynamics : one of :data:`~solvable.symbolic_core.BERNOULLI_DYNAMICS` (``"glauber"``,
        ``"random-heat-bath"``, ``"random-metropolis"``, ``"sequential-heat-bath"``,
        ``"parallel-heat-bath"``, ``"parallel-metropolis"``; else ``ValueError``)

    Returns
    -------
    ``(a, b)``, sympy expressions in ``h`` (and ``n`` for the random-site dynamics).
    """
    sp = sympy_module()
    dynamics = _dyn(dynamics)
    n = symbol("n")
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
    sp = sympy_module()
    h, m0 = symbol("h"), symbol("m0")
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

    Parameters
    ----------
    k : time: an int >= 0 (steps; for ``glauber`` any number >= 0, continuous time) or a sympy
        expression such as the symbol ``k``
    dynamics : one of :data:`~solvable.symbolic_core.BERNOULLI_DYNAMICS` (``"glauber"``,
        ``"random-heat-bath"``, ``"random-metropolis"``, ``"sequential-heat-bath"``,
        ``"parallel-heat-bath"``, ``"parallel-metropolis"``; else ``ValueError``)

    Returns
    -------
    sympy expression of :math:`a_k(h)` (a ``Piecewise`` for :math:`0^k` with the symbol k).
    """
    dynamics = _dyn(dynamics)
    k = time_arg(k, integer=dynamics != "glauber")
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

    Parameters
    ----------
    k : time: an int >= 0 (steps; for ``glauber`` any number >= 0, continuous time) or a sympy
        expression such as the symbol ``k``
    dynamics : one of :data:`~solvable.symbolic_core.BERNOULLI_DYNAMICS` (``"glauber"``,
        ``"random-heat-bath"``, ``"random-metropolis"``, ``"sequential-heat-bath"``,
        ``"parallel-heat-bath"``, ``"parallel-metropolis"``; else ``ValueError``)

    Returns
    -------
    sympy expression of :math:`m_k`.
    """
    sp = sympy_module()
    h, m0 = symbol("h"), symbol("m0")
    return sp.tanh(h) + bernoulli_contraction(k, dynamics=dynamics) * (m0 - sp.tanh(h))


@functools.lru_cache(maxsize=None)
def _bernoulli_field(k, dynamics):
    sp = sympy_module()
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

    Parameters
    ----------
    k : time > 0 as in :func:`bernoulli_magnetization` (k = 0 gives ``ValueError``); 1 or 2 for the
        Metropolis dynamics
    dynamics : one of :data:`~solvable.symbolic_core.BERNOULLI_DYNAMICS` (``"glauber"``,
        ``"random-heat-bath"``, ``"random-metropolis"``, ``"sequential-heat-bath"``,
        ``"parallel-heat-bath"``, ``"parallel-metropolis"``; else ``ValueError``)

    Returns
    -------
    sympy expression of :math:`h^*` in ``m_D`` (heat bath: also ``m0``; random site: ``n``; ``k`` when symbolic).
    """
    dynamics = _dyn(dynamics)
    k = time_arg(k, integer=dynamics != "glauber")
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

    Parameters
    ----------
    k : time: an int >= 0 (steps; for ``glauber`` any number >= 0, continuous time) or a sympy
        expression such as the symbol ``k``
    dynamics : one of :data:`~solvable.symbolic_core.BERNOULLI_DYNAMICS` (``"glauber"``,
        ``"random-heat-bath"``, ``"random-metropolis"``, ``"sequential-heat-bath"``,
        ``"parallel-heat-bath"``, ``"parallel-metropolis"``; else ``ValueError``)

    Returns
    -------
    ``sympy.Eq`` as above.
    """
    sp = sympy_module()
    h, mD = symbol("h"), symbol("m_D")
    lhs = bernoulli_magnetization(k, dynamics=dynamics).subs(symbol("m0"), mD) - mD
    a = bernoulli_contraction(k, dynamics=dynamics)
    rhs = sp.Mul(1 - a, sp.tanh(h) - mD, evaluate=False)
    assert sp.expand(lhs - (1 - a) * (sp.tanh(h) - mD)) == 0
    return sp.Eq(lhs, rhs, evaluate=False)
