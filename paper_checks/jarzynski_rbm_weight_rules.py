r"""Weight rules for Gibbs kernels on an RBM: the two valid orderings are exact, the biased one is not.

Claim (Neal 2001; Carbone, arXiv 2506.07843, the RBM part; theory.md 6.2 and 9.7 "RBM Gibbs
rules"): for a kernel :math:`M_\ell` that leaves :math:`p_{\theta_\ell}` invariant (here one
block-Gibbs sweep :math:`v\to h\to v` of the RBM, acting on the visible chain), walkers carried
along a pre-set path :math:`\theta_0\to\theta_L` with

* "move, then reweight": :math:`v\sim M_\ell(v,\cdot)`, then :math:`A \mathrel{+}= F_\ell(v)-F_{\ell+1}(v)`, or
* "reweight, then move": :math:`A \mathrel{+}= F_\ell(v)-F_{\ell+1}(v)`, then :math:`v\sim M_{\ell+1}(v,\cdot)`,

(:math:`F` the free energy of theory.md 7) give :math:`\log\frac1N\sum e^A\to\log Z_L/Z_0` and
self-normalised averages :math:`\to\mathbb E_{\theta_L}`, while the **biased** ordering (move
with :math:`M_{\ell+1}`, then reweight at the moved point) does not.

Run: theory.md 9.7, :math:`n_v=6`, :math:`n_h=3`, linear path from a random
:math:`\theta_A` (:math:`W` scale 1, biases 0.5, ``default_rng(20)``) to :math:`\theta_B`
(:math:`W` scale 3, ``default_rng(21)``) in 50 steps; walkers start from exact draws of
:math:`p_{\theta_A}` (enumeration); the move is the public :func:`solvable.rbm.sample` (one
sweep). References by enumeration: :math:`\Delta\log Z` (:func:`solvable.rbm.log_partition_exact`;
9.7 printed 7.3984 for another draw of the same recipe) and :math:`\mathbb E_{\theta_B}[v]`
(:func:`solvable.rbm.visible_law`). SEs: the
delta-method SE of :math:`\log\hat Z` (theory.md 8) and, for the visible means, the SE of a weighted
proportion under the exact law, :math:`[\mathbb E v_i(1-\mathbb E v_i)/\mathrm{ESS}]^{1/2}`.
Verdict: the valid orderings within ``Z_MAX`` SE in :math:`\Delta\log Z` and all six
:math:`\mathbb E[v_i]`; the biased ordering more than ``3 Z_MAX`` SE off in :math:`\Delta\log Z`.
"""
from __future__ import annotations

import numpy as np

from solvable import jarzynski as JZ
from solvable import rbm

from ._result import NEAL2001, Z_MAX, CheckResult, controlled, decide_z, make_result, with_section

CLAIM = ("RBM block-Gibbs Jarzynski weights (n_v = 6, n_h = 3, theory.md 9.7): move-then-reweight and "
         "reweight-then-move are exact for Delta log Z and E[v]; moving with the new kernel first is > 3 Z_MAX SE off")
SOURCE = with_section(NEAL2001, "6.2, 9.7 'RBM Gibbs rules'; RBM part of arXiv 2506.07843")
DERIVED = "the test path and its enumerated references (theory.md 9.7)"

RULES = (("move-reweight", False), ("reweight-move", False), ("biased-new-kernel", True))
N_V, N_H, N_STEPS = 6, 3, 50
FAIL_FACTOR = 3.0


def random_rbm(nv, nh, seed, w=1.0, bias=0.5):
    """``W ~ N(0, w^2)`` (nv, nh), ``a ~ N(0, bias^2)`` (nv), ``b ~ N(0, bias^2)`` (nh) from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return rng.normal(0, w, (nv, nh)), rng.normal(0, bias, nv), rng.normal(0, bias, nh)


def path(n_steps=N_STEPS):
    """theory.md 9.7: linear path theta_A (seed 20, W scale 1) -> theta_B (seed 21, W scale 3)."""
    WA, aA, bA = random_rbm(N_V, N_H, 20, w=1.0)
    WB, aB, bB = random_rbm(N_V, N_H, 21, w=3.0)
    return [{"W": (1 - t) * WA + t * WB, "a": (1 - t) * aA + t * aB, "b": (1 - t) * bA + t * bB}
            for t in np.linspace(0.0, 1.0, n_steps + 1)]


def _int_seed(s):
    return int(np.random.SeedSequence(tuple(int(v) for v in np.atleast_1d(s))).generate_state(1)[0])


def measure(quick=True, seed=0):
    """Anneal the same exact start population with each rule; z of Delta log Z and E[v] against enumeration."""
    n = 20_000 if quick else 200_000
    sched = path()
    p0, p1 = sched[0], sched[-1]
    S, prob = rbm.visible_law(p0["W"], p0["a"], p0["b"])
    x0 = S[np.random.default_rng(np.random.SeedSequence((int(seed), 22))).choice(len(prob), size=n, p=prob)]
    d_exact = (rbm.log_partition_exact(p1["W"], p1["a"], p1["b"])
               - rbm.log_partition_exact(p0["W"], p0["a"], p0["b"]))
    lz0 = rbm.log_partition_exact(p0["W"], p0["a"], p0["b"])
    exact_path = np.array([rbm.log_partition_exact(p["W"], p["a"], p["b"]) - lz0 for p in sched])
    S1, prob1 = rbm.visible_law(p1["W"], p1["a"], p1["b"])
    ev_exact = prob1 @ S1

    def energy(p, v):
        return rbm.free_energy(v, p["W"], p["a"], p["b"])

    def move(p, v, s):
        return rbm.sample(p["W"], p["a"], p["b"], 1, v.shape[0], v0=v, seed=_int_seed(s))

    rows = []
    for rule, biased in RULES:
        res = JZ.anneal(sched, x0, energy=energy, move=move, rule=rule, seed=(int(seed), 24))
        m, _ = JZ.weighted_mean_se(res.x, res.log_w)
        # SE of a weighted proportion under the exact law, sqrt(p(1-p)/ESS) (a score test: finite even
        # when every walker agrees on a unit, where the sample-based SE is 0)
        se = np.sqrt(ev_exact * (1.0 - ev_exact) / float(JZ.ess(res.log_w)))
        z_dlogz = float((res.log_z[-1] - d_exact) / res.log_z_stderr)
        rows.append({"rule": rule, "biased": biased, "dlogz": float(res.log_z[-1]),
                     "dlogz_se": float(res.log_z_stderr), "z_dlogz": z_dlogz,
                     "ev": m, "ev_se": se, "z_ev": (m - ev_exact) / se, "ess_fraction": float(res.ess[-1] / n),
                     "log_z_path": np.asarray(res.log_z, dtype=float)})
    # unweighted walkers of the first valid rule (a reference, not a verdict)
    return {"rows": rows, "d_exact": float(d_exact), "ev_exact": ev_exact, "n": n, "exact_path": exact_path}


def evaluate(m, *, swap=False, z_max=Z_MAX):
    """Valid rules: |z| <= z_max in Delta log Z and every E[v_i]; biased rule: |z(Delta log Z)| > 3 z_max.
    ``swap=True`` (the broken claim: the biased rule called exact, the valid ones biased) must FAIL."""
    match, mismatch = [], []
    for r in m["rows"]:
        biased = r["biased"] != swap
        if biased:
            mismatch.append(r["z_dlogz"] / FAIL_FACTOR)
        else:
            match.extend([r["z_dlogz"], *np.ravel(r["z_ev"])])
    return decide_z(match=match, mismatch=mismatch, z_max=z_max)


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    """Quick: 2 x 10^4 walkers; full: 2 x 10^5 (theory.md 9.7)."""
    return controlled(result_from, measure(quick, seed))


def result_from(m, *, swap=False) -> CheckResult:
    """The CheckResult of :func:`measure`."""
    ok, worst = evaluate(m, swap=swap)
    meas = "; ".join(
        f"{r['rule']}: dlogZ {r['dlogz']:.4f} +- {r['dlogz_se']:.4f} (z {r['z_dlogz']:+.1f}), max |z| E[v] "
        f"{np.max(np.abs(r['z_ev'])):.1f}, ESS/N {r['ess_fraction']:.2f}" for r in m["rows"])
    return make_result(
        __name__,
        prediction=(f"Delta log Z = {m['d_exact']:.4f} (enumeration; theory.md 9.7 printed 7.3984 for another draw "
                    "of the same recipe) and E[v] by enumeration"),
        measurement=meas,
        passed=ok,
        z=worst,
        tolerance=(f"valid orderings |z| <= {Z_MAX:g} (Delta log Z and 6 means); biased ordering |z| > "
                   f"{FAIL_FACTOR:g} x {Z_MAX:g}; N = {m['n']} walkers"),
        details={"rows": [{k: v for k, v in r.items() if k != "log_z_path"} for r in m["rows"]],
                 "d_exact": m["d_exact"], "ev_exact": m["ev_exact"]},
        data={"rows": [{k: r[k] for k in ("rule", "biased", "dlogz", "dlogz_se", "z_ev", "log_z_path")}
                       for r in m["rows"]], "d_exact": m["d_exact"], "n": m["n"], "exact_path": m["exact_path"]},
        params={"n_v": N_V, "n_h": N_H, "n_steps": N_STEPS, "walkers": m["n"], "move": "one block-Gibbs sweep"},
    )


def draw(result):
    """Left: running log Z-hat minus the enumerated log Z along the path, per rule. Right: z-scores of
    Delta log Z and of the six visible means per rule, with the |z| <= Z_MAX band."""
    from solvable import plotting

    d = result.data
    fig, (ax, ay) = plotting.subplots(1, 2, width=11.0, height=3.9)
    for i, r in enumerate(d["rows"]):
        c = plotting.COLORS[i]
        lz = np.asarray(r["log_z_path"]) - np.asarray(d["exact_path"])
        ax.plot(np.arange(lz.size), lz, color=c, lw=1.2, ls="--" if r["biased"] else "-",
                label=f"{r['rule']}{' (biased)' if r['biased'] else ''}: end {lz[-1]:+.4f} $\\pm$ {r['dlogz_se']:.4f}")
        zs = np.r_[(r["dlogz"] - d["d_exact"]) / r["dlogz_se"], np.asarray(r["z_ev"])]
        ay.plot(np.arange(zs.size) + 0.12 * (i - 1), zs, "o", color=c, ms=5, label=r["rule"])
    ax.axhline(0.0, color="k", lw=0.8, label=f"enumeration (end: {d['d_exact']:.4f})")
    ax.set_xlabel(r"path step $\ell$ ($\theta_A\to\theta_B$)")
    ax.set_ylabel(r"$\log\hat Z_\ell/Z_0$ $-$ exact")
    ax.set_title(f"RBM 6x3, one Gibbs sweep per step, N = {d['n']}")
    ax.legend(fontsize=8)
    ay.axhspan(-Z_MAX, Z_MAX, color="0.9", zorder=0)
    ay.set_yscale("symlog", linthresh=5)
    ay.set_xticks(range(7), [r"$\Delta\log Z$"] + [f"E[v{i}]" for i in range(6)], rotation=30)
    ay.set_xlabel("quantity")
    ay.set_ylabel("z vs enumeration")
    ay.set_title(f"grey: |z| <= {Z_MAX:g}")
    ay.legend(fontsize=8)
    return fig
