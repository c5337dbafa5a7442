r"""An RBM at the exact short-run fixed point reproduces the data moments at t = k, not at t = 0 nor at long times.

The chains match within Monte Carlo error in a window around k (t = k +- 1 are not resolved in
quick mode); the claim checked is the match at t = k and the mismatch at t = 0 and t >= 10 k.

Claim (theory.md 2.2 and 7, checks G1-G2 on the RBM; Agoritsas et al., arXiv 2301.09428;
Nijkamp et al., arXiv 1904.09770): at a fixed point of Rdm-k training (chains restarted
from :math:`p_0` and run k block-Gibbs sweeps) the law of the chains at :math:`t=k` has the
data's sufficient statistics :math:`\langle v\rangle`, :math:`\langle vh\rangle` (with
:math:`h\to\sigma(b+W^\top v)`, Rao-Blackwellised), so fresh chains from :math:`p_0` match
the data within Monte Carlo error at :math:`t=k`; at long times (and at equilibrium) they
do not.

Run (as ``tests/test_rbm.py``): the 10-unit prototype data (``datasets.prototypes(2000,
seed=100)``), :math:`n_h=4`, :math:`k=3`, uniform :math:`p_0`; training with the exact engine
(the exact visible law of the chains, so the fixed point is reached to ~3e-4 without
sampling noise, full batch, lr 1, 1000 updates; 3000 in full mode); then :func:`solvable.rbm.compare` runs
fresh chains from :math:`p_0` and gives z-scores of :math:`\langle v\rangle,\langle vh\rangle`
against the data at several times, and against the exact law of the chain at each time.
Verdict: :math:`\max|z|\le Z` at :math:`t=k`; :math:`>Z` at :math:`t=0` and at the long times
(:math:`\ge10k`); chains within Z SE of the exact law at every time; training residual below
half the smallest SE at :math:`t=k`.
"""
from __future__ import annotations

import numpy as np

from solvable import datasets, rbm

from ._result import P1, Z_MAX, CheckResult, controlled, decide_z, make_result, sub_seed, with_section

CLAIM = ("RBM at the exact short-run (Rdm-k) fixed point (exact-engine training): chains from p0 match the data's "
         "<v>, <vh> at t = k within MC error, not at t = 0 nor at long times (times near k are not resolved)")
DERIVED = "the exact visible law of the chains (enumeration) used to train and to test the chains"
SOURCE = with_section(P1, "2.2, 7 (G1-G2 on an RBM); also Nijkamp et al. 2019, arXiv 1904.09770")

K = 3
N_HIDDEN = 4


def measure(quick=True, seed=0):
    """Train Rdm-k with the exact engine, then compare fresh chains with the data at several times."""
    data = datasets.prototypes(2000, seed=100)
    # the training residual must stay below half the smallest SE at t = k: 1000 updates (3e-4) suffice
    # for 1e4 chains, 1e5 chains need 3000
    updates = 1000 if quick else 3000
    res = rbm.train(data, scheme="short-run", engine="exact", k=K, n_hidden=N_HIDDEN, lr=1.0, n_epochs=updates,
                    batch_size=2000, seed=sub_seed(seed, 6401), progress=False, p0="uniform", init_scale=0.1,
                    log_likelihood="none")
    long_t = 100 if quick else 1000
    times = [0, 1, 2, K, K + 1, 2 * K, 10 * K, long_t]
    n_chains = 10_000 if quick else 100_000
    cmp = rbm.compare(data, res.W, res.a, res.b, K, times=times, n_chains=n_chains, seed=sub_seed(seed, 6402))
    dense = list(range(0, 4 * K + 1)) + [6 * K, 10 * K, 20 * K, long_t]
    curve = rbm.compare(data, res.W, res.a, res.b, K, times=dense, n_chains=2, seed=0)  # exact law only
    nv = data.shape[1]
    suff = slice(0, nv + nv * N_HIDDEN)
    return {
        "times": np.array(times), "k": K, "n_chains": n_chains, "nv": nv,
        "z_data": cmp.z_data[:, suff], "z_exact": cmp.z_exact[:, suff],
        "sampled": cmp.sampled[:, suff], "se": cmp.se[:, suff], "data": cmp.data[suff],
        "exact": cmp.exact[:, suff], "equilibrium": cmp.equilibrium[suff],
        "z_data_vv_at_k": float(np.max(np.abs(cmp.z_data[times.index(K), nv + nv * N_HIDDEN:]))),
        "dense_times": np.array(dense),
        "dense_exact_error": np.max(np.abs(curve.exact[:, suff] - cmp.data[suff]), axis=1),
        "fixed_point_error": float(res.history["error"][-1]), "updates": updates,
    }


def evaluate(m, t_claim=K, z_max=Z_MAX):
    """Match at ``t_claim`` (default k; any other value is a deliberately broken claim), mismatch at t = 0 and
    at the long times (>= 10 k, other than ``t_claim``); chains within z_max SE of the exact law at every time."""
    times = m["times"]
    if t_claim not in times:
        raise ValueError(f"t_claim = {t_claim} is not one of the measured times {times.tolist()}")
    zmax_t = np.max(np.abs(m["z_data"]), axis=1)
    at = zmax_t[times == t_claim]
    far = zmax_t[((times == 0) | (times >= 10 * m["k"])) & (times != t_claim)]
    ok_z, worst = decide_z(match=np.concatenate([at, np.abs(m["z_exact"]).ravel()]), mismatch=far, z_max=z_max)
    se_k = np.min(m["se"][times == m["k"]])
    ok_fp = bool(m["fixed_point_error"] < 0.5 * se_k)
    return ok_z and ok_fp, {"z_at_claim": float(at[0]), "z_far": far,
                            "z_exact_max": float(np.max(np.abs(m["z_exact"]))),
                            "fixed_point_ok": ok_fp, "max_abs_z_data": zmax_t, "worst": worst}


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    """Quick: 1000 updates, 1e4 chains, long time 100 sweeps; full: 3000 updates, 1e5 chains, long time 1000."""
    return controlled(result_from, measure(quick, seed))


def result_from(m, t_claim=K) -> CheckResult:
    """The CheckResult of the numbers measured by :func:`measure`."""
    passed, ev = evaluate(m, t_claim=t_claim)
    times = m["times"]
    zt = ", ".join(f"t={t}: {z:.1f}" for t, z in zip(times, ev["max_abs_z_data"]))
    eq_err = float(np.max(np.abs(m["equilibrium"] - m["data"])))
    return make_result(
        __name__,
        prediction=(f"max|z| of <v>, <vh> vs data <= {Z_MAX:g} at t = {t_claim}; > {Z_MAX:g} at t = 0 and t >= 10k; "
                    "chains = exact law at every t"),
        measurement=(f"max|z| vs data: {zt}; chains vs exact law max|z| {ev['z_exact_max']:.2f}; training residual "
                     f"{m['fixed_point_error']:.1e} (smallest SE at t=k {np.min(m['se'][times == K]):.1e}); "
                     f"equilibrium max error {eq_err:.3f}; <vv> (not a statistic of the model) at t=k max|z| "
                     f"{m['z_data_vv_at_k']:.1f}"),
        passed=passed,
        z=ev["worst"],
        tolerance=f"|z| <= {Z_MAX:g} at t = k and vs the exact law; |z| > {Z_MAX:g} at t = 0, t >= 10k",
        details={"times": times, "max_abs_z_data": ev["max_abs_z_data"], "z_exact_max": ev["z_exact_max"],
                 "fixed_point_error": m["fixed_point_error"], "equilibrium_error": eq_err,
                 "z_vv_at_k": m["z_data_vv_at_k"]},
        data={"times": times, "k": K, "z_data": m["z_data"],
              "sampled_error": np.max(np.abs(m["sampled"] - m["data"]), axis=1),
              "se_max": np.max(m["se"], axis=1), "dense_times": m["dense_times"],
              "dense_exact_error": m["dense_exact_error"], "equilibrium_error": eq_err},
        params={"data": "prototypes(2000, seed=100)", "n_hidden": N_HIDDEN, "k": K, "p0": "uniform",
                "engine": "exact", "lr": 1.0, "updates": m["updates"], "n_chains": m["n_chains"]},
    )


def draw(result):
    """Left: largest |moment - data| over <v>, <vh> vs sweeps (line: exact law; points: chains; grey: 2 SE
    noise level of the chains). Right: z-scores of every statistic vs the data at each measured time."""
    from solvable import plotting

    d = result.data
    fig, (ax, ay) = plotting.subplots(1, 2, width=10.4, height=3.9)
    dt, de = np.asarray(d["dense_times"]), np.asarray(d["dense_exact_error"])
    times = np.asarray(d["times"])
    ax.plot(dt, de, "-", color=plotting.COLORS[0], label="exact law of the chains")
    ax.plot(times, d["sampled_error"], "o", color=plotting.COLORS[1],
            label=f"{result.params['n_chains']} chains from $p_0$")
    ax.plot(times, 2 * np.asarray(d["se_max"]), "_", color="0.4", ms=10, mew=2, label="2 SE (largest) of the chains")
    ax.axhline(d["equilibrium_error"], color="k", ls="--", lw=1, label="equilibrium")
    plotting.mark_k(ax, d["k"])
    ax.set_xscale("symlog", linthresh=10)
    # label 0, k, 10k and the longest time only: the times near k crowd the linear part of the axis
    shown = {0, int(d["k"]), 10 * int(d["k"]), int(times[-1])}
    ax.set_xticks(times, [str(t) if int(t) in shown else "" for t in times])
    ax.minorticks_off()
    ax.set_yscale("log")
    ax.set_xlabel("block-Gibbs sweeps $t$ from $p_0$ (uniform)")
    ax.set_ylabel(r"max $|\langle\phi\rangle_t-\langle\phi\rangle_D|$, $\phi=v, vh$")
    ax.set_title("RBM moments vs time (short-run, $k=3$)")
    ax.legend(loc="lower right", fontsize=8)
    z = np.asarray(d["z_data"], dtype=float)
    pos = np.arange(times.size)
    for i in range(times.size):
        zi = np.clip(z[i], -60, 60)
        ax_x = pos[i] + np.linspace(-0.25, 0.25, zi.size)
        ay.plot(ax_x, zi, ".", ms=3, color=plotting.COLORS[2 if times[i] == d["k"] else 0])
    ay.axhspan(-Z_MAX, Z_MAX, color="0.9", zorder=0, label=rf"$|z|\leq{Z_MAX:g}$")
    ay.set_xticks(pos, [str(t) for t in times])
    ay.set_xlabel("sweeps $t$ (green: $t=k$)")
    ay.set_ylabel(r"$z$ vs data, each $\langle v_i\rangle$, $\langle v_ih_j\rangle$ (clipped at $\pm60$)")
    ay.set_title("per-statistic z-scores")
    ay.legend(loc="upper right", fontsize=8)
    return fig
