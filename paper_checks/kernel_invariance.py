r"""Every single-site spin kernel leaves the Boltzmann law invariant; the parallel heat bath does not.

Claims (theory.md 5.1 and 9.5, check C5; the stationary law of synchronous updates:
Peretto 1984, Biol. Cybern. 50, 51):

* continuous-time Glauber, random-scan heat bath and Metropolis and sequential sweeps
  satisfy :math:`p_\theta T=p_\theta` (generator: :math:`p_\theta Q=0`) to 1e-12, by two
  independent routes: the Numba law propagation :func:`solvable.ising.evolve` and the
  numpy matrices of :func:`solvable.ising.transition_matrix`;
* the parallel (synchronous) heat bath does **not** (max :math:`|p_\theta T-p_\theta|=0.0126`
  on the 9.5 example); its stationary law is the Little/Peretto law
  :math:`\pi(s)\propto e^{h\cdot s}\prod_i2\cosh H_i(s)` (:func:`solvable.ising.stationary`):
  invariant and in detailed balance to 1e-12, with moments up to 0.25 away from the
  Boltzmann ones (parallel Metropolis is not invariant either); without couplings every
  kernel, parallel ones included, leaves the product law invariant;
* Monte Carlo no-drift test (the stationarity test of RestrictedBoltzmannMachines.jl):
  M exact draws from :math:`p_\theta`, one unit of each kernel (:func:`solvable.ising.simulate`),
  total-variation distance of the empirical law to :math:`p_\theta` at most 4 times the
  Monte Carlo floor :math:`\frac12\sum_s\sqrt{2p_s(1-p_s)/(\pi M)}` for the invariant kernels, and
  more than 4 times for the parallel heat bath (whose draws from the Peretto law pass);
  the 15 moments after the step agree with the exact ones (|z| <= Z) and, for the
  parallel heat bath, differ from the Boltzmann ones (|z| > Z).

Model (theory.md 9.5): n = 5, ``default_rng(0)``, :math:`J_{ij}\sim\mathcal N(0,0.7^2)` (i < j),
:math:`h_i\sim\mathcal N(0,0.4^2)`.
"""
from __future__ import annotations

import numpy as np

from solvable import ising

from ._result import (
    PERETTO1984, Z_MAX, CheckResult, controlled, decide_z, make_result, mean_se, sub_seed,
    with_section, within_printed,
)

CLAIM = ("Single-site kernels (Glauber, random-scan heat bath / Metropolis, sweeps) leave Boltzmann invariant "
         "(1e-12, exact and MC no-drift); parallel heat bath does not, its stationary law is the Peretto law")
SOURCE = with_section(PERETTO1984, "5.1, 9.5 (C5); single-site invariance: standard (detailed balance)")
DERIVED = "the printed drift and moment-gap numbers of theory.md 9.5"

N = 5
INVARIANCE_TOL = 1e-12
#: one unit of each kernel in the tests: continuous time 1, n random-site updates, one sweep, one parallel step
UNIT = {"glauber": 1.0, "random-heat-bath": N, "random-metropolis": N, "sequential-heat-bath": 1,
        "parallel-heat-bath": 1, "parallel-metropolis": 1}
#: theory.md 9.5 printed: parallel heat bath max|pT - p| and the largest Peretto-vs-Boltzmann moment gap
PAR_HB_DRIFT = "0.0126"
PERETTO_GAP = "0.25"
TV_FACTOR = 4.0


def model():
    """theory.md 9.5 kernel example: (J, h) of n = 5 spins from ``default_rng(0)``."""
    rng = np.random.default_rng(0)
    A = rng.normal(0, 0.7, (N, N))
    J = np.triu(A, 1)
    J = J + J.T
    return J, rng.normal(0, 0.4, N)


def mc_floor(p, n_samples):
    r"""Expected total-variation distance of an M-sample empirical law to p:
    :math:`\frac12\sum_s\mathbb E|\hat p_s-p_s|\approx\frac12\sum_s\sqrt{2p_s(1-p_s)/(\pi M)}` (normal limit of
    the binomial counts; theory.md 8, C5)."""
    p = np.asarray(p, dtype=float)
    return float(0.5 * np.sum(np.sqrt(2.0 * p * (1.0 - p) / (np.pi * n_samples))))


def _one_step(p, J, h, dyn):
    """(p T - p via evolve, p T - p via the numpy matrix) for one UNIT; glauber: p Q by the generator."""
    by_evolve = ising.evolve(p, J, h, UNIT[dyn], dynamics=dyn) - p
    T = ising.transition_matrix(J, h, dynamics=dyn)
    if dyn == "glauber":
        by_matrix = np.asarray(p @ T).ravel()           # generator Q: stationary iff p Q = 0
    else:
        pT = np.asarray(p @ T).ravel()
        for _ in range(UNIT[dyn] - 1):
            pT = np.asarray(pT @ T).ravel()
        by_matrix = pT - p
    return by_evolve, by_matrix


def _sample(p, n_samples, seed):
    rng = np.random.default_rng(seed)
    idx = rng.choice(p.size, size=n_samples, p=p)
    return (((idx[:, None] >> np.arange(N)) & 1) * 2 - 1).astype(np.int8)


def measure(quick=True, seed=0):
    """Exact invariance errors, the Peretto law, and the Monte Carlo no-drift test."""
    n_samples = 200_000 if quick else 2_000_000
    J, h = model()
    p = ising.boltzmann(J, h)
    exact = {}
    for dyn in ising.DYNAMICS:
        ev, mx = _one_step(p, J, h, dyn)
        exact[dyn] = {"evolve": float(np.max(np.abs(ev))), "matrix": float(np.max(np.abs(mx))),
                      "tv": float(0.5 * np.sum(np.abs(ev)))}
    pi = ising.stationary(J, h, dynamics="parallel-heat-bath")
    ev, mx = _one_step(pi, J, h, "parallel-heat-bath")
    T = ising.transition_matrix(J, h, dynamics="parallel-heat-bath").toarray()
    flow = pi[:, None] * T
    peretto = {"evolve": float(np.max(np.abs(ev))), "matrix": float(np.max(np.abs(mx))),
               "detailed_balance": float(np.max(np.abs(flow - flow.T))),
               "moment_gap": float(np.max(np.abs(ising.law_features(pi) - ising.law_features(p))))}
    h_only = ising.boltzmann(np.zeros((N, N)), h)
    free = {dyn: float(np.max(np.abs(ising.evolve(h_only, np.zeros((N, N)), h, UNIT[dyn], dynamics=dyn) - h_only)))
            for dyn in ising.DYNAMICS}
    mc = {}
    floor = mc_floor(p, n_samples)
    for i, dyn in enumerate(ising.DYNAMICS):
        s0 = _sample(p, n_samples, sub_seed(seed, 4601, i))
        s1 = ising.simulate(J, h, UNIT[dyn], n_samples, dynamics=dyn, s0=s0, seed=sub_seed(seed, 4602, i))
        emp = ising.empirical_law(s1)
        f = ising.features(s1)
        mean, se = mean_se(f)
        pT = ising.evolve(p, J, h, UNIT[dyn], dynamics=dyn)
        mc[dyn] = {"tv": float(0.5 * np.sum(np.abs(emp - p))), "floor": floor,
                   "z_vs_pT": (mean - ising.law_features(pT)) / se, "z_vs_p": (mean - ising.law_features(p)) / se}
    s0 = _sample(pi, n_samples, sub_seed(seed, 4603))
    s1 = ising.simulate(J, h, 1, n_samples, dynamics="parallel-heat-bath", s0=s0, seed=sub_seed(seed, 4604))
    mc_peretto = {"tv": float(0.5 * np.sum(np.abs(ising.empirical_law(s1) - pi))), "floor": mc_floor(pi, n_samples)}
    return {"exact": exact, "peretto": peretto, "free": free, "mc": mc, "mc_peretto": mc_peretto,
            "n_samples": n_samples}


def evaluate(m, *, claim_invariant=ising.INVARIANT_DYNAMICS, z_max=Z_MAX):
    """Verdict. ``claim_invariant``: the kernels claimed to leave p invariant (the others are claimed not to);
    adding ``"parallel-heat-bath"`` is a deliberately wrong claim that must FAIL. Returns ``(passed, parts)``."""
    parts = {}
    ex = m["exact"]
    inv = [d for d in ising.DYNAMICS if d in claim_invariant]
    non = [d for d in ising.DYNAMICS if d not in claim_invariant]
    err_inv = max(max(ex[d]["evolve"], ex[d]["matrix"]) for d in inv) if inv else 0.0
    min_non = min(min(ex[d]["evolve"], ex[d]["matrix"]) for d in non) if non else np.inf
    parts["exact"] = {"passed": bool(err_inv <= INVARIANCE_TOL and min_non > 1e3 * INVARIANCE_TOL),
                      "max_error_invariant": err_inv, "min_drift_non_invariant": min_non,
                      "per_kernel": ex}
    pe = m["peretto"]
    printed = [within_printed(ex["parallel-heat-bath"]["evolve"], PAR_HB_DRIFT),
               within_printed(pe["moment_gap"], PERETTO_GAP)]
    parts["peretto"] = {"passed": bool(max(pe["evolve"], pe["matrix"], pe["detailed_balance"]) <= INVARIANCE_TOL
                                       and all(printed)), **pe, "printed_ok": all(printed)}
    parts["no_couplings"] = {"passed": max(m["free"].values()) <= INVARIANCE_TOL, "max_error": max(m["free"].values())}
    mc = m["mc"]
    ok_tv = all(mc[d]["tv"] <= TV_FACTOR * mc[d]["floor"] for d in inv) and \
        all(mc[d]["tv"] > TV_FACTOR * mc[d]["floor"] for d in non if d == "parallel-heat-bath")
    ok_z, z_worst = decide_z(match=np.concatenate([mc[d]["z_vs_pT"] for d in ising.DYNAMICS]), z_max=z_max)
    ok_drift, _ = decide_z(mismatch=[np.max(np.abs(mc[d]["z_vs_p"])) for d in non if d == "parallel-heat-bath"] or [np.inf],
                           z_max=z_max)
    ok_inv_z, z_inv = decide_z(match=np.concatenate([mc[d]["z_vs_p"] for d in inv]) if inv else [0.0], z_max=z_max)
    mp = m["mc_peretto"]
    ok_pm = mp["tv"] <= TV_FACTOR * mp["floor"]
    parts["monte_carlo"] = {"passed": bool(ok_tv and ok_z and ok_drift and ok_inv_z and ok_pm),
                            "tv_over_floor": {d: mc[d]["tv"] / mc[d]["floor"] for d in ising.DYNAMICS},
                            "peretto_tv_over_floor": mp["tv"] / mp["floor"], "z_vs_exact_step": z_worst,
                            "z_invariant_vs_p": z_inv,
                            "z_parallel_hb_vs_p": float(np.max(np.abs(mc["parallel-heat-bath"]["z_vs_p"])))}
    return all(p["passed"] for p in parts.values()), parts


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    """Run the check (quick: 2e5 exact draws per kernel; full: 2e6)."""
    return controlled(result_from, measure(quick, seed))


def result_from(m, *, claim_invariant=ising.INVARIANT_DYNAMICS) -> CheckResult:
    """The CheckResult of :func:`measure`'s numbers (``claim_invariant``: which kernels are claimed invariant)."""
    passed, parts = evaluate(m, claim_invariant=claim_invariant)
    ex, pe, mc = parts["exact"], parts["peretto"], parts["monte_carlo"]
    meas = (
        f"max |p T - p| (evolve, matrix): " + ", ".join(
            f"{d} {ex['per_kernel'][d]['evolve']:.1e}/{ex['per_kernel'][d]['matrix']:.1e}" for d in ising.DYNAMICS)
        + f"; Peretto law: invariant {max(pe['evolve'], pe['matrix']):.1e}, detailed balance "
        f"{pe['detailed_balance']:.1e}, moments vs Boltzmann {pe['moment_gap']:.3f}; J = 0: all kernels "
        f"{parts['no_couplings']['max_error']:.1e}; MC ({m['n_samples']} draws): TV / floor "
        + ", ".join(f"{d} {v:.2f}" for d, v in mc["tv_over_floor"].items())
        + f", Peretto draws + parallel heat bath {mc['peretto_tv_over_floor']:.2f}; max|z| vs exact one-step law "
        f"{mc['z_vs_exact_step']:.2f}; invariant kernels vs p {mc['z_invariant_vs_p']:.2f}; parallel heat bath vs p "
        f"{mc['z_parallel_hb_vs_p']:.1f}"
    )
    return make_result(
        __name__,
        prediction=(f"p T = p (<= {INVARIANCE_TOL:g}) for {list(claim_invariant)}; parallel heat bath drifts by "
                    f"{PAR_HB_DRIFT}, Peretto law invariant, moments {PERETTO_GAP} away; MC: TV <= {TV_FACTOR:g} x floor "
                    f"for invariant kernels, > for parallel heat bath; |z| <= {Z_MAX:g} vs the exact one-step law"),
        measurement=meas,
        passed=passed,
        z=mc["z_vs_exact_step"],
        error=ex["max_error_invariant"],
        tolerance=(f"{INVARIANCE_TOL:g} exact; printed digits of 9.5; TV <= {TV_FACTOR:g} x MC floor; "
                   f"|z| <= {Z_MAX:g} (match) / > {Z_MAX:g} (drift)"),
        details={"parts": parts},
        data={"exact": m["exact"], "peretto": m["peretto"],
              "tv_over_floor": mc["tv_over_floor"], "peretto_tv_over_floor": mc["peretto_tv_over_floor"],
              "expected_tv_over_floor": {d: m["exact"][d]["tv"] / m["mc"][d]["floor"] for d in ising.DYNAMICS},
              "n_samples": m["n_samples"]},
        params={"n": N, "recipe": "default_rng(0); J ~ N(0, 0.7^2) (i<j); h ~ N(0, 0.4^2)", "unit": UNIT,
                "n_samples": m["n_samples"]},
    )


def draw(result):
    """Left: max |p T - p| per kernel (log; Boltzmann p, and the Peretto law for the parallel heat bath).
    Right: Monte Carlo TV after one step, in units of the MC floor (4 x floor dashed)."""
    from solvable import plotting

    d = result.data
    dyns = list(d["exact"])
    short = {"glauber": "Glauber\n(cont. time)", "random-heat-bath": "random\nheat bath",
             "random-metropolis": "random\nMetropolis", "sequential-heat-bath": "sequential\nsweep",
             "parallel-heat-bath": "parallel\nheat bath", "parallel-metropolis": "parallel\nMetropolis"}
    floor = 1e-17
    x = np.arange(len(dyns))
    fig, (ax, ay) = plotting.subplots(1, 2, width=10.8, height=4.3)
    ev = [max(d["exact"][k]["evolve"], floor) for k in dyns]
    mx = [max(d["exact"][k]["matrix"], floor) for k in dyns]
    ax.bar(x - 0.2, ev, width=0.4, color=plotting.COLORS[0], label=r"Boltzmann $p_\theta$: evolve (Numba)")
    ax.bar(x + 0.2, mx, width=0.4, color=plotting.COLORS[5], label=r"Boltzmann $p_\theta$: matrix (numpy)")
    i_par = dyns.index("parallel-heat-bath")
    ax.plot([i_par], [max(d["peretto"]["evolve"], floor)], "*", ms=12, color=plotting.COLORS[1],
            label=r"Peretto law $\pi$ under parallel heat bath")
    ax.axhline(INVARIANCE_TOL, color="k", ls="--", lw=1, label=r"tolerance $10^{-12}$")
    ax.set_yscale("log")
    ax.set_ylim(floor / 2, 1)
    ax.set_xticks(x, [short[k] for k in dyns], fontsize=8)
    ax.set_xlabel(rf"kernel (one unit: $t=1$, $n={N}$ random-site updates, one sweep, one parallel step)", fontsize=9)
    ax.set_ylabel(r"$\max_s|(pT)(s)-p(s)|$ after one unit")
    ax.set_title(r"exact invariance ($n=5$; exact zero drawn at $10^{-17}$)")
    ax.legend(loc="upper left", fontsize=7.5)
    tv = [d["tv_over_floor"][k] for k in dyns]
    par = [k.startswith("parallel") for k in dyns]
    ay.bar(x[~np.array(par)], [t for t, q in zip(tv, par) if not q], width=0.55, color=plotting.COLORS[0],
           label=r"TV$(\hat p_{\rm after\,1\,step},p_\theta)$ / floor, invariant kernels")
    ay.bar(x[np.array(par)], [t for t, q in zip(tv, par) if q], width=0.55, color=plotting.COLORS[1],
           label="the same, parallel kernels (not invariant)")
    ay.plot(x, [d["expected_tv_over_floor"][k] for k in dyns], "_", ms=20, mew=2, color="k",
            label=r"exact TV$(p_\theta T,p_\theta)$ / floor")
    ay.plot([i_par], [d["peretto_tv_over_floor"]], "*", ms=12, color=plotting.COLORS[2],
            label=r"draws from Peretto $\pi$, TV to $\pi$ / floor")
    ay.axhline(TV_FACTOR, color="k", ls="--", lw=1, label=f"{TV_FACTOR:g} x Monte Carlo floor")
    ay.set_xticks(x, [short[k] for k in dyns], fontsize=8)
    ay.set_xlabel("kernel (one unit, from exact draws of $p_\\theta$)", fontsize=9)
    ay.set_ylabel("total variation / MC floor")
    ay.text(0.02, 0.5, "MC floor = expected TV of an empirical law\nof the same size to its exact law,\n"
            r"$\frac{1}{2}\sum_s\sqrt{2p_s(1-p_s)/(\pi M)}$", transform=ay.transAxes, ha="left", va="center",
            fontsize=7.5, color="0.25")
    ay.set_title(f"MC no-drift test: {d['n_samples']} exact draws, one step")
    ay.legend(loc="upper left", fontsize=7.5)
    return fig
