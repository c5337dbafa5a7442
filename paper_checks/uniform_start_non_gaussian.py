r"""With a uniform start the short-run model matches the data's mean and variance at t = k, yet q = p0 T^k is not Gaussian.

Claim (theory.md 3.8, 9.1 "Uniform start", check A9; the non-Gaussian q of Nijkamp et al.
2019, arXiv 1904.09770 [R], and the entropy geometry of theory.md 2.3): ULA with
:math:`\eta=0.005`, k = 20, :math:`p_0=U(-1,1)` (:math:`v_0=1/3`), data
:math:`\mathcal N(0.3,0.25)`. The short-run fixed point (:math:`j^*=5.00122`,
:math:`\mu_{\rm EBM}=0.75493`) reproduces the data mean and variance at t = k, but
:math:`x_k=\rho^kx_0+` Gaussian noise keeps a scaled copy of the uniform law, so
:math:`q` has excess kurtosis :math:`\rho^{4k}(-2/15)/c^2=-0.2813`; q lies in
:math:`\Omega` (same mean and variance as the data) with :math:`H(q)<H(p_{\rm ML})` and
:math:`\mathrm{KL}(q\|p_{\rm ML})=H(p_{\rm ML})-H(q)`.

Deterministic: the 9.1 numbers (half a printed digit), the kurtosis formula vs quadrature
of the exact density of q (:func:`solvable.generator.log_density`), the entropy identity by
quadrature (1e-8) and its failure at t = k/2 (negative control). Monte Carlo:
``n_chains`` ULA chains (:func:`solvable.generator.generate`, ``route="simulate"``) from
U(-1, 1): mean and second moment vs the data, excess kurtosis vs the prediction at
t = 5, 10, 20, 40 (SE :math:`\sqrt{24/M}`), and vs 0 at t = k (Gaussian rejected, |z| > Z).
"""
from __future__ import annotations

import numpy as np
from scipy import integrate, stats

from solvable import gaussian, generator, objectives

from ._result import P2, Z_MAX, CheckResult, controlled, decide_z, make_result, mean_se, sub_seed, with_section

CLAIM = ("Uniform p0: the short-run q = p0 T^k has the data's mean and variance but excess kurtosis "
         "rho^4k (-2/15)/c^2 = -0.2813, and KL(q||p_ML) = H(p_ML) - H(q) > 0")
SOURCE = with_section(P2, "3.8, 9.1, 2.3 (A9)")
DERIVED = "the excess kurtosis rho^{4k} (-2/15)/c^2 of the uniform-start short-run law and the entropy identity"

STEP, K, MEAN_D, VAR_D = 0.005, 20, 0.3, 0.25
#: theory.md 9.1, printed digits
TABLE = {"j": 5.00122, "mu_ebm": 0.75493, "rho_k": 0.6026, "var_stationary": 0.20248, "kurtosis": -0.2813}
HALF_DIGIT = {"j": 5e-6, "mu_ebm": 5e-6, "rho_k": 5e-5, "var_stationary": 5e-6, "kurtosis": 5e-5}
TIMES = (5, 10, 20, 40)


def _model():
    return gaussian.short_run_fixed_point([MEAN_D], [[VAR_D]], K, step=STEP, mean0=[0.0], var0=1.0 / 3.0)


def measure(quick=True, seed=0):
    n_chains = 200_000 if quick else 4_000_000
    J, h = _model()
    fl = generator.flow(J, h, K, step=STEP)
    numbers = {"j": float(J[0, 0]), "mu_ebm": float(fl.mu_ebm[0]), "rho_k": float(fl.decay[0]),
               "var_stationary": float(gaussian.stationary_moments(J, h, step=STEP)[1][0, 0]),
               "kurtosis": float(generator.excess_kurtosis(J, K, step=STEP)[0])}

    def log_q(t):
        return lambda x: generator.log_density(np.atleast_1d(x)[:, None], J, h, t, step=STEP, start="uniform",
                                               noise=True)

    lq = log_q(K)
    lim = {"lo": MEAN_D - 15.0 * np.sqrt(VAR_D), "hi": MEAN_D + 15.0 * np.sqrt(VAR_D)}  # tails ~ e^-100
    m4 = integrate.quad(lambda x: (x - MEAN_D) ** 4 * np.exp(lq(x)[0]), lim["lo"], lim["hi"], epsabs=1e-14)[0]
    kurt_quad = m4 / VAR_D**2 - 3.0
    p_ml = stats.norm(MEAN_D, np.sqrt(VAR_D)).logpdf
    H_ml = objectives.gaussian_entropy(VAR_D)
    H_q = objectives.entropy_1d(lq, **lim)[0]
    kl = objectives.kl_1d(lq, p_ml, **lim)[0]
    lq_half = log_q(K // 2)
    gap_half = objectives.kl_1d(lq_half, p_ml, **lim)[0] - (H_ml - objectives.entropy_1d(lq_half, **lim)[0])
    # Monte Carlo: one set of chains advanced through TIMES (the same latent start)
    sims = {}
    x = None
    t_prev = 0
    for i, t in enumerate(TIMES):
        if x is None:
            x = generator.generate(J, h, t, n_chains, step=STEP, start="uniform", route="simulate",
                                   seed=sub_seed(seed, 7301))
        else:
            x = gaussian.simulate(J, h, t - t_prev, n_chains, step=STEP, x0=x, seed=sub_seed(seed, 7302, i))
        t_prev = t
        xs = x[:, 0]
        f = gaussian.features(x)
        f_mean, f_se = mean_se(f)
        sims[t] = {"mean": f_mean, "se": f_se,
                   "kurtosis": float(stats.kurtosis(xs)), "kurtosis_se": float(np.sqrt(24.0 / n_chains)),
                   "pred_kurtosis": float(generator.excess_kurtosis(J, t, step=STEP)[0])}
        if t == K:
            edges = np.linspace(-0.9, 1.5, 49)
            counts, _ = np.histogram(xs, bins=edges)
            width = np.diff(edges)
            sims[t]["hist"] = (edges, counts / (n_chains * width), np.sqrt(counts) / (n_chains * width))
    # exact curves for the figure
    grid = np.linspace(-0.9, 1.5, 400)
    t_curve = np.arange(0, 3 * K + 1)
    kurt_curve = np.array([generator.excess_kurtosis(J, int(t), step=STEP)[0] if t > 0 else -1.2 for t in t_curve])
    return {"numbers": numbers, "kurt_quad": kurt_quad, "H_ml": H_ml, "H_q": H_q, "kl": kl, "gap_half": gap_half,
            "sims": sims, "n_chains": n_chains, "grid": grid, "log_q": lq(grid), "log_p_ml": p_ml(grid),
            "t_curve": t_curve, "kurt_curve": kurt_curve}


def evaluate(m, *, table=TABLE, z_max=Z_MAX):
    p = {}
    p["table_error"] = {key: abs(m["numbers"][key] - v) for key, v in table.items()}
    ok_table = all(p["table_error"][key] <= HALF_DIGIT[key] for key in table)
    p["kurt_quad_error"] = abs(m["kurt_quad"] - m["numbers"]["kurtosis"])
    p["identity_error"] = abs(m["kl"] - (m["H_ml"] - m["H_q"]))
    ok_det = p["kurt_quad_error"] < 1e-8 and p["identity_error"] < 1e-8 and m["H_q"] < m["H_ml"] and m["kl"] > 0
    ok_neg = abs(m["gap_half"]) > 1e-3  # off Omega the identity must fail
    phi_D = gaussian.features_of_law(np.array([MEAN_D]), np.array([[VAR_D]]))
    s = m["sims"][K]
    z_moments = (s["mean"] - phi_D) / s["se"]
    z_kurt = [(r["kurtosis"] - r["pred_kurtosis"]) / r["kurtosis_se"] for r in m["sims"].values()]
    z_gauss = s["kurtosis"] / s["kurtosis_se"]
    ok_mc, worst = decide_z(match=np.concatenate([z_moments, z_kurt]), mismatch=[z_gauss], z_max=z_max)
    p.update(z_moments=z_moments, z_kurt=np.array(z_kurt), z_gauss=z_gauss, z_worst=worst)
    p["oks"] = {"table": ok_table, "deterministic": ok_det, "negative_control": ok_neg, "mc": ok_mc}
    return all(p["oks"].values()), p


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    return controlled(result_from, measure(quick, seed))


def result_from(m, **kw) -> CheckResult:
    passed, p = evaluate(m, **kw)
    nb = m["numbers"]
    s = m["sims"][K]
    return make_result(
        __name__,
        prediction=(f"eta={STEP}, k={K}, p0=U(-1,1), data N({MEAN_D},{VAR_D}): j*={TABLE['j']}, mu_EBM={TABLE['mu_ebm']}, "
                    f"rho^k={TABLE['rho_k']}, ULA-stationary variance {TABLE['var_stationary']}; at t=k mean {MEAN_D}, "
                    f"variance {VAR_D}, excess kurtosis {TABLE['kurtosis']} (not 0); KL(q||p_ML) = H(p_ML) - H(q) > 0"),
        measurement=(f"j*={nb['j']:.6f}, mu_EBM={nb['mu_ebm']:.6f}, rho^k={nb['rho_k']:.5f}, var_inf="
                     f"{nb['var_stationary']:.6f}, kurtosis {nb['kurtosis']:.5f} (quadrature {m['kurt_quad']:.5f}); "
                     f"H(q)={m['H_q']:.6f} < H(p_ML)={m['H_ml']:.6f}, KL={m['kl']:.3e}, identity error "
                     f"{p['identity_error']:.1e} (at t=k/2 off by {m['gap_half']:.2e}); MC ({m['n_chains']} chains): "
                     f"mean {s['mean'][0]:.5f} +- {s['se'][0]:.5f}, <x^2> {s['mean'][1]:.5f} +- {s['se'][1]:.5f}, "
                     f"kurtosis {s['kurtosis']:.4f} +- {s['kurtosis_se']:.4f}; |z| moments/kurtosis "
                     f"{p['z_worst']:.2f}, kurtosis vs Gaussian z = {p['z_gauss']:.1f}"),
        passed=passed,
        z=p["z_worst"],
        error=max(p["identity_error"], p["kurt_quad_error"]),
        tolerance=(f"9.1 numbers to half a printed digit; quadrature 1e-8; MC |z| <= {Z_MAX:g} (kurtosis SE sqrt(24/M)) "
                   f"and |z| > {Z_MAX:g} against a Gaussian q"),
        details={"parts": p, "numbers": nb, "sims": {str(t): {k: v for k, v in r.items() if k != "hist"}
                                                      for t, r in m["sims"].items()}},
        data={"grid": m["grid"], "log_q": m["log_q"], "log_p_ml": m["log_p_ml"], "hist": s["hist"],
              "t_curve": m["t_curve"], "kurt_curve": m["kurt_curve"],
              "kurt_points": [(t, r["kurtosis"], r["kurtosis_se"]) for t, r in m["sims"].items()]},
        params={"step": STEP, "k": K, "p0": "U(-1,1)", "data": (MEAN_D, VAR_D), "n_chains": m["n_chains"],
                "times": TIMES},
    )


def draw(result):
    """Left: density of x_k minus the Gaussian p_ML (exact line, chain histogram with 1 SE bars).
    Right: excess kurtosis of x_t vs t (closed form, chains with 1 SE bars)."""
    from solvable import plotting

    d = result.data
    grid = np.asarray(d["grid"])
    q, p = np.exp(np.asarray(d["log_q"])), np.exp(np.asarray(d["log_p_ml"]))
    edges, dens, dens_se = (np.asarray(v) for v in d["hist"])
    mid = 0.5 * (edges[1:] + edges[:-1])
    fig, (ax, ay) = plotting.subplots(1, 2, width=10.4, height=4.6)
    ax.plot(grid, q - p, color=plotting.COLORS[0], label=r"exact $q(x)-p_{\rm ML}(x)$")
    ax.errorbar(mid, dens - np.interp(mid, grid, p), yerr=dens_se, fmt="o", ms=3, color=plotting.COLORS[1],
                label=f"chains ({result.params['n_chains']}), histogram")
    ax.axhline(0, color="k", lw=0.8, label=r"Gaussian $p_{\rm ML}=\mathcal{N}(0.3,0.25)$")
    ax.set_xlabel(r"$x$")
    ax.set_ylabel(r"density difference $q-p_{\rm ML}$")
    ax.set_title(r"$q=p_0T^k$ at $t=k$: data mean and variance, flatter than Gaussian", fontsize=10)
    plotting.legend_below(ax, ncol=2)
    t = np.asarray(d["t_curve"])
    ay.plot(t, d["kurt_curve"], color=plotting.COLORS[0], label=r"$\rho^{4t}\kappa_4(p_0)/v_t^2$ (closed form)")
    pts = np.asarray(d["kurt_points"])
    ay.errorbar(pts[:, 0], pts[:, 1], yerr=pts[:, 2], fmt="o", color=plotting.COLORS[1],
                label=r"chains (SE $\sqrt{24/M}$)")
    ay.axhline(0, color="k", lw=0.8)
    plotting.mark_k(ay, result.params["k"])
    ay.set_ylim(-1.3, 0.1)
    ay.set_xlabel(r"sampling time $t$ (ULA steps, $\eta=0.005$)")
    ay.set_ylabel("excess kurtosis of $x_t$")
    ay.set_title(r"uniform start $U(-1,1)$: kurtosis $-6/5\to0$", fontsize=10)
    ay.legend(loc="lower right", fontsize=8)
    return fig
