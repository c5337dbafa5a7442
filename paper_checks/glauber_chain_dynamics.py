r"""The 1-D Glauber chain: closed moment equations, Bessel solution, and its short-run fixed point.

Claims (Glauber 1963, J. Math. Phys. 4, 294; theory.md 5.3 and 9.6, check C3; the
short-run fixed point of Agoritsas et al. 2023 worked out for this model in theory.md):

* on a ring :math:`E=-\kappa\sum_is_is_{i+1}` with heat bath at rate 1 the moment
  equations close, :math:`\dot m_i=-m_i+\frac\Gamma2(m_{i-1}+m_{i+1})` and
  :math:`\dot G_r=-2G_r+\Gamma(G_{r-1}+G_{r+1})`, :math:`\Gamma=\tanh2\kappa`: their exact
  solutions (:func:`solvable.glauber_chain.site_magnetization`,
  :func:`~solvable.glauber_chain.pair_correlations`) equal the :math:`2^N` master
  equation (:func:`solvable.ising.evolve`, ``dynamics="glauber"``) to 1e-12 (N = 8,
  :math:`\kappa=0.6`, uniform, product and fixed starts);
* the infinite-chain Bessel formula (:func:`~solvable.glauber_chain.infinite_chain_correlation`)
  equals a 300-site ring to 1e-10, and its :math:`\kappa\to\infty` limit is
  :math:`\sup_\kappa G_1(t)=1-e^{-2t}[I_0(2t)+I_1(2t)]` (1e-10);
* short-run training of :math:`\kappa` (uniform start, time k) has a fixed point iff
  :math:`G_1^D<\sup_\kappa G_1(k)`: for :math:`G_1^D=\tanh0.6` none for k <= 1, and
  :math:`\kappa^*=0.76956, 0.61425, 0.60002` at k = 2, 5, 20 (printed digits of 9.6);
* chains (:func:`solvable.ising.simulate` on a ring) run at the ring's :math:`\kappa^*(k)`
  reproduce :math:`G_1^D` at t = k (|z| <= Z), miss it at the other sampled times
  where resolvable (|z| > Z), and follow the closed form at every time (|z| <= Z).
"""
from __future__ import annotations

import numpy as np

from solvable import glauber_chain as gc
from solvable import ising
from solvable.comparison import moments_vs_time
from solvable.errors import NoFixedPointError

from ._result import (
    RTOL, Z_MAX, CheckResult, controlled, decide_z, make_result, Source, sub_seed, within_printed,
)

CLAIM = ("Glauber chain: closed m_i / G_r equations = 2^N master equation, Bessel formula = long ring, "
         "short-run kappa*(k) exists iff G1_D < sup G1(k); chains at kappa* match G1_D at t = k, not at the other "
         "times sampled")
DERIVED = "the short-run coupling kappa*(k), its existence condition and the printed numbers of theory.md 9.6"
SOURCE = Source("Glauber 1963 (J. Math. Phys. 4, 294)", "", "Time-dependent statistics of the Ising model",
                "5.3, 9.6 (C3); short-run fixed point derived in theory.md")

N_EXACT = 8
KAPPA = 0.6
TIMES = (0.25, 0.5, 1.0, 2.0, 5.0)
N_LONG = 300
R_LONG = (1, 2, 3, 4)
#: theory.md 9.6 printed values
G1_T1_RING8 = "0.385218"
G1_T1_INFINITE = "0.3852073940"
SUP_G1 = {0.5: "0.32633", 1.0: "0.47622", 2.0: "0.61425", 5.0: "0.75090"}
KAPPA_DATA = 0.6
KAPPA_STAR = {2.0: "0.76956", 5.0: "0.61425", 20.0: "0.60002"}
K_NONE = (0.5, 1.0)
#: product start (per-site means) and a fixed start configuration for the master-equation tests
M0 = (0.9, -0.5, 0.3, 0.0, 0.7, -0.8, 0.2, 0.5)
S0 = (1, 1, -1, 1, -1, -1, 1, 1)
#: chains: ring size and, per k, the sampled times
N_SIM = 32
CHAIN_TIMES = {2.0: (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0), 5.0: (0.0, 1.0, 2.5, 5.0, 6.0, 7.5, 10.0)}
R_SIM = (1, 2, 3)


def _master(p0, t):
    """The 2^N master equation of the ring (zero field) from the law p0 at time t."""
    return ising.evolve(p0, gc.ring_couplings(KAPPA, N_EXACT), np.zeros(N_EXACT), t, dynamics="glauber")


def _master_vs_ode():
    S = ising.all_states(N_EXACT)
    R = gc.ring_pair_statistics(S)
    N = 2**N_EXACT
    uniform = np.full(N, 1.0 / N)
    product = np.prod(np.where(S > 0, 0.5 * (1 + np.array(M0)), 0.5 * (1 - np.array(M0))), axis=1)
    delta = np.zeros(N)
    delta[int(ising.state_index(np.array(S0, dtype=np.int8)))] = 1.0
    t = np.array(TIMES)
    G_u = np.array([_master(uniform, ti) @ R for ti in TIMES])
    G_d = np.array([_master(delta, ti) @ R for ti in TIMES])
    m_p = np.array([ising.moments(_master(product, ti))[0] for ti in TIMES])
    ode_u = gc.pair_correlations(t, KAPPA, N_EXACT)
    ode_d = gc.pair_correlations(t, KAPPA, N_EXACT, G0=gc.ring_pair_statistics(np.array(S0)))
    ode_m = gc.site_magnetization(t, KAPPA, np.array(M0))
    errs = {"G_uniform": float(np.max(np.abs(G_u - ode_u))), "G_fixed_start": float(np.max(np.abs(G_d - ode_d))),
            "m_product_start": float(np.max(np.abs(m_p - ode_m)))}
    return errs, float(G_u[list(TIMES).index(1.0), 1])


def _bessel_vs_ring():
    t = np.array(TIMES)
    inf = np.array([gc.infinite_chain_correlation(t, KAPPA, r) for r in R_LONG])
    ring = gc.pair_correlations(t, KAPPA, N_LONG)[:, list(R_LONG)].T
    sup_t = np.array(sorted(SUP_G1))
    sup = gc.sup_nn_correlation(sup_t)
    limit = gc.infinite_chain_correlation(sup_t, 40.0, 1)  # tanh(40) = 1: zeta = Gamma = 1 in doubles
    return {"bessel_vs_ring": float(np.max(np.abs(inf - ring))), "sup_vs_limit": float(np.max(np.abs(sup - limit))),
            "G1_t1": float(gc.infinite_chain_correlation(1.0, KAPPA, 1)), "sup": dict(zip(sup_t.tolist(), sup.tolist()))}


def _short_run():
    G1D = float(np.tanh(KAPPA_DATA))
    none = {}
    for k in K_NONE:
        try:
            gc.short_run_fixed_point(G1D, k)
            none[k] = None
        except NoFixedPointError as exc:
            none[k] = str(exc)
    star = {k: gc.short_run_fixed_point(G1D, k) for k in KAPPA_STAR}
    # the root reproduces G1_D through the independent 300-site ring ODE
    resid = max(abs(float(gc.pair_correlations(k, ks, N_LONG)[1]) - G1D) for k, ks in star.items())
    return {"G1_data": G1D, "none": none, "kappa_star": star, "ring_residual": resid}


def ring_stats(S):
    r"""Columns ``R_SIM`` of :func:`solvable.glauber_chain.ring_pair_statistics` (per-chain
    :math:`\frac1N\sum_is_is_{i+r}`), without computing the other distances (the chains need three)."""
    x = np.asarray(S, dtype=np.float64)
    return np.stack([np.mean(x * np.roll(x, -r, axis=1), axis=1) for r in R_SIM], axis=1)


def _chains(n_chains, seed):
    G1D = float(np.tanh(KAPPA_DATA))
    h = np.zeros(N_SIM)
    out = []
    for i, (k, times) in enumerate(CHAIN_TIMES.items()):
        ks = gc.short_run_fixed_point(G1D, k, N=N_SIM)
        J = gc.ring_couplings(ks, N_SIM)
        cmp = moments_vs_time(
            list(times),
            start=lambda s: ising.simulate(J, h, 0.0, n_chains, dynamics="glauber", seed=sub_seed(*s)),
            move=lambda S, dt, s: ising.simulate(J, h, dt, S.shape[0], dynamics="glauber", s0=S, seed=sub_seed(*s)),
            features=ring_stats,
            data=np.array([G1D] + [np.nan] * (len(R_SIM) - 1)),
            labels=[f"G{r}" for r in R_SIM],
            exact=lambda t: gc.pair_correlations(t, ks, N_SIM)[list(R_SIM)],
            k=k,
            seed=sub_seed(seed, 4401, i),
        )
        out.append({"k": k, "kappa_ring": ks, "kappa_infinite": gc.short_run_fixed_point(G1D, k),
                    "times": cmp.times, "sampled": cmp.sampled, "se": cmp.se, "exact": cmp.exact, "G1_data": G1D})
    return out


def measure(quick=True, seed=0):
    """All numbers: master equation vs ODE, Bessel vs ring, short-run fixed points, chains."""
    n_chains = 20_000 if quick else 200_000
    master, g1_ring8 = _master_vs_ode()
    chains = _chains(n_chains, seed)
    return {"master": master, "G1_t1_ring8": g1_ring8, "bessel": _bessel_vs_ring(), "short_run": _short_run(),
            "chains": chains, "n_chains": n_chains, "curves": _curves(chains)}


def _curves(chains):
    """The figure's closed-form curves: sup_kappa G1(t), G1(t) on the ring at each chain run's kappa*,
    and kappa*(k) for k above k_c (where sup G1(k_c) = G1_D)."""
    from scipy.optimize import brentq

    G1D = float(np.tanh(KAPPA_DATA))
    t_fine = np.linspace(0, 10, 201)
    k_c = brentq(lambda k: float(gc.sup_nn_correlation(k)) - G1D, 0.5, 5.0)
    ks = np.concatenate([np.geomspace(k_c * 1.002, 3, 50), np.geomspace(3, 30, 30)[1:]])
    ring = []
    for r in chains:
        t_r = np.linspace(0, max(r["times"]), 121)
        ring.append({"t": t_r, "G1": gc.pair_correlations(t_r, r["kappa_ring"], N_SIM)[:, 1]})
    return {"t_fine": t_fine, "sup_G1": gc.sup_nn_correlation(t_fine), "k_c": k_c, "ks": ks,
            "kappa": np.array([gc.short_run_fixed_point(G1D, k) for k in ks]), "ring": ring}


def evaluate(m, *, t_offset=0.0, z_max=Z_MAX):
    """Verdict. ``t_offset`` moves the time where the chains must match G1_D (t = k + t_offset; nonzero is a
    deliberately wrong claim that must FAIL). Returns ``(passed, parts)``."""
    parts = {}
    parts["master_vs_ode"] = {"passed": max(m["master"].values()) <= 1e-12, "errors": m["master"]}
    b = m["bessel"]
    parts["bessel"] = {"passed": b["bessel_vs_ring"] <= RTOL and b["sup_vs_limit"] <= RTOL,
                       "bessel_vs_ring": b["bessel_vs_ring"], "sup_vs_limit": b["sup_vs_limit"]}
    sr = m["short_run"]
    printed = [within_printed(m["G1_t1_ring8"], G1_T1_RING8),
               within_printed(b["G1_t1"], G1_T1_INFINITE)]
    printed += [within_printed(b["sup"][t], v) for t, v in SUP_G1.items()]
    printed += [within_printed(sr["kappa_star"][k], v) for k, v in KAPPA_STAR.items()]
    parts["printed_96"] = {"passed": all(printed), "n": len(printed)}
    parts["short_run"] = {"passed": all(v is not None for v in sr["none"].values()) and sr["ring_residual"] <= RTOL,
                          "no_fixed_point": sorted(sr["none"]), "ring_residual": sr["ring_residual"],
                          "kappa_star": sr["kappa_star"]}
    runs = []
    for r in m["chains"]:
        times = np.asarray(r["times"])
        at = np.isclose(times, r["k"] + t_offset)
        if not at.any():
            raise ValueError(f"t = {r['k'] + t_offset} is not a sampled time {times.tolist()}")
        g1, se1, ex1 = r["sampled"][:, 0], r["se"][:, 0], r["exact"][:, 0]
        z_data = (g1 - r["G1_data"]) / se1
        resolvable = ~at & (np.abs(ex1 - r["G1_data"]) / se1 > 2 * z_max)
        ok_m, z_at = decide_z(match=z_data[at], mismatch=z_data[resolvable], z_max=z_max)
        ok_x, z_x = decide_z(match=(r["sampled"] - r["exact"]) / r["se"], z_max=z_max)
        runs.append({"k": r["k"], "passed": ok_m and ok_x, "z_at_k": z_at, "z_exact": z_x,
                     "mismatch_times": times[resolvable].tolist(),
                     "min_z_mismatch": float(np.min(np.abs(z_data[resolvable]))) if resolvable.any() else None,
                     "kappa_ring": r["kappa_ring"], "kappa_infinite": r["kappa_infinite"]})
    parts["chains"] = {"passed": all(x["passed"] for x in runs), "runs": runs}
    return all(p["passed"] for p in parts.values()), parts


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    """Run the check (quick: 2e4 chains of a 32-site ring; full: 2e5)."""
    return controlled(result_from, measure(quick, seed))


def result_from(m, *, t_offset=0.0) -> CheckResult:
    """The CheckResult of :func:`measure`'s numbers (``t_offset`` != 0: a wrong claim, for tests)."""
    passed, parts = evaluate(m, t_offset=t_offset)
    sr = m["short_run"]
    ch = parts["chains"]["runs"]
    meas = (
        f"master equation vs ODE (N = {N_EXACT}): G_r uniform start {m['master']['G_uniform']:.1e}, fixed start "
        f"{m['master']['G_fixed_start']:.1e}, m_i product start {m['master']['m_product_start']:.1e}; G1(1) = "
        f"{m['G1_t1_ring8']:.6f}; Bessel vs {N_LONG}-site ring {m['bessel']['bessel_vs_ring']:.1e} (G1(1) = "
        f"{m['bessel']['G1_t1']:.10f}); sup G1 vs kappa -> inf limit {m['bessel']['sup_vs_limit']:.1e}; sup G1(t) = "
        + ", ".join(f"{v:.5f}" for v in m["bessel"]["sup"].values())
        + f"; G1_D = {sr['G1_data']:.5f}: no fixed point for k = {sorted(k for k, v in sr['none'].items() if v)}, "
        "kappa* = " + ", ".join(f"{v:.5f} (k={k:g})" for k, v in sr["kappa_star"].items())
        + f"; {parts['printed_96']['n']} printed values of 9.6 {'reproduced' if parts['printed_96']['passed'] else 'NOT reproduced'}"
        + f"; chains ({m['n_chains']} x {N_SIM} sites): "
        + "; ".join(f"k={x['k']:g} (kappa*_ring {x['kappa_ring']:.5f}): |z| at t=k{'+' + format(t_offset, 'g') if t_offset else ''} "
                    f"{x['z_at_k']:.2f}, vs ODE {x['z_exact']:.2f}, min |z| at t != k {x['min_z_mismatch']:.1f}"
                    for x in ch)
    )
    return make_result(
        __name__,
        prediction=("closed Glauber equations = master equation (1e-12); Bessel = long ring, sup formula (1e-10); "
                    f"kappa* for G1_D = tanh {KAPPA_DATA}: none for k <= 1, "
                    + ", ".join(f"{v} (k={k:g})" for k, v in KAPPA_STAR.items())
                    + f"; chains at kappa*: G1 = G1_D at t = k (|z| <= {Z_MAX:g}), != elsewhere, = ODE everywhere"),
        measurement=meas,
        passed=passed,
        z=max(x["z_at_k"] for x in ch),
        error=max(max(m["master"].values()), m["bessel"]["bessel_vs_ring"]),
        tolerance=(f"1e-12 master vs ODE, {RTOL:g} Bessel vs ring, printed digits of 9.6, |z| <= {Z_MAX:g} at t = k and "
                   f"vs ODE, |z| > {Z_MAX:g} at t != k where the exact deviation exceeds {2 * Z_MAX:g} SE"),
        details={"parts": parts},
        data={"chains": [{k: r[k] for k in ("k", "kappa_ring", "times", "sampled", "se", "G1_data")}
                         for r in m["chains"]], "kappa_star": sr["kappa_star"], "G1_data": sr["G1_data"],
              "n_chains": m["n_chains"], "curves": m["curves"]},
        params={"N_exact": N_EXACT, "kappa": KAPPA, "N_long": N_LONG, "kappa_data": KAPPA_DATA, "N_sim": N_SIM,
                "chain_times": {str(k): v for k, v in CHAIN_TIMES.items()}, "n_chains": m["n_chains"],
                "start": "uniform spins"},
    )


def draw(result):
    """Left: G1(t) on the ring at kappa*(k), k = 2, 5 (lines: closed form; points: chains, 1 SE), the data
    G1_D and the reachable sup_kappa G1(t). Right: kappa*(k) vs k, diverging at k_c where sup G1(k_c) = G1_D."""
    from solvable import plotting

    d = result.data
    G1D = d["G1_data"]
    cv = d["curves"]
    fig, (ax, ak) = plotting.subplots(1, 2, width=10.4, height=4.2)
    ax.plot(cv["t_fine"], cv["sup_G1"], "k--", lw=1,
            label=r"$\sup_\kappa G_1(t)=1-e^{-2t}[I_0(2t)+I_1(2t)]$")
    for c, r in enumerate(d["chains"]):
        col = plotting.COLORS[c]
        ax.plot(cv["ring"][c]["t"], cv["ring"][c]["G1"], "-", color=col,
                label=rf"$k={r['k']:g}$: $\kappa^*={r['kappa_ring']:.4f}$ (closed form)")
        ax.errorbar(r["times"], np.asarray(r["sampled"])[:, 0], yerr=np.asarray(r["se"])[:, 0], fmt="o", ms=4,
                    color=col, mfc="white", label=rf"chains, $k={r['k']:g}$ (1 SE)")
        ax.axvline(r["k"], color=col, ls=":", lw=1.2)
    ax.axhline(G1D, color="0.4", lw=1, label=rf"data $G_1^D=\tanh {KAPPA_DATA:g}={G1D:.4f}$")
    ax.set_xlabel("time $t$ (sweeps, continuous-time heat bath)")
    ax.set_ylabel(r"$G_1(t)=\langle s_is_{i+1}\rangle_t$")
    ax.set_title(f"ring of {N_SIM} spins from uniform start; $t=k$ dotted")
    ax.set_ylim(-0.02, 1.0)
    ax.legend(loc="lower right", fontsize=7.5)
    k_c, ks, kap = cv["k_c"], np.asarray(cv["ks"]), np.asarray(cv["kappa"])
    ak.plot(ks, kap, "-", color=plotting.COLORS[0], label=r"$\kappa^*(k)$: $G_1(k;\kappa^*)=G_1^D$ (Bessel)")
    kk = np.array(sorted(d["kappa_star"], key=float), dtype=float)
    ak.plot(kk, [d["kappa_star"][k] for k in sorted(d["kappa_star"], key=float)], "o", color=plotting.COLORS[1],
            label="theory 9.6 points")
    ak.axhline(KAPPA_DATA, color="0.4", lw=1, label=rf"$\kappa_{{\rm data}}={KAPPA_DATA:g}$ (ML)")
    ak.axvspan(0, k_c, color="0.9", label=rf"no fixed point: $k\leq k_c={k_c:.3f}$")
    ak.set_xscale("log")
    ak.set_xlim(0.5, 30)
    ak.set_xticks([0.5, 1, 2, 5, 10, 20], ["0.5", "1", "2", "5", "10", "20"])
    ak.set_ylim(0.5, 1.5)
    ak.set_xlabel("training time $k$ (sweeps)")
    ak.set_ylabel(r"short-run coupling $\kappa^*$")
    ak.set_title(r"$\kappa^*(k)\to\infty$ as $\sup_\kappa G_1(k)\downarrow G_1^D$")
    ak.legend(loc="upper right", fontsize=8)
    return fig
