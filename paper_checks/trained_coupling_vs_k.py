r"""Trained coupling vs the number of sampling steps k: short-run, PCD with ULA, maximum likelihood.

Claim (Agoritsas et al. 2023, arXiv 2301.09428; theory.md 3.3, 3.5, checks A3 and A8): for a
1-D Gaussian EBM :math:`E=\tfrac12jx^2-hx` trained on data of variance c with the
unadjusted Langevin kernel (step :math:`\eta`, noise variance :math:`2\eta`),

* non-persistent short-run training (every chain restarts from :math:`\mathcal N(0,v_0)` and
  runs k steps; Rdm-k) lands on the root :math:`j^*(k)` of
  :math:`v_0r^k+2\eta(1-r^k)/(1-r)=c`, :math:`r=(1-\eta j)^2` (stable branch,
  :func:`solvable.gaussian.short_run_fixed_point`): far from the MLE at small k (negative,
  i.e. no equilibrium law, when :math:`c>v_0+2\eta k`), tending to :math:`j_\infty` as
  :math:`k\to\infty`;
* PCD with ULA lands on :math:`j_{\rm CD}`, :math:`j(1-\eta j/2)=1/c`
  (:func:`solvable.gaussian.persistent_fixed_point` with ``step=eta``) for every k;
  :math:`j_{\rm CD}=j_\infty`;
* neither is the MLE :math:`1/c` (the PCD gap is the ULA discretisation bias).

Run: for each c and each k of a grid, train with ``engine="simulate"`` (short-run and PCD)
as one :func:`solvable.sweep.sweep` (local, or on the Dask cluster the check runs on), starting
at the MLE. The learning rate of each point is set from the local slopes of the model's
k-step variance and mean at the predicted fixed point (a preconditioner: the fixed point of
the flow does not depend on the learning rate, so a wrong prediction would only mis-scale
the step, not move the point). The tail mean of j (last 3/4 of the iterations) carries a
batch-means SE (20 batches).

Parameters: c = 2 and 8, start law N(0, 4), eta = 0.2, i.e. theory.md 9.1's (c = 0.5 and 2, N(0, 1),
eta = 0.05) scaled by 4: the dimensionless problem (eta j, c/v0, eta/c) is the same and every j
is divided by 4. The scaling matters for training only: with one learning rate for (j, h) the
linearised rates of j and h are in the ratio ~c/2 near the PCD fixed point, so at c = 0.5 the
j-rate is capped at ~0.25 by the stability of h (long autocorrelation, unreliable batch means),
and the large fluctuations of h bias j through <x^2> = var + mean^2 by ~1 SE (measured).

Verdict (z-scores, theory.md 8): every point within Z SE of its own curve; the short-run
point at the smallest k more than Z SE from both the MLE and the PCD line; PCD at c = 2,
pooled over k (inverse-variance weights), more than Z SE from the MLE.
"""
from __future__ import annotations

import warnings

import numpy as np

from solvable import gaussian
from solvable.errors import NonNormalizableWarning
from solvable.sweep import sweep

from ._result import P1, Z_MAX, CheckResult, controlled, decide_z, make_result, sub_seed, with_section

CLAIM = ("Trained coupling vs k: short-run ULA training lands on j*(k) (far from the MLE at small k), "
         "PCD-ULA on j(1 - eta j/2) = 1/c for every k, neither on the MLE 1/c")
SOURCE = with_section(P1, "3.3, 3.5 (A3, A8)")
DERIVED = "the short-run coupling j*(k) under ULA and the PCD-ULA fixed point j(1 - eta j/2) = 1/c"

#: ULA step (noise variance 2 * ETA)
ETA = 0.2
#: variance of the short-run start law N(0, VAR0)
VAR0 = 4.0
#: data variances: narrower than the start law (j* > 0 for all k) and wider (j* < 0 for k < 10).
#: (c, VAR0, ETA) = 4 x (0.5 or 2, 1, 0.05) of theory.md 9.1: the same dimensionless problem
#: (eta*j, c/v0, eta/c) with every j divided by 4, and a better-conditioned training flow (see learning_rate)
C_VALUES = (2.0, 8.0)
K_FULL = (1, 2, 5, 10, 20, 50, 100)
K_QUICK = (1, 3, 10, 20)
SCHEMES = ("short-run", "pcd")
#: target relaxation rates per iteration of the linearised flow for j and for h (<= 1: no overshoot)
GAMMA_J, GAMMA_H = 0.5, 1.0
#: fraction of the iterations discarded before the tail average
BURN_IN = 0.25
#: chains, iterations and number of batch means per point: quick, full
SIZES = {True: dict(n_chains=500, n_iter=400, n_batches=20), False: dict(n_chains=2000, n_iter=1000, n_batches=20)}
#: the data variance at which the ULA bias of PCD (j_CD vs 1/c) must be resolved
RESOLVE_PCD_BIAS_AT = 2.0
N_DATA = 2000


def data_set(c, n=N_DATA, seed=0):
    """n Gaussian draws shifted and scaled so that the empirical mean is 0 and the (biased)
    variance is exactly c: the predictions then hold for the nominal c."""
    x = np.random.default_rng(sub_seed(seed, 6101)).standard_normal(n)
    x = (x - x.mean()) / x.std() * np.sqrt(c)
    return x[:, None]


def predictions(c, k):
    """``{"short-run": j*(k), "short-run k+1": j*(k+1), "pcd": j_CD, "mle": 1/c}`` for data of variance c.

    From the library's closed forms (theory.md 3.3, 3.5); the ``k+1`` entry serves the negative control.
    """
    cov = np.array([[float(c)]])
    mean = np.zeros(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonNormalizableWarning)  # j* <= 0 is a valid short-run model
        j_k = gaussian.short_run_fixed_point(mean, cov, int(k), step=ETA, var0=VAR0)[0][0, 0]
        j_k1 = gaussian.short_run_fixed_point(mean, cov, int(k) + 1, step=ETA, var0=VAR0)[0][0, 0]
    j_cd = gaussian.persistent_fixed_point(mean, cov, step=ETA)[0][0, 0]
    j_ml = gaussian.mle(mean, cov)[0][0, 0]
    return {"short-run": float(j_k), "short-run k+1": float(j_k1), "pcd": float(j_cd), "mle": float(j_ml)}


def _response(scheme, j, k):
    """(d variance / d j, d mean / d h) of the model term at coupling j (1-D), from the closed forms.

    Short-run: moments after k ULA steps from N(0, VAR0) (:func:`gaussian.langevin_moments`);
    PCD: the ULA-stationary moments (:func:`gaussian.stationary_moments`). Central differences in j.
    """
    def variance(jj):
        if scheme == "pcd":
            return gaussian.stationary_moments([[jj]], [0.0], step=ETA)[1][0, 0]
        return gaussian.langevin_moments([[jj]], [0.0], k, step=ETA, cov0=[[VAR0]])[1][0, 0]

    dj = 1e-5 * max(1.0, abs(j))
    slope = (variance(j + dj) - variance(j - dj)) / (2.0 * dj)
    if scheme == "pcd":
        gain = 1.0 / j
    else:
        gain = gaussian.langevin_moments([[j]], [1.0], k, step=ETA, cov0=[[VAR0]])[0][0]
    return float(slope), float(gain)


def learning_rate(scheme, j, k):
    r"""Learning rate that relaxes the linearised flow at rate <= GAMMA_J in j and <= GAMMA_H in h.

    The updates are :math:`\Delta j=\frac\gamma2(\langle x^2\rangle_{\hat p}-\langle x^2\rangle_D)` and
    :math:`\Delta h=\gamma(\langle x\rangle_D-\langle x\rangle_{\hat p})` (theory.md 3.1), so the rates
    are :math:`\frac\gamma2|\partial_jv|` and :math:`\gamma\,\partial_h\mu`.
    """
    slope, gain = _response(scheme, j, k)
    return min(2.0 * GAMMA_J / abs(slope), GAMMA_H / abs(gain))


def train_point(point, *, seed):
    """Train one (c, k, scheme) point; the function :func:`measure` sweeps.

    ``point``: ``c``, ``k``, ``scheme``, ``n_chains``, ``n_iter``, ``n_batches``, ``data_seed``.
    Starts at the MLE; short-run chains start from N(0, VAR0), the persistent chains of PCD are
    initialised with the data variance (this only shortens the transient: the PCD fixed point does
    not depend on their start). Returns the tail mean of j with its batch-means SE, the learning
    rate, and a thinned trajectory.
    """
    c, k, scheme = float(point["c"]), int(point["k"]), point["scheme"]
    X = data_set(c, seed=point["data_seed"])
    mean_D = X.mean(axis=0)
    cov_D = np.cov(X, rowvar=False, bias=True).reshape(1, 1)
    J_ml, h_ml = gaussian.mle(mean_D, cov_D)
    lr = learning_rate(scheme, predictions(c, k)[scheme], k)
    res = gaussian.train(X, scheme=scheme, k=k, step=ETA, lr=lr, n_iter=int(point["n_iter"]),
                         n_chains=int(point["n_chains"]), seed=seed, var0=c if scheme == "pcd" else VAR0,
                         J0=J_ml, h0=h_ml, progress=False)
    j_mean, j_se = res.tail_mean(1.0 - BURN_IN, int(point["n_batches"]))["J"]
    traj = res.history["params"]["J"][:, 0, 0]
    return {"c": c, "k": k, "scheme": scheme, "j": float(j_mean[0, 0]), "j_se": float(j_se[0, 0]), "lr": lr,
            "traj": traj[:: max(1, traj.size // 200)].copy()}


def measure(quick=True, seed=0, *, ks=None, jobs=None, client=None, progress=False):
    """Sweep (c, k, scheme) with :func:`solvable.sweep.sweep` and attach the predictions to every point."""
    ks = tuple(ks) if ks is not None else (K_QUICK if quick else K_FULL)
    size = SIZES[bool(quick)]
    grid = {"c": list(C_VALUES), "k": list(ks), "scheme": list(SCHEMES), **{n: [v] for n, v in size.items()},
            "data_seed": [sub_seed(seed, 6100)]}
    points = sweep(train_point, grid, seed=sub_seed(seed, 6102), jobs=jobs, client=client, progress=progress,
                   desc="trained coupling vs k")
    for p in points:
        p["pred"] = predictions(p["c"], p["k"])
    k_curve = np.unique(np.round(np.geomspace(1, max(ks) * 1.5, 120)).astype(int))
    curves = {c: np.array([predictions(c, k)["short-run"] for k in k_curve]) for c in C_VALUES}
    return {"points": points, "ks": ks, "k_curve": k_curve, "curves": curves, **size, "seed": seed}


def pooled(points):
    """Inverse-variance weighted mean of the points' j and its SE (independent runs, one true value)."""
    w = np.array([1.0 / p["j_se"] ** 2 for p in points])
    j = np.array([p["j"] for p in points])
    return float(np.sum(w * j) / np.sum(w)), float(1.0 / np.sqrt(np.sum(w)))


def evaluate(m, *, compare_to=None, z_max=Z_MAX):
    """Verdict. ``compare_to`` maps each scheme to the prediction its points must match
    (default: its own curve); a wrong map (short-run vs ``"pcd"``, or vs ``"short-run k+1"``)
    is the negative control and must FAIL.

    Returns ``(passed, info)`` with the z-scores of every point, the mismatches, and the worst |z|.
    """
    compare_to = {"short-run": "short-run", "pcd": "pcd", **(compare_to or {})}
    names = set(m["points"][0]["pred"])
    bad = {s: t for s, t in compare_to.items() if s not in SCHEMES or t not in names}
    if bad:
        raise ValueError(f"compare_to must map schemes {SCHEMES} to predictions {sorted(names)}, got {bad}")
    z_match = []
    rows = []
    for p in m["points"]:
        z = (p["j"] - p["pred"][compare_to[p["scheme"]]]) / p["j_se"]
        z_match.append(z)
        rows.append({"c": p["c"], "k": p["k"], "scheme": p["scheme"], "j": p["j"], "j_se": p["j_se"],
                     "pred": p["pred"][compare_to[p["scheme"]]], "z": float(z),
                     "z_mle": float((p["j"] - p["pred"]["mle"]) / p["j_se"])})
    mismatch = {}
    k_min = min(p["k"] for p in m["points"])
    for p in m["points"]:
        if p["scheme"] == "short-run" and p["k"] == k_min:
            mismatch[f"short-run k={k_min} c={p['c']:g} vs MLE"] = (p["j"] - p["pred"]["mle"]) / p["j_se"]
            mismatch[f"short-run k={k_min} c={p['c']:g} vs PCD"] = (p["j"] - p["pred"]["pcd"]) / p["j_se"]
    pcd = [p for p in m["points"] if p["scheme"] == "pcd" and np.isclose(p["c"], RESOLVE_PCD_BIAS_AT)]
    if pcd:
        jp, sp = pooled(pcd)
        mismatch[f"PCD pooled c={RESOLVE_PCD_BIAS_AT:g} vs MLE"] = (jp - pcd[0]["pred"]["mle"]) / sp
    passed, worst = decide_z(match=z_match, mismatch=list(mismatch.values()), z_max=z_max)
    return passed, {"rows": rows, "mismatch": {k: float(v) for k, v in mismatch.items()}, "worst": worst,
                    "compare_to": compare_to}


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    """Run the check (quick: k in K_QUICK, 500 chains, 400 iterations per point, ~8 s on one core;
    full: K_FULL, 2000 chains, 1000 iterations, ~6 min on two loaded cores with ``measure(jobs=2)``)."""
    return controlled(result_from, measure(quick, seed))


def result_from(m, *, compare_to=None) -> CheckResult:
    """The CheckResult of the numbers measured by :func:`measure`."""
    passed, info = evaluate(m, compare_to=compare_to)
    pred0 = {c: predictions(c, 1) for c in C_VALUES}
    worst_row = max(info["rows"], key=lambda r: abs(r["z"]))
    min_mis = min(info["mismatch"].items(), key=lambda kv: abs(kv[1]))
    prediction = "; ".join(
        f"c={c:g}: short-run j*(k) = " + ", ".join(
            f"{predictions(c, k)['short-run']:.4f} (k={k})" for k in m["ks"])
        + f"; PCD-ULA j_CD = {pred0[c]['pcd']:.5f}; MLE 1/c = {pred0[c]['mle']:.5f}"
        for c in C_VALUES)
    measurement = (f"{len(info['rows'])} trained points, worst |z| vs own curve {abs(worst_row['z']):.2f} "
                   f"({worst_row['scheme']}, c={worst_row['c']:g}, k={worst_row['k']}); smallest resolved "
                   f"mismatch |z| = {abs(min_mis[1]):.1f} ({min_mis[0]})")
    return make_result(
        __name__,
        prediction=prediction,
        measurement=measurement,
        passed=passed,
        z=info["worst"],
        tolerance=(f"|z| <= {Z_MAX:g} for every point vs its own curve; |z| > {Z_MAX:g} for short-run at the "
                   f"smallest k vs MLE and PCD, and for PCD (pooled over k) at c={RESOLVE_PCD_BIAS_AT:g} vs MLE "
                   f"(tail means of the last {1 - BURN_IN:.0%}, {m['n_batches']}-batch-means SE)"),
        details={"rows": info["rows"], "mismatch": info["mismatch"], "compare_to": info["compare_to"]},
        data={"points": [{k: p[k] for k in ("c", "k", "scheme", "j", "j_se", "traj")} for p in m["points"]],
              "k_curve": m["k_curve"], "curves": {str(c): v for c, v in m["curves"].items()},
              "pred": {str(c): pred0[c] for c in C_VALUES}, "z": [r["z"] for r in info["rows"]]},
        params={"eta": ETA, "var0": VAR0, "c": C_VALUES, "k": m["ks"], "n_chains": m["n_chains"],
                "n_iter": m["n_iter"], "n_data": N_DATA, "start": "MLE", "gamma_j": GAMMA_J, "gamma_h": GAMMA_H,
                "tail": f"last {1 - BURN_IN:.0%}, {m['n_batches']} batches"},
    )


def draw(result):
    """Top: trained j vs k (log) per data variance c -- short-run curve j*(k), PCD-ULA line, MLE,
    simulated tail means (1 SE bars), and an inset resolving the PCD line from the MLE.
    Bottom: z-score of each point against its own curve."""
    from matplotlib.ticker import FixedLocator, NullLocator

    from solvable import plotting

    d = result.data
    cs = [float(c) for c in d["curves"]]
    fig, axes = plotting.subplots(2, len(cs), width=10.4, height=6.4, sharex=True,
                                  gridspec_kw={"height_ratios": [2.5, 1]})
    k_curve = np.asarray(d["k_curve"])
    z = np.asarray(d["z"])
    pts = d["points"]
    col = {"short-run": plotting.COLORS[0], "pcd": plotting.COLORS[1]}
    mk = {"short-run": "o", "pcd": "s"}
    name = {"short-run": "short-run", "pcd": "PCD"}
    shift = {"short-run": 1.0, "pcd": 1.09}
    ticks = [k for k in (1, 2, 5, 10, 20, 50, 100, 200, 500) if k <= k_curve.max()]
    for a, c in enumerate(cs):
        ax, az = axes[0, a], axes[1, a]
        pred = d["pred"][str(c)]
        curve = np.asarray(d["curves"][str(c)])
        sel = {s: [(i, p) for i, p in enumerate(pts) if p["scheme"] == s and np.isclose(p["c"], c)] for s in SCHEMES}
        gap = abs(pred["pcd"] - pred["mle"])
        ins = ax.inset_axes([0.42, 0.3, 0.55, 0.3] if curve[0] > pred["pcd"] else [0.42, 0.1, 0.55, 0.3])
        for target in (ax, ins):
            target.plot(k_curve, curve, color=col["short-run"], label=r"short-run $j^*(k)$ (theory 3.3)")
            target.axhline(pred["pcd"], color=col["pcd"], lw=1.6,
                           label=r"PCD-ULA $j_{\rm CD}$: $j(1-\eta j/2)=1/c$ (3.5)")
            target.axhline(pred["mle"], color="k", ls="--", lw=1.1, label=r"MLE $j=1/c$")
            for s in SCHEMES:
                ks = np.array([p["k"] for _, p in sel[s]]) * shift[s]
                target.errorbar(ks, [p["j"] for _, p in sel[s]], yerr=[p["j_se"] for _, p in sel[s]], fmt=mk[s],
                                color=col[s], mfc="white", mew=1.4, ms=6 if target is ax else 4.5, zorder=3,
                                label=f"{name[s]}, trained (tail mean $\\pm$1 SE)")
        lo = min(float(np.min(curve)), 0.0)
        if lo < 0:
            ax.axhspan(lo * 1.15, 0.0, color="0.93", zorder=0)
            ax.text(0.04, 0.04, r"$j\leq0$: no equilibrium law", transform=ax.transAxes, fontsize=8.5, color="0.35")
        ins.set_xscale("log")
        ins.set_xlim(0.8, k_curve.max() * 1.1)
        ins.set_ylim(min(pred["pcd"], pred["mle"]) - 2.0 * gap, max(pred["pcd"], pred["mle"]) + 2.0 * gap)
        ins.xaxis.set_major_locator(FixedLocator(ticks))
        ins.xaxis.set_minor_locator(NullLocator())
        ins.set_xticklabels([str(t) for t in ticks])
        ins.tick_params(labelsize=7)
        ins.set_title("zoom: PCD-ULA vs MLE", fontsize=8)
        ax.set_xscale("log")
        ax.set_title(rf"data variance $c={c:g}$ (start $\mathcal{{N}}(0,{VAR0:g})$, ULA step $\eta={ETA:g}$)")
        ax.set_ylabel(r"trained coupling $j$")
        if a == 0:
            ax.legend(loc="upper right", fontsize=8)
        for s in SCHEMES:
            az.plot(np.array([p["k"] for _, p in sel[s]]) * shift[s], z[[i for i, _ in sel[s]]], mk[s], color=col[s],
                    mfc="white", mew=1.4, ms=6)
        az.axhspan(-Z_MAX, Z_MAX, color="0.92", zorder=0, label=rf"$|z|\leq{Z_MAX:g}$ (PASS)")
        az.axhline(0, color="0.4", lw=0.8)
        zmax = max(Z_MAX + 1, float(np.max(np.abs(z))) * 1.15)
        az.set_ylim(-zmax, zmax)
        az.set_xlabel(r"ULA steps per parameter update $k$")
        az.set_ylabel(r"$z$ vs own curve")
        az.legend(loc="upper right", fontsize=8)
        az.xaxis.set_major_locator(FixedLocator(ticks))
        az.xaxis.set_minor_locator(NullLocator())
        az.set_xticklabels([str(t) for t in ticks])
        az.set_xlim(0.8, k_curve.max() * 1.1)
    return fig
