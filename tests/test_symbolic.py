"""solvable.symbolic: every derived expression against the numeric functions of the package at
random rational points (hypothesis), and re-derived by an independent route (sympy.rsolve,
the explicit sum of the noise terms, the 2x2 transition matrix of one spin, the moment ODEs)."""
import fractions
import subprocess
import sys
import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from solvable import bernoulli, gaussian
from solvable import symbolic as S
from solvable.errors import NonNormalizableWarning

SYM = S.symbols()
j, h, m0, v0, eta, k, c = (SYM[n] for n in ("j", "h", "m0", "v0", "eta", "k", "c"))
mu_D, m_D, n_sym = SYM["mu_D"], SYM["m_D"], SYM["n"]

FAST = settings(max_examples=20, deadline=None)


def rationals(lo, hi):
    """Rationals in [lo, hi]: lo + (hi - lo) u with u a fraction of denominator <= 200 in [0, 1]."""
    lo, hi = fractions.Fraction(lo), fractions.Fraction(hi)
    return st.fractions(0, 1, max_denominator=200).map(lambda u: lo + (hi - lo) * u)


def num(expr, subs):
    """Evaluate a sympy expression at a point of rationals (exact substitution, then 30 digits)."""
    value = sp.N(expr.subs({s: sp.Rational(v.numerator, v.denominator) if isinstance(v, fractions.Fraction) else v
                           for s, v in subs.items()}), 30)
    assert value.free_symbols == set(), value
    return float(value)


# --------------------------------------------------------------------------------------
# Gaussian mode: symbolic vs solvable.gaussian.langevin_moments
# --------------------------------------------------------------------------------------
@FAST
@given(rationals(-1, 6), rationals(-2, 2), rationals(-2, 2), rationals("1/10", 3), rationals("1/100", "3/10"),
       st.integers(0, 25))
def test_gaussian_mode_ula_matches_langevin_moments(jj, hh, mm, vv, ee, kk):
    assume(abs(jj) > fractions.Fraction(1, 100) and abs(ee * jj - 2) > fractions.Fraction(1, 100))
    mean_s, var_s = S.gaussian_mode(kk, step="eta")
    point = {j: jj, h: hh, m0: mm, v0: vv, eta: ee}
    mean_n, cov_n = gaussian.langevin_moments([[float(jj)]], [float(hh)], kk, step=float(ee), mean0=[float(mm)],
                                              cov0=[[float(vv)]])
    assert np.isclose(num(mean_s, point), mean_n[0], rtol=1e-9, atol=1e-12)
    assert np.isclose(num(var_s, point), cov_n[0, 0], rtol=1e-9, atol=1e-12)
    # the symbol k substituted gives the same as the integer k
    mean_k, var_k = S.gaussian_mode(k, step="eta")
    assert np.isclose(num(var_k, {**point, k: kk}), cov_n[0, 0], rtol=1e-9, atol=1e-12)
    # a numeric step gives the same expression as eta substituted
    _, var_e = S.gaussian_mode(kk, step=float(ee))
    assert np.isclose(num(var_e, point), cov_n[0, 0], rtol=1e-9, atol=1e-12)


@FAST
@given(rationals(-1, 6), rationals(-2, 2), rationals(-2, 2), rationals("1/10", 3), rationals(0, 4))
def test_gaussian_mode_continuous_matches_langevin_moments(jj, hh, mm, vv, tt):
    assume(abs(jj) > fractions.Fraction(1, 100))
    mean_s, var_s = S.gaussian_mode(k)
    point = {j: jj, h: hh, m0: mm, v0: vv, k: tt}
    mean_n, cov_n = gaussian.langevin_moments([[float(jj)]], [float(hh)], float(tt), mean0=[float(mm)],
                                              cov0=[[float(vv)]])
    assert np.isclose(num(mean_s, point), mean_n[0], rtol=1e-9, atol=1e-12)
    assert np.isclose(num(var_s, point), cov_n[0, 0], rtol=1e-9, atol=1e-12)


def test_gaussian_mode_ula_rederived_by_rsolve():
    t = sp.Symbol("t", integer=True, nonnegative=True)
    x = sp.Function("x")
    rho = 1 - eta * j
    R = sp.Symbol("R", positive=True)  # rho^2, substituted after solving
    mean_r = sp.rsolve(x(t + 1) - rho * x(t) - eta * h, x(t), {x(0): m0})
    var_r = sp.rsolve(x(t + 1) - R * x(t) - 2 * eta, x(t), {x(0): v0})
    mean_s, var_s = S.gaussian_mode(k, step="eta")
    assert sp.simplify(mean_r.subs(t, k) - mean_s) == 0
    assert sp.simplify(var_r.subs(t, k).subs(R, rho**2) - var_s) == 0


@pytest.mark.parametrize("kk", [0, 1, 2, 3, 5])
def test_gaussian_mode_ula_rederived_from_the_noise_sum(kk):
    """x_k = rho^k x0 + sum_s rho^(k-1-s) (eta h + sqrt(2 eta) xi_s): mean and variance by linearity."""
    rho = 1 - eta * j
    mean = rho**kk * m0 + sum(rho ** (kk - 1 - s) * eta * h for s in range(kk))
    var = rho ** (2 * kk) * v0 + sum(rho ** (2 * (kk - 1 - s)) * 2 * eta for s in range(kk))
    mean_s, var_s = S.gaussian_mode(kk, step="eta")
    assert sp.simplify(mean - mean_s) == 0
    assert sp.simplify(var - var_s) == 0


def test_gaussian_mode_continuous_solves_the_moment_odes():
    mean_s, var_s = S.gaussian_mode(k)
    assert sp.simplify(sp.diff(mean_s, k) + (j * mean_s - h)) == 0
    assert sp.simplify(sp.diff(var_s, k) + 2 * j * var_s - 2) == 0
    assert sp.simplify(mean_s.subs(k, 0) - m0) == 0 and sp.simplify(var_s.subs(k, 0) - v0) == 0
    # eta -> 0 with eta k = tau: the ULA forms tend to the continuous ones
    tau = SYM["tau"]
    jp = sp.Symbol("jp", positive=True)
    _, var_u = S.gaussian_mode(k, step="eta")
    lim = sp.limit(var_u.subs(k, tau / eta).subs(j, jp), eta, 0)
    assert sp.simplify(lim - var_s.subs({k: tau, j: jp})) == 0


def test_gaussian_mode_wrong_formula_is_detected():
    """Must-fail control: the comparison of the first test rejects a variance with noise eta instead of 2 eta."""
    rho = 1 - eta * j
    wrong = S.affine_recursion(rho**2, eta, v0, 5)
    point = {j: fractions.Fraction(3, 2), v0: 1, eta: fractions.Fraction(1, 10)}
    _, cov = gaussian.langevin_moments([[1.5]], [0.0], 5, step=0.1)
    assert not np.isclose(num(wrong, point), cov[0, 0], rtol=1e-9)
    assert np.isclose(num(S.gaussian_mode(5, step="eta")[1], point), cov[0, 0], rtol=1e-9)


def test_stationary_variance_is_the_k_limit():
    assert sp.simplify(S.gaussian_stationary_variance(step="eta") - 1 / (j * (1 - eta * j / 2))) == 0
    assert S.gaussian_stationary_variance() == 1 / j
    jp = sp.Symbol("jp", positive=True)
    assert sp.simplify(sp.limit(S.gaussian_mode(k)[1].subs(j, jp), k, sp.oo) - 1 / jp) == 0


# --------------------------------------------------------------------------------------
# Gaussian fixed points
# --------------------------------------------------------------------------------------
@FAST
@given(st.sampled_from([1, 2]), rationals("1/100", "1/5"), rationals("3/10", 3), st.data())
def test_short_run_coupling_k12_matches_numeric(kk, ee, vv, data):
    cc = data.draw(rationals(2 * ee + fractions.Fraction(1, 100), vv + 2 * ee * kk - fractions.Fraction(1, 100)))
    mu, mm = data.draw(rationals(-2, 2)), data.draw(rationals(-1, 1))
    J, H = gaussian.short_run_fixed_point([float(mu)], [[float(cc)]], kk, step=float(ee), mean0=[float(mm)],
                                          var0=float(vv))
    jj = S.gaussian_short_run_coupling(kk)
    point = {c: cc, v0: vv, eta: ee}
    j_sym = num(jj, point)
    assert np.isclose(j_sym, J[0, 0], rtol=1e-8, atol=1e-10)
    # the symbolic root solves the equation in j
    assert np.isclose(num(S.gaussian_short_run_equation(kk, step="eta").lhs.subs(j, jj), point), float(cc), rtol=1e-9)
    hs = S.gaussian_short_run_field(kk, step="eta")
    assert np.isclose(num(hs.subs(j, jj), {**point, mu_D: mu, m0: mm}), H[0], rtol=1e-7, atol=1e-9)


@FAST
@given(rationals("1/10", 5), rationals("1/10", 3), rationals(-2, 2), rationals(-1, 1), rationals("1/10", 3))
def test_short_run_equation_and_field_continuous_at_the_numeric_root(cc, vv, mu, mm, tt):
    assume(abs(cc - vv - 2 * tt) > fractions.Fraction(1, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonNormalizableWarning)  # c > v0 + 2k: j* < 0, still a root
        J, H = gaussian.short_run_fixed_point([float(mu)], [[float(cc)]], float(tt), mean0=[float(mm)],
                                              var0=float(vv))
    jn = J[0, 0]
    assume(abs(jn) > 1e-3)
    eq = S.gaussian_short_run_equation(k)
    point = {v0: vv, k: tt, j: jn}
    assert np.isclose(num(eq.lhs, point), float(cc), rtol=1e-8)
    assert np.isclose(num(S.gaussian_short_run_field(k), {**point, mu_D: mu, m0: mm}), H[0], rtol=1e-7, atol=1e-9)


@FAST
@given(rationals("1/10", 5), rationals("1/1000", "1/25"))
def test_persistent_ula_coupling_matches_numeric(cc, ee):
    assume(cc > 2 * ee)
    J, H = gaussian.persistent_fixed_point([0.5], [[float(cc)]], step=float(ee))
    assert np.isclose(num(S.persistent_ula_coupling(), {c: cc, eta: ee}), J[0, 0], rtol=1e-10)
    # CD-k from the data: v_k - c vanishes at the persistent root (k = 7)
    assert abs(num(CD_LHS, {c: cc, eta: ee, k: 7, j: J[0, 0]})) < 1e-9


CD_LHS = S.gaussian_cd_equation(k, step="eta").lhs


def test_persistent_ula_coupling_series():
    assert sp.simplify(S.persistent_ula_coupling(2) - (1 / c + eta / (2 * c**2) + eta**2 / (2 * c**3))) == 0
    assert S.persistent_ula_coupling(0) == 1 / c
    # independent route: the series solves j (1 - eta j / 2) = 1/c order by order (residual O(eta^3))
    s2 = S.persistent_ula_coupling(2)
    resid = sp.expand(s2 * (1 - eta * s2 / 2) - 1 / c)
    assert all(sp.Poly(resid, eta).coeff_monomial(eta**p) == 0 for p in range(3))
    # numerically: the error of the order-2 series falls as eta^3
    exact = S.persistent_ula_coupling()
    errs = [abs(num(exact - s2, {c: 1, eta: e})) for e in (1e-2, 5e-3)]
    assert 7.0 < errs[0] / errs[1] < 9.0
    with pytest.raises(ValueError, match="order"):
        S.persistent_ula_coupling(-1)


def test_short_run_coupling_series_small_k():
    """Leading term ln(v0/c)/(2k) (theory.md 3.2); the order-1 series error falls as k^2."""
    assert sp.simplify(S.short_run_coupling_series(-1) - sp.log(v0 / c) / (2 * k)) == 0
    s1 = S.short_run_coupling_series(1)
    errs = []
    for kk in (0.02, 0.01):
        J, _ = gaussian.short_run_fixed_point([0.0], [[0.5]], kk, var0=1.0)
        errs.append(abs(num(s1, {c: fractions.Fraction(1, 2), v0: 1, k: kk}) - J[0, 0]))
    assert 3.0 < errs[0] / errs[1] < 5.0
    J, _ = gaussian.short_run_fixed_point([0.0], [[0.5]], 0.01, var0=1.0)
    s0 = S.short_run_coupling_series(0)
    assert abs(num(s0, {c: fractions.Fraction(1, 2), v0: 1, k: 0.01}) - J[0, 0]) < 0.1


def test_gaussian_limits():
    lims = dict(S.gaussian_limits())
    assert [e.rhs for lab, e in lims.items() if "continuous time, k -> oo" in lab] == [1 / c]
    (pcd0,) = [e.rhs for lab, e in lims.items() if lab.startswith("PCD-ULA, eta -> 0")]
    assert pcd0 == 1 / c
    # numeric: short-run at large k tends to the PCD-ULA coupling and to 1/c in continuous time
    J, _ = gaussian.short_run_fixed_point([0.0], [[0.5]], 400, step=0.05)
    assert np.isclose(J[0, 0], num(S.persistent_ula_coupling(), {c: fractions.Fraction(1, 2), eta: fractions.Fraction(1, 20)}),
                      rtol=1e-9)
    J, _ = gaussian.short_run_fixed_point([0.0], [[0.5]], 40.0)
    assert np.isclose(J[0, 0], 2.0, rtol=1e-9)


def test_mean_overshoot_and_uniform_kurtosis():
    ov = S.gaussian_mean_overshoot(k, step="eta")
    rho_k = (1 - eta * j) ** k
    assert sp.simplify(ov - rho_k / (1 - rho_k) * (mu_D - m0)) == 0
    # theory.md 9.1 uniform start: j* = 5.00122, eta = 0.005, k = 20, c = 0.25 -> -0.2813
    kurt = num(S.uniform_start_excess_kurtosis(), {j: 5.00122, eta: fractions.Fraction(1, 200), k: 20,
                                                   c: fractions.Fraction(1, 4)})
    assert abs(kurt - (-0.2813)) < 5e-5


# --------------------------------------------------------------------------------------
# independent spins
# --------------------------------------------------------------------------------------
RANDOM = ("random-heat-bath", "random-metropolis")


@FAST
@given(st.sampled_from(S.BERNOULLI_DYNAMICS), rationals(-3, 3), rationals(-1, 1), st.integers(0, 12), st.integers(1, 6))
def test_bernoulli_magnetization_matches_numeric(dyn, hh, mm, kk, nn):
    expr = S.bernoulli_magnetization(kk, dynamics=dyn)
    point = {h: hh, m0: mm, n_sym: nn}
    numeric = bernoulli.magnetization(float(hh), kk, dynamics=dyn, m0=float(mm), n=nn)
    assert np.isclose(num(expr, point), float(numeric), rtol=1e-10, atol=1e-12)
    # the general form (symbol k) agrees
    assert np.isclose(num(S.bernoulli_magnetization(k, dynamics=dyn), {**point, k: kk}), float(numeric),
                      rtol=1e-10, atol=1e-12)


@FAST
@given(rationals(-3, 3), rationals(-1, 1), rationals(0, 5))
def test_glauber_magnetization_continuous_time(hh, mm, tt):
    expr = S.bernoulli_magnetization(k, dynamics="glauber")
    numeric = bernoulli.magnetization(float(hh), float(tt), dynamics="glauber", m0=float(mm))
    assert np.isclose(num(expr, {h: hh, m0: mm, k: tt}), float(numeric), rtol=1e-10, atol=1e-12)


def _two_state_matrix(rule, hh):
    """Exact 2x2 transition matrix of one spin, states (+1, -1), for a rational field hh."""
    if rule == "heat-bath":
        p = sp.exp(hh) / (sp.exp(hh) + sp.exp(-hh))
        return sp.Matrix([[p, 1 - p], [p, 1 - p]])
    fp = sp.Min(1, sp.exp(-2 * hh))  # flip probability from +1
    fm = sp.Min(1, sp.exp(2 * hh))  # from -1
    return sp.Matrix([[1 - fp, fp], [fm, 1 - fm]])


@pytest.mark.parametrize("dyn", [d for d in S.BERNOULLI_DYNAMICS if d != "glauber"])
@pytest.mark.parametrize("hh", [sp.Rational(3, 4), sp.Rational(-1, 3)])
def test_bernoulli_rederived_from_the_transition_matrix(dyn, hh):
    """p_k = p_0 T^k with the exact 2x2 kernel (random site: (1 - 1/n) I + T / n), k = 0..4, n = 3."""
    nn = 3
    T = _two_state_matrix("metropolis" if dyn.endswith("metropolis") else "heat-bath", hh)
    if dyn in RANDOM:
        T = (1 - sp.Rational(1, nn)) * sp.eye(2) + T / nn
    mm = sp.Rational(1, 5)
    p = sp.Matrix([[(1 + mm) / 2, (1 - mm) / 2]])
    for kk in range(5):
        m_exact = p[0] - p[1]
        m_sym = S.bernoulli_magnetization(kk, dynamics=dyn).subs({h: hh, m0: mm, n_sym: nn})
        assert sp.N(m_exact - m_sym, 40) == 0 or abs(sp.N(m_exact - m_sym, 40)) < 1e-35
        p = p * T


def test_bernoulli_random_heat_bath_rederived_by_rsolve():
    t = sp.Symbol("t", integer=True, nonnegative=True)
    x = sp.Function("x")
    sol = sp.rsolve(x(t + 1) - (1 - 1 / n_sym) * x(t) - sp.tanh(h) / n_sym, x(t), {x(0): m0})
    assert sp.simplify(sol.subs(t, k) - S.bernoulli_magnetization(k, dynamics="random-heat-bath")) == 0


def test_glauber_rederived_by_dsolve():
    f = sp.Function("f")
    sol = sp.dsolve(sp.Eq(f(k).diff(k), sp.tanh(h) - f(k)), f(k), ics={f(0): m0}).rhs
    assert sp.simplify(sol - S.bernoulli_magnetization(k, dynamics="glauber")) == 0


def test_parallel_metropolis_parity():
    a = S.bernoulli_contraction(k, dynamics="parallel-metropolis")
    assert sp.simplify(a - (-sp.exp(-2 * sp.Abs(h))) ** k) == 0
    # odd k: h* below the MLE, even k above (theory.md 4), m_D = 0.4
    mle = np.arctanh(0.4)
    h1 = num(S.bernoulli_short_run_field(1, dynamics="parallel-metropolis"), {m_D: fractions.Fraction(2, 5)})
    h2 = num(S.bernoulli_short_run_field(2, dynamics="parallel-metropolis"), {m_D: fractions.Fraction(2, 5)})
    assert h1 < mle < h2


@FAST
@given(st.sampled_from(["glauber", "random-heat-bath", "sequential-heat-bath", "parallel-heat-bath"]),
       st.integers(1, 10), st.integers(2, 6), st.data())
def test_bernoulli_short_run_field_heat_bath_matches_numeric(dyn, kk, nn, data):
    a = float(bernoulli.contraction(0.0, kk, dynamics=dyn, n=nn))
    mm = data.draw(rationals(-1, 1))
    lo, hi = -(1 - a) + float(a * mm), (1 - a) + float(a * mm)  # |m_D - a m0| < 1 - a
    md = data.draw(rationals(fractions.Fraction(lo) + fractions.Fraction(1, 100),
                             fractions.Fraction(hi) - fractions.Fraction(1, 100)))
    assume(-1 < md < 1)
    numeric = float(bernoulli.short_run_fixed_point(float(md), kk, dynamics=dyn, m0=float(mm), n=nn))
    expr = S.bernoulli_short_run_field(kk, dynamics=dyn)
    assert np.isclose(num(expr, {m_D: md, m0: mm, n_sym: nn}), numeric, rtol=1e-8, atol=1e-10)


@FAST
@given(st.sampled_from([("parallel-metropolis", 1), ("parallel-metropolis", 2), ("random-metropolis", 1),
                        ("random-metropolis", 2)]), st.integers(1, 6), rationals("1/100", "99/100"))
def test_bernoulli_short_run_field_metropolis_matches_numeric(dk, nn, md):
    dyn, kk = dk
    if dyn == "random-metropolis":
        # reachable within k random-site updates from m0 = 0: |m_D| < 1 - q_k
        assume(md < 1 - (1 - fractions.Fraction(1, nn)) ** kk - fractions.Fraction(1, 100))
    numeric = float(bernoulli.short_run_fixed_point(float(md), kk, dynamics=dyn, n=nn if dyn in RANDOM else None))
    expr = S.bernoulli_short_run_field(kk, dynamics=dyn)
    assert np.isclose(num(expr, {m_D: md, n_sym: nn}), numeric, rtol=1e-8, atol=1e-10)


def test_bernoulli_cd_equation_has_no_bias():
    for dyn in S.BERNOULLI_DYNAMICS:
        eq = S.bernoulli_cd_equation(k, dynamics=dyn)
        assert sp.simplify(eq.lhs.subs(h, sp.atanh(m_D))) == 0


# --------------------------------------------------------------------------------------
# formulas of the checks, printing, errors, import cost
# --------------------------------------------------------------------------------------
def test_check_formulas_cover_existing_checks():
    import paper_checks

    names = set(paper_checks.names())
    assert set(S.CHECKS_WITH_FORMULAS) <= names
    for name in S.CHECKS_WITH_FORMULAS:
        formulas = S.check_formulas(name)
        assert formulas and all(isinstance(lab, str) and isinstance(e, sp.Basic) for lab, e in formulas)
        tex = S.latex(name)
        assert tex.count("\n") == len(formulas) - 1 and "=" in tex
        assert S.plain(name)
    assert S.check_formulas("rbm_ais_vs_exact") == []
    assert S.latex("no_such_check") == ""
    with pytest.raises(TypeError, match="check_name"):
        S.check_formulas(3)


def test_latex_of_expression():
    assert S.latex(S.gaussian_persistent_equation(step="eta")) == sp.latex(sp.Eq(j * (1 - eta * j / 2), 1 / c))
    assert "j_{CD}" in S.latex(S.check_formulas("persistent_ula_bias"))


def test_bad_arguments():
    with pytest.raises(ValueError, match="step"):
        S.gaussian_mode(3, step="h")
    with pytest.raises(ValueError, match="step"):
        S.gaussian_mode(3, step=-0.1)
    with pytest.raises(ValueError, match="integer"):
        S.gaussian_mode(1.5, step="eta")
    with pytest.raises(ValueError, match="k must be >= 0"):
        S.gaussian_mode(-1)
    with pytest.raises(TypeError, match="k"):
        S.gaussian_mode("3")
    with pytest.raises(ValueError, match="dynamics"):
        S.bernoulli_magnetization(2, dynamics="metropolis")
    with pytest.raises(ValueError, match="k must be 1 or 2"):
        S.gaussian_short_run_coupling(3)
    with pytest.raises(ValueError, match="closed-form"):
        S.gaussian_short_run_coupling(1, step=None)
    with pytest.raises(ValueError, match="k = 1 or 2"):
        S.bernoulli_short_run_field(3, dynamics="parallel-metropolis")
    with pytest.raises(ValueError, match="k must be > 0"):
        S.bernoulli_short_run_field(0, dynamics="glauber")


def test_import_does_not_load_sympy():
    code = "import sys, solvable.symbolic, solvable.testing; print('sympy' in sys.modules, 'hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_symbolic_dynamics_names_are_the_bernoulli_ones():
    assert S.BERNOULLI_DYNAMICS == tuple(bernoulli.DYNAMICS)
