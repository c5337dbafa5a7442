r"""A neural energy trained by short runs matches the data's readout statistics at t = k, and only the trained terms.

Claim (theory.md 2.2 "linear head", G3; Agoritsas et al., arXiv 2301.09428, for general EBMs): if
:math:`E_\theta(x)=w\cdot\varphi_\vartheta(x)+\dots` with a trainable linear readout w, a fixed point of
short-run (Rdm-k) training has :math:`\langle\varphi\rangle_D=\langle\varphi\rangle_{t=k}` -- fresh chains from
:math:`p_0` stopped at the training length reproduce the data averages of the readout features, whatever
the hidden layer learned -- and not at t = 0 nor after the training length. The identity covers only
terms with a trained coefficient: an untrained confinement :math:`\frac a2|x|^2` (a fixed) has no reason to
match; trained, it does.

Run: the 2-D mixture of four Gaussians (``datasets.mixture_2d(2000, n_modes=4, radius=2, sd=0.4, seed=1)``);
:class:`solvable.neural.MLPEnergy` with 16 tanh units, :math:`p_0=\mathcal N(0,I)`, ULA step
:math:`\eta=0.02`, k = 12; :func:`solvable.neural.train_short_run`: 500 updates of every parameter
(500 chains, lr 0.05), then 1500 updates of the linear parameters in whitened coordinates (1000
chains) and their tail average. Two variants: the confinement a = 0.1 fixed, and a trained. Then
40 000 fresh chains at t = 0, k/2, k, 2k, 4k, 10k; z-scores against the
empirical data averages (the targets the training matched; chains' SE only).

Verdict: readout features max|z| <= Z at t = k (both variants, every seed whose readout phase reached a
fixed point); > Z at t = 0 and at every t >= 4k (every run); the untrained statistic :math:`|x|^2/2` has
|z| > Z at t = k with a fixed, <= Z with a trained. The identity is a statement about fixed points: a run
whose readout phase still drifts (:class:`solvable.RunawayWarning` from the shared drift test) is reported
in the measurement and not scored for the t = k match, and at least one run must have settled.
Measured (full mode, a fixed): seed 1's readout weight v1 kept moving at -3.9e-4 per update after 1500
updates (its t = k max|z| 1.2), seed 2's four readout weights at up to 1.2e-3 per update (max|z| 5.6,
40 000 test chains); seed 0 and the trained confinement settled (1.7, 1.9).

Recipe notes (measured): a ULA step with :math:`2\eta` above the per-mode data variance has no
fixed point (theory.md 3.3; the first attempt, step 0.05 with sd 0.3 modes, diverged); a tanh unit
saturated on the data (:math:`\varphi\approx\pm1` on every data point, from a large initial bias) leaves
a readout weight that drifts without a fixed point (|z| ~ 4 left after 3000 updates); plain gradient
steps on the readout converge slowly along ill-conditioned directions, which whitening the features
(:math:`w=Bv`, :math:`B^\top\mathrm{Cov}_D(\varphi)B=I`) removes.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from solvable import datasets
from solvable import model as M
from solvable.neural import MLPEnergy, train_short_run

from ._result import P1, Z_MAX, CheckResult, controlled, decide_z, make_result, sub_seed, with_section

CLAIM = ("Neural energy (MLP, linear readout) trained by short runs on a 2-D four-mode mixture: at a fixed point of the "
         "readout, fresh chains match the data's readout features at t = k, not at t = 0 nor t >= 4k; an untrained "
         "confinement term is not matched")
SOURCE = with_section(P1, "2.2 (linear head, G3)")
DERIVED = ("the two-phase recipe (whitened readout phase), the statement about untrained terms "
           "(<E>_D - <E>_k = a/2 (<|x|^2>_D - <|x|^2>_k)), and every number")

K = 12
STEP = 0.02
N_HIDDEN = 16
CONFINEMENT = 0.1


def data_set():
    return datasets.mixture_2d(2000, n_modes=4, radius=2.0, sd=0.4, seed=1)


def trained(seed, train_confinement=False):
    """The network and its short-run-trained parameters (the recipe of the module docstring)."""
    net = MLPEnergy(2, N_HIDDEN, confinement=CONFINEMENT, train_confinement=train_confinement)
    res = train_short_run(net, data_set(), k=K, step=STEP, lr=0.05, n_iter=500, n_chains=500, readout_iter=1500,
                          readout_chains=1000, seed=seed)
    return net, res


def _measure_one(net, theta, data, n_chains, seed):
    """z-scores (chains' SE only) of the readout features, |x|^2/2 and E at the measured times."""
    def stats(x):
        return np.hstack([net.features(x, theta), 0.5 * np.einsum("ij,ij->i", x, x)[:, None],
                          net.energy(x, theta)[:, None]])

    times = [0, K // 2, K, 2 * K, 4 * K, 10 * K]
    cmp = M.compare(net.model(), theta, data, k=K, times=times, n_chains=n_chains, step=STEP, seed=seed,
                    statistics=stats)
    cmp = dataclasses.replace(cmp, se_data=None)  # the training matched the empirical averages themselves
    z = cmp.z_data
    return {"times": np.array(times), "z_features": np.max(np.abs(z[:, :N_HIDDEN]), axis=1),
            "z_x2": z[:, N_HIDDEN], "z_energy": z[:, N_HIDDEN + 1],
            "x2": cmp.sampled[:, N_HIDDEN], "x2_se": cmp.se[:, N_HIDDEN], "x2_data": cmp.data[N_HIDDEN]}


def measure(quick=True, seed=0):
    """Train both variants (fixed and trained confinement; full mode: fixed for three seeds) and measure."""
    data = data_set()
    n_chains = 40_000  # the tail-averaged readout reaches the fixed point to about this precision
    seeds = [seed] if quick else [seed, seed + 1, seed + 2]
    out = {"fixed": [], "trained": [], "seeds": seeds, "n_chains": n_chains, "phase1_warnings": 0,
           "phase2_warnings": []}
    for i, s in enumerate(seeds):
        for variant in (("fixed", "trained") if i == 0 else ("fixed",)):
            net, res = trained(sub_seed(s, 7101), train_confinement=(variant == "trained"))
            row = _measure_one(net, res["theta"], data, n_chains, sub_seed(s, 7102))
            row["a"] = float(net.unpack(res["theta"])[3])
            row["drifting"] = bool(res["phase2_warnings"])  # the readout phase found no fixed point
            out["phase1_warnings"] += len(res["phase1_warnings"])
            out["phase2_warnings"] += [f"seed {s}, a {variant}: {w}" for w in res["phase2_warnings"]]
            out[variant].append(row)
    return out


def evaluate(m, t_claim=K, z_max=Z_MAX):
    """Match at ``t_claim`` (k; any other value is a deliberately broken claim): readout features of every run,
    and |x|^2/2 of the trained-confinement run; mismatch: readout features at t = 0 and every t >= 4k, and
    |x|^2/2 of the fixed-confinement runs at t_claim."""
    times = m["fixed"][0]["times"]
    if t_claim not in times:
        raise ValueError(f"t_claim = {t_claim} is not one of the measured times {times.tolist()}")
    at = times == t_claim
    far = ((times == 0) | (times >= 4 * K)) & ~at
    runs = m["fixed"] + m["trained"]
    # the identity holds at a fixed point: a run whose readout phase still drifts (RunawayWarning: no fixed
    # point) is reported, not scored for the match; at least one run must have reached a fixed point
    settled = [r for r in runs if not r.get("drifting", False)]
    match = [r["z_features"][at][0] for r in settled] + [abs(r["z_x2"][at][0]) for r in m["trained"]
                                                         if not r.get("drifting", False)]
    if not settled:
        match.append(np.inf)  # no run reached a fixed point: nothing supports the claim
    mismatch = [z for r in runs for z in r["z_features"][far]] + [abs(r["z_x2"][at][0]) for r in m["fixed"]]
    return decide_z(match=match, mismatch=mismatch, z_max=z_max)


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    """Quick: one seed; full: three seeds for the fixed confinement; 4e4 test chains each."""
    return controlled(result_from, measure(quick, seed))


def _fmt(v):
    return "[" + ", ".join(f"{x:.1f}" for x in np.asarray(v, dtype=float)) + "]"


def result_from(m, t_claim=K) -> CheckResult:
    passed, worst = evaluate(m, t_claim)
    f0, tr = m["fixed"][0], m["trained"][0]
    times = f0["times"]
    meas = (f"times {times.tolist()}; readout max|z|, a fixed: "
            + "; ".join(_fmt(r["z_features"]) for r in m["fixed"])
            + f"; a trained: {_fmt(tr['z_features'])}. z of |x|^2/2: a fixed {_fmt(f0['z_x2'])}, a trained "
            f"{_fmt(tr['z_x2'])} (trained a = {tr['a']:.3f}). z of <E>: a fixed {_fmt(f0['z_energy'])}, "
            f"a trained {_fmt(tr['z_energy'])}"
            + (f"; readout phase still drifting (no fixed point, not scored for the t = k match) in "
               f"{sum(r.get('drifting', False) for r in m['fixed'] + m['trained'])} run(s): "
               + " | ".join(w[:170] for w in m["phase2_warnings"]) if m["phase2_warnings"] else ""))
    return make_result(
        __name__,
        prediction=(f"readout features: max|z| <= {Z_MAX:g} at t = {t_claim}, > {Z_MAX:g} at t = 0 and t >= 4k; "
                    f"|x|^2/2 at t = k: |z| > {Z_MAX:g} with a fixed, <= {Z_MAX:g} with a trained"),
        measurement=meas,
        passed=passed,
        z=worst,
        tolerance=f"|z| <= {Z_MAX:g} (match), > {Z_MAX:g} (mismatch); SE of {m['n_chains']} chains",
        details={"times": times, "seeds": m["seeds"], "z_features_fixed": [r["z_features"] for r in m["fixed"]],
                 "z_features_trained": tr["z_features"], "z_x2_fixed": f0["z_x2"], "z_x2_trained": tr["z_x2"],
                 "z_energy_fixed": f0["z_energy"], "z_energy_trained": tr["z_energy"], "a_trained": tr["a"],
                 "phase1_runaway_warnings": m["phase1_warnings"], "phase2_runaway_warnings": m["phase2_warnings"]},
        data={"times": times, "k": K, "z_features_fixed": [r["z_features"] for r in m["fixed"]],
              "z_features_trained": tr["z_features"], "z_x2_fixed": f0["z_x2"], "z_x2_trained": tr["z_x2"],
              "z_energy_fixed": f0["z_energy"], "z_energy_trained": tr["z_energy"]},
        params={"data": "mixture_2d(2000, n_modes=4, radius=2, sd=0.4, seed=1)", "n_hidden": N_HIDDEN, "k": K,
                "step": STEP, "p0": "N(0, I)", "confinement": CONFINEMENT, "n_chains": m["n_chains"],
                "recipe": "500 updates all parameters (500 chains, lr 0.05) + 1500 whitened readout updates "
                          "(1000 chains), tail average of the last half"},
    )


def draw(result):
    """Left: largest |z| of the 16 readout features vs t (a fixed: one line per seed; a trained). Right: z of the
    untrained/trained statistic |x|^2/2 and of the mean energy vs t."""
    from solvable import plotting

    d = result.data
    t = np.asarray(d["times"], dtype=float)
    fig, (ax, ay) = plotting.subplots(1, 2, width=10.4, height=3.9)
    for i, zf in enumerate(d["z_features_fixed"]):
        n_seeds = len(d["z_features_fixed"])
        ax.plot(t, np.maximum(zf, 1e-2), "o-", color=plotting.COLORS[0], alpha=1.0 if i == 0 else 0.5,
                label=(f"a fixed (untrained), {n_seeds} seed" + ("s" if n_seeds > 1 else "")) if i == 0 else None)
    ax.plot(t, np.maximum(d["z_features_trained"], 1e-2), "s--", color=plotting.COLORS[1], label="a trained")
    ax.axhspan(1e-2, Z_MAX, color="0.9", zorder=0, label=rf"$|z|\leq{Z_MAX:g}$")
    plotting.mark_k(ax, d["k"])
    ax.set_xscale("symlog", linthresh=d["k"])
    ax.set_yscale("log")
    ax.set_xlabel(r"ULA steps $t$ from $p_0=\mathcal{N}(0,I)$")
    ax.set_ylabel(r"max $|z|$, readout features $\langle\varphi_j\rangle$")
    ax.set_title("MLP energy, short-run k = 12: readout identity")
    ax.legend(fontsize=8, loc="upper right")
    lines = (("z_x2_fixed", r"$|x|^2/2$, a fixed", 0, "o-"), ("z_x2_trained", r"$|x|^2/2$, a trained", 1, "s--"),
             ("z_energy_fixed", r"$E$, a fixed", 2, "o:"), ("z_energy_trained", r"$E$, a trained", 3, "s:"))
    for key, lab, c, mk in lines:
        ay.plot(t, d[key], mk, color=plotting.COLORS[c], label=lab)
    ay.axhspan(-Z_MAX, Z_MAX, color="0.9", zorder=0)
    plotting.mark_k(ay, d["k"], label=False)
    ay.set_xscale("symlog", linthresh=d["k"])
    ay.set_yscale("symlog", linthresh=10)
    ay.set_xlabel("ULA steps $t$")
    ay.set_ylabel("z vs data")
    ay.set_title("untrained term: not matched at t = k")
    ay.legend(fontsize=8, loc="lower right")
    return fig
