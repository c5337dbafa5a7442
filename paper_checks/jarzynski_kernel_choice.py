r"""The kernel choice (ULA / MALA / heat bath) changes only the variance of the Jarzynski weights, not their mean.

Claim (Carbone, arXiv 2506.07843, "the role of the choice of the kernel"; theory.md 6.1-6.2):
along one pre-set parameter schedule, walkers moved by ULA (weights of 6.1), by MALA or by an
exact heat-bath draw (both :math:`p_{\theta_\ell}`-invariant, "move, then reweight" of 6.2) all
give the exact :math:`Z_L/Z_0` and :math:`\mathbb E_{\theta_L}`; the faster the kernel mixes, the
smaller :math:`\mathrm{Var}\,A` and the larger the ESS (6.2: :math:`\mathrm{Var}A\approx\sum_\ell
2\tau_{\rm int}\mathrm{Var}(\Delta\theta_\ell\cdot\partial_\theta E)`). For the heat bath
(:math:`\tau_{\rm int}=\frac12`: every move is an independent draw of :math:`p_{\theta_\ell}`) the
increments are independent and (derived here)

.. math:: \mathbb E A=\sum_\ell\mathbb E_{\theta_\ell}[f_\ell],\quad
          \mathrm{Var}A=\sum_\ell\mathrm{Var}_{\theta_\ell}[f_\ell],\quad f_\ell=E_\ell-E_{\ell+1},

with, for :math:`E_\ell=\frac{\lambda_\ell}2(x-\mu_\ell)^2` and :math:`f=\alpha x^2+\beta x+c`,
:math:`X=\mu+\sigma U`: :math:`\mathrm{Var}f=2\alpha^2\sigma^4+(2\alpha\mu+\beta)^2\sigma^2`,
:math:`\mathbb Ef=\alpha(\mu^2+\sigma^2)+\beta\mu+c`.

Run: the "weight rules" schedule of theory.md 9.7 (:math:`\mu:0\to2`, :math:`\lambda:1\to3` in 100
steps; exact :math:`Z_L/Z_0=0.57735`, mean 2, variance 1/3), :math:`\eta=0.3` for ULA and MALA, one
kernel step per schedule step, the same exact start population, no resampling. SEs: :math:`Z`
ratio :math:`s(e^A)/\sqrt N`; weighted moments :math:`[\sum p_i^2(f_i-\bar f)^2]^{1/2}`;
:math:`\mathrm{Var}A` :math:`[(m_4-s^4)/N]^{1/2}`. Verdict: every kernel within ``Z_MAX`` SE in the
Z ratio, the mean and the variance; the heat bath's :math:`\mathbb EA` and :math:`\mathrm{Var}A`
within ``Z_MAX`` SE of the closed form; :math:`\mathrm{Var}A` of ULA and of MALA above the heat
bath's by more than ``Z_MAX`` SE. Must-fail arm: the heat bath in the **biased** order (draw from
:math:`p_{\theta_{\ell+1}}`, then reweight at the drawn point) more than ``3 Z_MAX`` SE off in the Z ratio.
"""
from __future__ import annotations

import numpy as np

from solvable import jarzynski as JZ

from ._result import P3, Z_MAX, CheckResult, controlled, decide_z, make_result, with_section
from .jarzynski_log_z_resampling import STEP, energy, grad, schedule

CLAIM = ("ULA, MALA and heat-bath Jarzynski walkers along one schedule: all exact (Z ratio, mean, variance); "
         "the heat bath's Var A matches its closed form and is the smallest; biased heat-bath order > 3 Z_MAX SE off")
SOURCE = with_section(P3, "6.1-6.2 (the kernel choice affects only the variance), 9.7 schedule")
DERIVED = "the closed form of E A and Var A for an exact heat-bath kernel on a Gaussian schedule"

FAIL_FACTOR = 3.0
#: (label, kernel, rule)
KERNELS = (("ULA", "ula", "ula"), ("MALA", "mala", "move-reweight"), ("heat bath", "heat-bath", "move-reweight"))
CONTROL = ("heat bath, biased order", "heat-bath", "biased-new-kernel")


def _rng(seed):
    return np.random.default_rng(np.random.SeedSequence(tuple(int(v) for v in np.atleast_1d(seed))))


def _log_q(p, x, y):
    return -np.sum((y - x + STEP * grad(p, x)) ** 2, axis=-1) / (4.0 * STEP)


def make_move(kernel):
    """``move(p, x, seed)``: one ULA step, one MALA step (ULA proposal + Metropolis-Hastings), or an exact draw."""
    def ula(p, x, seed):
        return x - STEP * grad(p, x) + np.sqrt(2.0 * STEP) * _rng(seed).standard_normal(x.shape)

    def mala(p, x, seed):
        rng = _rng(seed)
        y = x - STEP * grad(p, x) + np.sqrt(2.0 * STEP) * rng.standard_normal(x.shape)
        log_acc = energy(p, x) - energy(p, y) + _log_q(p, y, x) - _log_q(p, x, y)
        return np.where((np.log(rng.random(log_acc.shape)) < log_acc)[..., None], y, x)

    def heat_bath(p, x, seed):
        return p["mu"] + _rng(seed).standard_normal(x.shape) / np.sqrt(p["lam"])

    return {"ula": ula, "mala": mala, "heat-bath": heat_bath}[kernel]


def heat_bath_work_moments(sched):
    r"""Exact :math:`(\mathbb EA, \mathrm{Var}A)` of move-then-reweight with exact draws (module docstring)."""
    mean = var = 0.0
    for p, q in zip(sched[:-1], sched[1:]):
        # f(x) = lam_p/2 (x - mu_p)^2 - lam_q/2 (x - mu_q)^2 = alpha x^2 + beta x + c
        alpha = 0.5 * (p["lam"] - q["lam"])
        beta = -p["lam"] * p["mu"] + q["lam"] * q["mu"]
        c = 0.5 * (p["lam"] * p["mu"] ** 2 - q["lam"] * q["mu"] ** 2)
        mu, s2 = p["mu"], 1.0 / p["lam"]
        mean += alpha * (mu**2 + s2) + beta * mu + c
        var += 2.0 * alpha**2 * s2**2 + (2.0 * alpha * mu + beta) ** 2 * s2
    return mean, var


def _var_se(a):
    s2 = a.var(ddof=1)
    return s2, np.sqrt((np.mean((a - a.mean()) ** 4) - s2**2) / a.size)


def measure(quick=True, seed=0):
    """Anneal one exact start population with each kernel; Z ratio, weighted moments, Var A, ESS."""
    n = 50_000 if quick else 400_000
    sched = schedule()
    end = sched[-1]
    x0 = np.random.default_rng(np.random.SeedSequence((int(seed), 40))).standard_normal((n, 1))
    rows = []
    for i, (label, kernel, rule) in enumerate(KERNELS + (CONTROL,)):
        kw = {"grad": grad, "step": STEP} if rule == "ula" else {}
        res = JZ.anneal(sched, x0, energy=energy, move=make_move(kernel), rule=rule, seed=(int(seed), 41, i), **kw)
        A = res.log_w
        w = np.exp(A)
        ratio, ratio_se = w.mean(), w.std(ddof=1) / np.sqrt(n)
        m, m_se = JZ.weighted_mean_se(res.x[:, 0], A)
        v, v_se = JZ.weighted_mean_se((res.x[:, 0] - end["mu"]) ** 2, A)
        var_a, var_a_se = _var_se(A)
        rows.append({"kernel": label, "rule": rule, "control": label == CONTROL[0],
                     "ratio": float(ratio), "ratio_se": float(ratio_se), "mean": float(m), "mean_se": float(m_se),
                     "var": float(v), "var_se": float(v_se), "mean_a": float(A.mean()),
                     "mean_a_se": float(A.std(ddof=1) / np.sqrt(n)), "var_a": float(var_a),
                     "var_a_se": float(var_a_se), "ess_fraction": float(res.ess[-1] / n),
                     "ess_path": np.asarray(res.ess, dtype=float) / n})
    hb_mean, hb_var = heat_bath_work_moments(sched)
    return {"rows": rows, "n": n, "exact": {"ratio": float(np.sqrt(1.0 / end["lam"])), "mean": end["mu"],
                                             "var": 1.0 / end["lam"]},
            "heat_bath_mean_a": hb_mean, "heat_bath_var_a": hb_var}


def evaluate(m, *, z_max=Z_MAX):
    """z-scores: every kernel exact (match); heat-bath work moments vs closed form (match); Var A of ULA and MALA
    above the heat bath's (resolved, one-sided); biased control off by > 3 z_max (resolved)."""
    ex = m["exact"]
    z, match, mismatch = {}, [], []
    rows = {r["kernel"]: r for r in m["rows"]}
    for r in m["rows"]:
        zz = [(r["ratio"] - ex["ratio"]) / r["ratio_se"], (r["mean"] - ex["mean"]) / r["mean_se"],
              (r["var"] - ex["var"]) / r["var_se"]]
        z[r["kernel"]] = zz
        if r["control"]:
            mismatch.append(zz[0] / FAIL_FACTOR)
        else:
            match.extend(zz)
    hb = rows["heat bath"]
    z["heat bath E A"] = (hb["mean_a"] - m["heat_bath_mean_a"]) / hb["mean_a_se"]
    z["heat bath Var A"] = (hb["var_a"] - m["heat_bath_var_a"]) / hb["var_a_se"]
    match.extend([z["heat bath E A"], z["heat bath Var A"]])
    for k in ("ULA", "MALA"):
        d = rows[k]["var_a"] - hb["var_a"]
        z[f"Var A {k} - heat bath"] = d / np.hypot(rows[k]["var_a_se"], hb["var_a_se"])
        mismatch.append(max(z[f"Var A {k} - heat bath"], 0.0))  # one-sided: larger than the heat bath's
    ok, worst = decide_z(match=match, mismatch=mismatch, z_max=z_max)
    return ok, worst, z


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    """Quick: 5 x 10^4 walkers; full: 4 x 10^5."""
    return controlled(result_from, measure(quick, seed))


def result_from(m) -> CheckResult:
    """The CheckResult of :func:`measure`."""
    ok, worst, z = evaluate(m)
    ex = m["exact"]
    meas = "; ".join(
        f"{r['kernel']}{' [control]' if r['control'] else ''}: Z ratio {r['ratio']:.4f} +- {r['ratio_se']:.4f} "
        f"(z {z[r['kernel']][0]:+.1f}), Var A {r['var_a']:.4f} +- {r['var_a_se']:.4f}, ESS/N {r['ess_fraction']:.3f}"
        for r in m["rows"])
    meas += (f"; heat bath Var A z vs closed form {z['heat bath Var A']:+.2f}, E A z {z['heat bath E A']:+.2f}; "
             f"Var A ULA - heat bath z {z['Var A ULA - heat bath']:+.1f}, MALA - heat bath "
             f"z {z['Var A MALA - heat bath']:+.1f}")
    return make_result(
        __name__,
        prediction=(f"every kernel: Z ratio {ex['ratio']:.5f}, mean {ex['mean']:g}, variance {ex['var']:.4f}; "
                    f"heat bath E A = {m['heat_bath_mean_a']:.5f}, Var A = {m['heat_bath_var_a']:.5f} (closed form); "
                    "Var A(ULA), Var A(MALA) > Var A(heat bath)"),
        measurement=meas,
        passed=ok,
        z=worst,
        tolerance=(f"|z| <= {Z_MAX:g} for every exactness claim; Var A differences > {Z_MAX:g} SE; biased order > "
                   f"{FAIL_FACTOR:g} x {Z_MAX:g} SE; N = {m['n']} walkers, no resampling"),
        details={"z": z, "rows": [{k: v for k, v in r.items() if k != "ess_path"} for r in m["rows"]],
                 "heat_bath_var_a": m["heat_bath_var_a"], "heat_bath_mean_a": m["heat_bath_mean_a"]},
        data={"rows": [{k: r[k] for k in ("kernel", "control", "ess_path", "var_a", "var_a_se", "ratio", "ratio_se")}
                       for r in m["rows"]], "exact_ratio": ex["ratio"], "heat_bath_var_a": m["heat_bath_var_a"],
              "n": m["n"]},
        params={"schedule": "mu 0->2, lambda 1->3, 100 steps", "step": STEP, "walkers": m["n"], "resampling": "none"},
    )


def draw(result):
    """Left: ESS/N along the schedule per kernel. Right: Var A per kernel +- SE with the heat-bath closed form."""
    from solvable import plotting

    d = result.data
    fig, (ax, ay) = plotting.subplots(1, 2, width=11.0, height=3.9)
    for i, r in enumerate(d["rows"]):
        c = "0.5" if r["control"] else plotting.COLORS[i]
        e = np.asarray(r["ess_path"])
        ax.plot(np.arange(e.size), e, color=c, lw=1.3, ls="--" if r["control"] else "-", label=r["kernel"])
        ay.errorbar([i], [r["var_a"]], yerr=[r["var_a_se"]], fmt="o", color=c, ms=6, capsize=3)
    ay.axhline(d["heat_bath_var_a"], color="k", ls=":", lw=1.2, label="heat bath, closed form")
    ax.set_xlabel(r"schedule step $\ell$ ($\mu:0\to2$, $\lambda:1\to3$)")
    ax.set_ylabel("ESS / N (no resampling)")
    ax.set_title(f"N = {d['n']} walkers, one kernel step per schedule step")
    ax.legend(fontsize=8)
    ay.set_xticks(range(len(d["rows"])), [r["kernel"].replace(", ", "\n") for r in d["rows"]], fontsize=8)
    ay.set_xlabel("kernel")
    ay.set_ylabel(r"Var $A_L$ $\pm$ SE")
    ay.set_title("faster mixing, smaller weight variance")
    ay.legend(fontsize=8)
    return fig
