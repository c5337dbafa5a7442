r"""AIS estimates of the RBM log-partition function agree with exact enumeration within their SE.

Claim (theory.md 7 and 6.2; Neal 2001, as used for RBMs by Salakhutdinov & Murray 2008 and in
the Jarzynski view of Carbone, arXiv 2506.07843): annealed importance sampling from the
:math:`W=0` base (exact samples, :math:`\log Z_0=\sum\mathrm{sp}(a)+\sum\mathrm{sp}(b)`) along
:math:`W_\beta=\beta W`, one block-Gibbs sweep per temperature and the move-then-reweight
increment :math:`F_{\beta_l}(v)-F_{\beta_{l+1}}(v)`, gives :math:`\log\hat Z` within its
delta-method SE :math:`\sqrt{(N/\mathrm{ESS}-1)/N}` of :func:`solvable.rbm.log_partition_exact`.

Run: a few small random RBMs (:math:`n_v\times n_h` up to 12 x 8, weight scales 0.5-1.5,
the 9.7 example 8 x 5 among them), :func:`solvable.rbm.ais_log_partition` with 200
temperatures. Verdict: every :math:`|z|\le Z`; as a resolution control the AIS estimate must
differ from the base :math:`\log Z_0` by more than Z SE (the annealing did something).
"""
from __future__ import annotations

import numpy as np

from solvable import rbm

from ._result import NEAL2001, Z_MAX, CheckResult, controlled, decide_z, make_result, sub_seed, with_section

CLAIM = "AIS log Z of small RBMs (W = 0 base, beta path, block Gibbs) within z SE of exact enumeration"
SOURCE = with_section(NEAL2001, "7, 6.2, 9.7 (AIS); for RBMs: Salakhutdinov & Murray 2008")
DERIVED = ""

#: (n_visible, n_hidden, weight scale, bias scale, seed of the parameters)
MODELS = ((8, 5, 1.0, 0.5, 0), (6, 8, 1.5, 0.5, 1), (10, 4, 0.5, 1.0, 2), (12, 8, 1.0, 0.5, 3))


def random_rbm(nv, nh, w, bias, seed):
    """W ~ w N(0, 1), visible and hidden biases ~ bias N(0, 1), from ``default_rng(seed)`` (as tests/test_rbm.py)."""
    rng = np.random.default_rng(seed)
    return rng.normal(0, w, (nv, nh)), rng.normal(0, bias, nv), rng.normal(0, bias, nh)


def measure(quick=True, seed=0):
    """AIS and exact log Z of each model of :data:`MODELS`."""
    n_chains = 2000 if quick else 10000
    n_betas = 200 if quick else 1000
    rows = []
    for i, (nv, nh, w, bias, ps) in enumerate(MODELS):
        W, a, b = random_rbm(nv, nh, w, bias, ps)
        exact = rbm.log_partition_exact(W, a, b)
        est, se = rbm.ais_log_partition(W, a, b, n_chains=n_chains, n_betas=n_betas, seed=sub_seed(seed, 6301, i))
        base = float(np.sum(np.logaddexp(0, a)) + np.sum(np.logaddexp(0, b)))
        rows.append({"shape": (nv, nh), "w": w, "bias": bias, "param_seed": ps, "exact": exact, "ais": est, "se": se,
                     "base": base})
    return {"rows": rows, "n_chains": n_chains, "n_betas": n_betas}


def evaluate(m, shift=0, z_max=Z_MAX):
    """z of each AIS estimate against the exact log Z (must hold) and against the base log Z0 (must be resolved).

    ``shift=s`` is a deliberately broken claim: each estimate is compared with the exact value of the
    model ``s`` places further on in the list."""
    rows = m["rows"]
    n = len(rows)
    z = np.array([(r["ais"] - rows[(i + shift) % n]["exact"]) / r["se"] for i, r in enumerate(rows)])
    z_base = np.array([(r["ais"] - r["base"]) / r["se"] for r in rows])
    passed, worst = decide_z(match=z, mismatch=z_base, z_max=z_max)
    return passed, z, z_base, worst


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    """Quick: 2000 chains, 200 temperatures; full: 10000 chains, 1000 temperatures."""
    return controlled(result_from, measure(quick, seed))


def result_from(m, shift=0) -> CheckResult:
    """The CheckResult of the numbers measured by :func:`measure`."""
    passed, z, z_base, worst = evaluate(m, shift=shift)
    meas = "; ".join(f"{r['shape'][0]}x{r['shape'][1]}: {r['ais']:.4f} +- {r['se']:.4f} vs {r['exact']:.4f} "
                     f"(z {zi:+.2f})" for r, zi in zip(m["rows"], z))
    return make_result(
        __name__,
        prediction="log Z by enumeration of the smaller layer (rbm.log_partition_exact): "
                   + ", ".join(f"{r['exact']:.4f}" for r in m["rows"]),
        measurement=meas,
        passed=passed,
        z=worst,
        tolerance=(f"|z| <= {Z_MAX:g} vs exact (delta-method SE); |z| > {Z_MAX:g} vs the W = 0 base log Z0 "
                   "(resolution control)"),
        details={"z": z, "z_vs_base": z_base,
                 "rows": [{k: r[k] for k in ("shape", "w", "bias", "exact", "ais", "se", "base")} for r in m["rows"]]},
        data={"rows": [{k: r[k] for k in ("shape", "w", "exact", "ais", "se", "base")} for r in m["rows"]]},
        params={"models": MODELS, "n_chains": m["n_chains"], "n_betas": m["n_betas"]},
    )


def draw(result):
    """Left: AIS estimate vs exact log Z with the diagonal (crosses: base log Z0); right: AIS - exact with 1 SE bars."""
    from solvable import plotting

    rows = result.data["rows"]
    fig, (ax, ay) = plotting.subplots(1, 2, width=10.4, height=3.9)
    ex = np.array([r["exact"] for r in rows])
    est = np.array([r["ais"] for r in rows])
    se = np.array([r["se"] for r in rows])
    base = np.array([r["base"] for r in rows])
    labels = [f"{r['shape'][0]}x{r['shape'][1]}, w={r['w']:g}" for r in rows]
    lo, hi = min(ex.min(), base.min()) - 1, ex.max() + 1
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="AIS = exact")
    for i, lab in enumerate(labels):
        col = plotting.COLORS[i % len(plotting.COLORS)]
        ax.errorbar([ex[i]], [est[i]], yerr=[se[i]], fmt="o", color=col, ms=6, label=lab)
        ax.plot([ex[i]], [base[i]], "x", color=col, ms=7)
    ax.plot([], [], "kx", label=r"base $\log Z_0$ ($W=0$)")
    ax.set_xlabel(r"exact $\log Z$ (enumeration)")
    ax.set_ylabel(r"AIS $\log\hat Z$")
    ax.set_title(f"AIS vs exact log Z ({result.params['n_betas']} temperatures)")
    ax.legend(loc="upper left", fontsize=8)
    z = np.asarray(result.details["z"], dtype=float)
    x = np.arange(len(z))
    ay.fill_between([-0.5, len(z) - 0.5], -Z_MAX * np.max(se), Z_MAX * np.max(se), color="0.92", zorder=0,
                    label=rf"$\pm{Z_MAX:g}$ SE (largest SE)")
    ay.axhline(0, color="k", ls="--", lw=1, label="exact")
    for i in range(len(z)):
        col = plotting.COLORS[i % len(plotting.COLORS)]
        ay.errorbar([x[i]], [est[i] - ex[i]], yerr=[se[i]], fmt="o", color=col, ms=6)
        ay.annotate(f"z = {z[i]:+.2f}", (x[i], est[i] - ex[i] + se[i]), textcoords="offset points", xytext=(0, 5),
                    ha="center", fontsize=8)
    ay.set_xticks(x, [lab.split(",")[0] for lab in labels])
    ay.set_xlim(-0.5, len(z) - 0.5)
    ay.set_ylim(-1.3 * Z_MAX * np.max(se), 1.3 * Z_MAX * np.max(se))
    ay.set_xlabel(r"RBM ($n_v\times n_h$)")
    ay.set_ylabel(r"$\log\hat Z_{\rm AIS}-\log Z_{\rm exact}$ (bars: 1 SE)")
    ay.set_title(rf"AIS error ({result.params['n_chains']} chains)")
    ay.legend(loc="lower right", fontsize=8)
    return fig
