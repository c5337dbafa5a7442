r"""CD-1 with random-site heat bath is maximum pseudolikelihood; CD-k is biased under misspecification.

Claims (Gagnon and Lajoie 2022, arXiv 2202.12176, on CD versus maximum likelihood;
CD-1 = pseudolikelihood: Hyvarinen 2006; theory.md 2.4, 5.2, 9.5, checks C1, C2):

* **C1**: one heat-bath update at a uniformly random site, started at the data, has the
  expected update :math:`\langle\phi\rangle_D-\langle\phi\rangle_{p_DT}=\frac1n\nabla_\theta\mathrm{PL}`
  with :math:`\mathrm{PL}=\langle\sum_i\log p_\theta(s_i|s_{\setminus i})\rangle_D`
  (:func:`solvable.ising.pseudolikelihood`), so the CD-1 fixed point is the max-PL point
  (1e-8, both well-specified and misspecified data). A Monte Carlo version: chains started
  at data samples and moved by one update give the same expected update (z-scores
  of the paired per-chain differences).
* **C2**: well-specified data (:math:`p_D=p_{\theta^\dagger}`) make :math:`\theta^\dagger`
  the CD-k fixed point for every k (1e-8); misspecified data (a three-body term) make
  CD-1 differ from ML by 0.0424 (theory.md 9.5, printed digits; > 1e-2) and CD-k
  approach ML monotonically as k grows (random scan) -- CD-5 sweeps at 3.9e-6.

Fixed points: :func:`solvable.ising.fit` (Newton on the exact expected update;
``scheme="cd"``, ``"pseudolikelihood"``, ``"mle"``) on the 9.5 recipe (n = 4,
``default_rng(1)``, :math:`J_{ij},h_i\sim\mathcal N(0,0.5^2)`; misspecified
:math:`p_D\propto e^{-E+0.8s_0s_1s_2}`).
"""
from __future__ import annotations

import numpy as np

from solvable import ising

from ._spin_models import THREE_BODY, pack, small_ising
from ._result import (
    HYVARINEN2006, Z_MAX, CheckResult, controlled, decide_close, decide_z, make_result, mean_se, sub_seed,
    with_section,
)

CLAIM = ("CD-1 (random-site heat bath) = max pseudolikelihood, update = (1/n) grad PL; well-specified CD-k = "
         "truth; misspecified CD-1 != ML (0.0424), CD-k -> ML as k grows")
SOURCE = with_section(HYVARINEN2006, "2.4, 5.2, 9.5 (C1, C2); CD vs ML discussed by arXiv:2202.12176")
DERIVED = ("the exact-enumeration route (expected CD-1 update = (1/n) grad PL to rounding), the CD-1-to-ML distance "
           "0.0424 of this data set and the CD-k -> ML trend: computed here")

N = 4
#: CD-k of the convergence study: random-scan single-site updates, and sweeps
K_RANDOM = (1, 2, 3, 5, 10, 20, 50)
K_SWEEP = (1, 2, 5)
#: well-specified CD-k fixed points that must equal the truth
K_WELL = {"random-heat-bath": (1, 2, 5), "sequential-heat-bath": (1, 2)}
FIT_MATCH = 1e-8
#: theory.md 9.5 printed values
CD1_VS_ML = "0.0424"
CD5_SWEEPS_VS_ML = "3.9e-6"
MISMATCH_MIN = 1e-2
#: the random-theta test of the update identity (n = 5): several parameter draws
N_UPDATE = 5
N_THETA = 3


def cd1_update(p_data, J, h):
    r"""Exact expected CD-1 update :math:`\langle\phi\rangle_D-\langle\phi\rangle_{p_DT_{\rm rs}}` (one random-site
    heat-bath step from the data), packed like :func:`~paper_checks._spin_models.pack`."""
    return ising.law_features(p_data) - ising.law_features(ising.evolve(p_data, J, h, 1, dynamics="random-heat-bath"))


def pl_gradient_over_n(p_data, J, h):
    r""":math:`\frac1n\nabla_\theta\mathrm{PL}` packed like :func:`~paper_checks._spin_models.pack` (theory.md 2.4)."""
    _, gJ, gh = ising.pseudolikelihood(p_data, J, h)
    return pack(gJ, gh) / h.size


def _mc_update(p_data, J, h, n_chains, seed):
    """Chains started at exact data draws, one random-site heat-bath update: per-chain phi(s0) - phi(s1),
    mean and SE (paired differences: only one spin moves, so the SE is small)."""
    n = h.size
    rng = np.random.default_rng(sub_seed(seed, 4301))
    idx = rng.choice(p_data.size, size=n_chains, p=p_data)
    s0 = (((idx[:, None] >> np.arange(n)) & 1) * 2 - 1).astype(np.int8)
    s1 = ising.simulate(J, h, 1, n_chains, dynamics="random-heat-bath", s0=s0, seed=sub_seed(seed, 4302))
    diff = ising.features(s0) - ising.features(s1)
    return mean_se(diff)


def measure(quick=True, seed=0):
    """All fixed points and update identities (deterministic), plus the Monte Carlo update test."""
    n_chains = 200_000 if quick else 2_000_000
    J, h, p_well, p_mis = small_ising()
    truth = pack(J, h)
    out = {"truth": truth, "n_chains": n_chains}
    for name, p in (("well", p_well), ("mis", p_mis)):
        fits = {"ml": pack(*ising.fit(p, scheme="mle")), "pl": pack(*ising.fit(p, scheme="pseudolikelihood"))}
        fits["cd_random"] = {k: pack(*ising.fit(p, scheme="cd", k=k, dynamics="random-heat-bath"))
                             for k in (K_RANDOM if name == "mis" else K_WELL["random-heat-bath"])}
        fits["cd_sweep"] = {k: pack(*ising.fit(p, scheme="cd", k=k, dynamics="sequential-heat-bath"))
                            for k in (K_SWEEP if name == "mis" else K_WELL["sequential-heat-bath"])}
        out[name] = fits
    # update identity at random parameters (n = 5) and random full-support data laws
    rng = np.random.default_rng(sub_seed(seed, 4303))
    ident = []
    for i in range(N_THETA):
        A = rng.normal(0, 0.7, (N_UPDATE, N_UPDATE))
        Jr = np.triu(A, 1)
        Jr = Jr + Jr.T
        hr = rng.normal(0, 0.5, N_UPDATE)
        pr = rng.dirichlet(np.ones(2**N_UPDATE))
        exact = cd1_update(pr, Jr, hr)
        pl = pl_gradient_over_n(pr, Jr, hr)
        entry = {"exact": exact, "pl": pl}
        if i == 0:
            entry["mc"], entry["mc_se"] = _mc_update(pr, Jr, hr, n_chains, seed)
        ident.append(entry)
    out["identity"] = ident
    # at the max-PL point of the misspecified data the CD-1 update vanishes, seen by chains too
    Jp, hp = ising.fit(p_mis, scheme="pseudolikelihood")
    mc, se = _mc_update(p_mis, Jp, hp, n_chains, sub_seed(seed, 1))
    out["at_pl"] = {"mc": mc, "mc_se": se, "exact": cd1_update(p_mis, Jp, hp)}
    return out


def _dist(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def evaluate(m, *, claim_cd1_is_ml=False, z_max=Z_MAX):
    """Verdict of C1 and C2. ``claim_cd1_is_ml=True`` replaces "CD-1 = max-PL" by the wrong claim
    "CD-1 = ML" on the misspecified data (must FAIL). Returns ``(passed, parts)``."""
    parts = {}
    target = "ml" if claim_cd1_is_ml else "pl"
    err_pl = {name: _dist(m[name]["cd_random"][1], m[name][target]) for name in ("well", "mis")}
    parts["cd1_is_max_pl"] = {"passed": max(err_pl.values()) <= FIT_MATCH, "error": err_pl, "target": target}
    ok_id, err_id = decide_close(np.concatenate([e["exact"] for e in m["identity"]]),
                                 np.concatenate([e["pl"] for e in m["identity"]]), rtol=FIT_MATCH)
    parts["update_is_grad_pl"] = {"passed": ok_id, "error": err_id}
    e0 = m["identity"][0]
    ok_mc, z_mc = decide_z(match=(e0["mc"] - e0["pl"]) / e0["mc_se"], z_max=z_max)
    ap = m["at_pl"]
    ok_pl0, z_pl0 = decide_z(match=(ap["mc"] - 0.0) / ap["mc_se"], z_max=z_max)
    parts["mc_update"] = {"passed": ok_mc and ok_pl0, "z_random_theta": z_mc, "z_at_max_pl": z_pl0,
                          "exact_update_at_max_pl": float(np.max(np.abs(ap["exact"])))}
    truth = m["truth"]
    well = m["well"]
    err_w = {f"{dyn} k={k}": _dist(th, truth) for dyn, key in (("random", "cd_random"), ("sweep", "cd_sweep"))
             for k, th in well[key].items()}
    err_w["ml"] = _dist(well["ml"], truth)
    parts["well_specified_cd_is_truth"] = {"passed": max(err_w.values()) <= FIT_MATCH, "error": err_w}
    mis = m["mis"]
    ml = mis["ml"]
    d_rand = np.array([_dist(mis["cd_random"][k], ml) for k in K_RANDOM])
    d_sweep = np.array([_dist(mis["cd_sweep"][k], ml) for k in K_SWEEP])
    cd1 = d_rand[0]
    cd5s = d_sweep[list(K_SWEEP).index(5)]
    ok_printed = abs(cd1 - float(CD1_VS_ML)) <= 0.5e-4 and abs(cd5s - float(CD5_SWEEPS_VS_ML)) <= 0.5e-7
    monotone = bool(np.all(np.diff(d_rand) < 0) and np.all(np.diff(d_sweep) < 0))
    parts["misspecified"] = {"passed": bool(cd1 > MISMATCH_MIN and monotone and ok_printed),
                             "cd1_vs_ml": cd1, "cd5_sweeps_vs_ml": cd5s, "monotone": monotone,
                             "printed_ok": bool(ok_printed), "cd_random_vs_ml": d_rand, "cd_sweep_vs_ml": d_sweep,
                             "ml_vs_truth": _dist(ml, truth)}
    return all(p["passed"] for p in parts.values()), parts


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    """Run the check (quick: 2e5 chains for the Monte Carlo update; full: 2e6)."""
    return controlled(result_from, measure(quick, seed))


def result_from(m, *, claim_cd1_is_ml=False) -> CheckResult:
    """The CheckResult of :func:`measure`'s numbers (``claim_cd1_is_ml``: a wrong claim, for tests)."""
    passed, parts = evaluate(m, claim_cd1_is_ml=claim_cd1_is_ml)
    c1 = parts["cd1_is_max_pl"]
    mis = parts["misspecified"]
    mc = parts["mc_update"]
    meas = (
        f"|theta_CD1 - theta_{c1['target'].upper()}|: well-specified {c1['error']['well']:.1e}, misspecified "
        f"{c1['error']['mis']:.1e}; CD-1 update - (1/n) grad PL (n = {N_UPDATE}, {N_THETA} random theta) "
        f"{parts['update_is_grad_pl']['error']:.1e}; chains ({m['n_chains']}): max|z| of the CD-1 update vs (1/n) grad PL "
        f"{mc['z_random_theta']:.2f}, vs 0 at max-PL {mc['z_at_max_pl']:.2f}; well-specified max |theta_CD-k - truth| "
        f"{max(parts['well_specified_cd_is_truth']['error'].values()):.1e}; misspecified |CD-1 - ML| {mis['cd1_vs_ml']:.4f} "
        f"(printed {CD1_VS_ML}), CD-k random scan k = {list(K_RANDOM)}: "
        + ", ".join(f"{v:.2e}" for v in mis["cd_random_vs_ml"])
        + "; sweeps k = " + ", ".join(str(k) for k in K_SWEEP) + ": "
        + ", ".join(f"{v:.2e}" for v in mis["cd_sweep_vs_ml"])
        + f" (printed CD-5 sweeps {CD5_SWEEPS_VS_ML}); decreasing: {mis['monotone']}"
    )
    return make_result(
        __name__,
        prediction=(f"CD-1 = max-PL and CD-1 update = (1/n) grad PL (<= {FIT_MATCH:g}); well-specified CD-k = truth "
                    f"(<= {FIT_MATCH:g}); misspecified |CD-1 - ML| = {CD1_VS_ML} (> {MISMATCH_MIN:g}), decreasing in k, "
                    f"CD-5 sweeps {CD5_SWEEPS_VS_ML}; chains: |z| <= {Z_MAX:g}"),
        measurement=meas,
        passed=passed,
        z=max(mc["z_random_theta"], mc["z_at_max_pl"]),
        error=max(max(c1["error"].values()), parts["update_is_grad_pl"]["error"]),
        tolerance=(f"{FIT_MATCH:g} (fits converge to 1e-10); printed digits of theory 9.5; |z| <= {Z_MAX:g} for the "
                   "Monte Carlo update (paired-difference SE)"),
        details={"parts": parts},
        data={"k_random": np.array(K_RANDOM), "k_sweep": np.array(K_SWEEP), "n": N,
              "mis_random": mis["cd_random_vs_ml"], "mis_sweep": mis["cd_sweep_vs_ml"],
              "well": parts["well_specified_cd_is_truth"]["error"],
              "pl_vs_ml": _dist(m["mis"]["pl"], m["mis"]["ml"]),
              "identity": {k: m["identity"][0][k] for k in ("exact", "pl", "mc", "mc_se")},
              "labels": ising.feature_labels(N_UPDATE), "n_chains": m["n_chains"]},
        params={"n": N, "recipe": f"default_rng(1); J, h ~ N(0, 0.5^2); misspecified: + {THREE_BODY} s0 s1 s2",
                "k_random": K_RANDOM, "k_sweep": K_SWEEP, "n_update_test": N_UPDATE, "n_theta": N_THETA,
                "n_chains": m["n_chains"]},
    )


def draw(result):
    """Left: |theta_CD-k - theta_ML|_inf vs the number of single-site updates (random scan: k; sweeps: n k),
    misspecified and well-specified data. Right: the CD-1 update measured by chains vs (1/n) grad PL."""
    from solvable import plotting

    d = result.data
    fig, (ax, ay) = plotting.subplots(1, 2, width=10.4, height=4.2)
    kr = np.asarray(d["k_random"])
    ks = np.asarray(d["k_sweep"])
    ax.loglog(kr, d["mis_random"], "o-", color=plotting.COLORS[0], label="misspecified, random-scan heat bath")
    ax.loglog(ks * d["n"], d["mis_sweep"], "s-", color=plotting.COLORS[1], label="misspecified, sequential sweeps")
    well = d["well"]
    floor = 1e-12
    wr = [(int(key.split("=")[1]), v) for key, v in well.items() if key.startswith("random")]
    ax.loglog([k for k, _ in wr], [max(v, floor) for _, v in wr], "^--", color=plotting.COLORS[2], mfc="white",
              label=r"well-specified: $|\theta_{\rm CD}-\theta^\dagger|$ (truth)")
    ax.axhline(FIT_MATCH, color="0.5", ls=":", lw=1, label=rf"match tolerance $10^{{{int(np.log10(FIT_MATCH))}}}$")
    ax.annotate(rf"CD-1 = max-PL: {d['mis_random'][0]:.4f}", (1, d["mis_random"][0]), xytext=(2.2, 0.06),
                fontsize=8, arrowprops={"arrowstyle": "->", "lw": 0.8})
    ax.set_xlabel("single-site updates per CD step ($k$; sweeps: $n\\,k$)")
    ax.set_ylabel(r"$\max_a\,|\theta^{{\rm CD}\text{-}k}_a-\theta^{\rm ML}_a|$")
    ax.set_ylim(floor / 3, 0.5)
    ax.set_title(r"CD-$k$ fixed point $\to$ ML as $k$ grows ($n=4$)")
    ax.legend(loc="lower right", fontsize=7.5)
    ident = d["identity"]
    pl = np.asarray(ident["pl"])
    ay.errorbar(pl, np.asarray(ident["mc"]), yerr=np.asarray(ident["mc_se"]), fmt="o", ms=4, color=plotting.COLORS[0],
                label=f"chains ({d['n_chains']}), 1 SE")
    lim = np.max(np.abs(pl)) * 1.15
    ay.plot([-lim, lim], [-lim, lim], "k-", lw=1, label=r"$y=\frac{1}{n}\nabla_\theta\mathrm{PL}$ (exact)")
    ay.set_xlabel(r"$\frac{1}{n}\,\partial\mathrm{PL}/\partial\theta_a$ (exact, $n=5$, random $\theta$)")
    ay.set_ylabel(r"CD-1 update $\langle\phi_a\rangle_D-\langle\phi_a\rangle_{p_DT}$ (chains)")
    z = (np.asarray(ident["mc"]) - pl) / np.asarray(ident["mc_se"])
    ay.text(0.98, 0.03, rf"{pl.size} statistics, $\max_a|z_a|={np.max(np.abs(z)):.2f}$", transform=ay.transAxes,
            ha="right", va="bottom", fontsize=8.5)
    ay.set_title("CD-1 update = gradient of pseudolikelihood / n")
    ay.legend(loc="upper left", fontsize=8)
    return fig
