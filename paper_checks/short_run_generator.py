r"""The learned short-run chain is an affine generator: exact reconstruction, interpolation, data moments at t = k.

Claim (Nijkamp, Hill, Zhu, Wu 2019, arXiv 1904.09770, abstract: the short-run chain is a
valid generator that can reconstruct and interpolate; theory.md 3.8, 2.2): for the Gaussian
EBM at its short-run fixed point the chain :math:`x=M(z)+N_k^{1/2}\xi`, :math:`z\sim p_0`,
has the affine noise-free map :math:`M(z)=\mu_{\rm EBM}+A_k(z-\mu_{\rm EBM})`,
:math:`A_k=(I-\eta J)^k`, so

* reconstruction :math:`\arg\min_z\|x-M(z)\|^2=\mu_{\rm EBM}+A_k^{-1}(x-\mu_{\rm EBM})` is exact
  (zero residual) for every x; gradient descent reaches it with per-step contraction
  :math:`1-1/\kappa(A_k)^2` (set by :math:`A_k^2`); reconstructing the latent of a *noisy*
  sample amplifies the noise: :math:`\mathbb E\|\hat z-z\|^2=\mathrm{tr}(A_k^{-1}N_kA_k^{-1})`;
* interpolation :math:`z_\varrho=\varrho z_1+\sqrt{1-\varrho^2}z_2` keeps the covariance of
  :math:`p_0` for every :math:`\varrho` (and the mean only if :math:`m_0=0`), so the generated
  :math:`x_\varrho` keep the data moments;
* the generator's law at t = k has the data mean and covariance, and the density of the
  noise-free generator is :math:`\log q(x)=\log p_0(z)-k\log|\det(I-\eta J)|`.

Run: 2-d Gaussian data (covariance eigenvalues 0.3 and 0.9, rotated), ULA
:math:`\eta=0.05`, k = 20, :math:`p_0=\mathcal N(0,I)`, parameters from
:func:`solvable.gaussian.short_run_fixed_point`. Deterministic parts at 1e-10 (scaled by
:math:`\kappa(A_k)`); Monte Carlo parts as z-scores (|z| <= Z, and |z| > Z where a
deviation must be resolved: the mean of :math:`z_\varrho` when :math:`m_0\ne0`).
"""
from __future__ import annotations

import numpy as np

from solvable import gaussian, generator

from ._result import P2, Z_MAX, CheckResult, controlled, decide_z, make_result, mean_se, sub_seed, with_section

CLAIM = ("The short-run Gaussian EBM is an affine generator: exact reconstruction (GD rate 1 - 1/cond(A^k)^2), "
         "interpolation keeping the covariance (mean only if m0 = 0), data moments at t = k")
SOURCE = with_section(P2, "3.8, 2.2")
DERIVED = ("the affine flow map of the Gaussian short-run model, the GD reconstruction rate 1 - 1/cond(A^k)^2 and the "
           "interpolation moments")

EIGENVALUES = (0.3, 0.9)
ANGLE = np.pi / 3
MEAN = (0.6, -0.4)
STEP = 0.05
K = 20
RHOS = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)
#: training lengths of the gradient-descent conditioning sweep (cond(A^k) grows with k)
K_SWEEP = (5, 10, 20)
M0_SHIFTED = np.array([0.8, 0.8])


def data_law():
    c, s = np.cos(ANGLE), np.sin(ANGLE)
    U = np.array([[c, -s], [s, c]])
    cov = (U * np.array(EIGENVALUES)) @ U.T
    return np.array(MEAN), 0.5 * (cov + cov.T)


def _feature_z(X, target):
    f_mean, f_se = mean_se(gaussian.features(X))
    return (f_mean - target) / f_se


def _contraction(hist):
    """Per-iteration contraction of the GD error from the loss history: sqrt of the ratio of the
    last two losses still well above rounding (> 1e-16 of the start)."""
    t = int(np.flatnonzero(hist > 1e-16 * hist[0])[-1])
    return float(np.sqrt(hist[t] / hist[t - 1]))


def measure(quick=True, seed=0):
    n = 100_000 if quick else 1_000_000
    mean_D, cov_D = data_law()
    phi_D = gaussian.features_of_law(mean_D, cov_D)
    J, h = gaussian.short_run_fixed_point(mean_D, cov_D, K, step=STEP)
    fl = generator.flow(J, h, K, step=STEP)
    A = np.linalg.matrix_power(np.eye(2) - STEP * J, K)
    mu_e = np.linalg.solve(J, h)
    out = {"J": J, "h": h, "decay": fl.decay, "cond": fl.condition_number, "n": n, "mean_D": mean_D, "cov_D": cov_D}
    # the figure's interpolation path in latent space and through the noise-free flow map
    path_z = generator.interpolate(np.array([-1.8, 1.2]), np.array([1.6, 1.4]), np.linspace(0, 1, 60))
    out["path"] = {"z": path_z, "x": fl(path_z), "mu_ebm": fl.mu_ebm}

    # --- reconstruction of data points (deterministic)
    rng = np.random.default_rng(sub_seed(seed, 7401))
    x_data = rng.multivariate_normal(mean_D, cov_D, size=200)
    z_hat = generator.reconstruct(x_data, J, h, K, step=STEP)
    scale = np.abs(x_data).max()
    out["recon_residual"] = float(np.abs(fl(z_hat) - x_data).max() / scale)
    z_ref = mu_e + np.linalg.solve(A, (x_data - mu_e).T).T  # theory.md 3.8 form, by a linear solve
    out["recon_vs_formula"] = float(np.abs(z_hat - z_ref).max() / np.abs(z_ref).max())
    rate = generator.reconstruction_rate(J, K, step=STEP)
    n_gd = 200 if quick else 1000
    sweep = []
    for kk in K_SWEEP:  # same data, shorter/longer training: conditioning of the GD reconstruction
        Jk, hk = gaussian.short_run_fixed_point(mean_D, cov_D, kk, step=STEP)
        _, hist = generator.reconstruct(x_data, Jk, hk, kk, step=STEP, method="gradient", n_iter=n_gd,
                                        return_history=True)
        sweep.append({"k": kk, "history": hist, "rate": generator.reconstruction_rate(Jk, kk, step=STEP),
                      "cond": generator.flow(Jk, hk, kk, step=STEP).condition_number,
                      "rate_measured": _contraction(hist)})
    main = sweep[K_SWEEP.index(K)]
    out.update(rate=rate, sweep=sweep, gd_rate_measured=main["rate_measured"],
               gd_rates=[(r["rate_measured"], r["rate"]) for r in sweep],
               gd_iters_1e10=float(np.log(1e-10) / np.log(rate)))

    # --- noisy samples: the latent is recovered up to A^-1 noise
    x, z = generator.generate(J, h, K, n, step=STEP, route="simulate", seed=sub_seed(seed, 7402), return_latent=True)
    err = np.sum((generator.reconstruct(x, J, h, K, step=STEP) - z) ** 2, axis=1)
    Ainv = np.linalg.inv(fl.matrix)
    err_mean, err_se = mean_se(err)
    out["latent_err"] = (float(err_mean), float(err_se), float(np.trace(Ainv @ fl.noise_cov @ Ainv)))

    # --- moments at t = k, both routes
    out["z_moments_sim"] = _feature_z(x, phi_D)
    x_exact = generator.generate(J, h, K, n, step=STEP, route="exact", seed=sub_seed(seed, 7403))
    out["z_moments_exact"] = _feature_z(x_exact, phi_D)
    out["samples"] = (z[:2000], x[:2000])

    # --- noise-free density: change of variables vs the Gaussian push-forward N(b, A A^T)
    pts = x_data[:20]
    lq = generator.log_density(pts, J, h, K, step=STEP)
    Cq = fl.matrix @ fl.matrix.T
    r = np.linalg.solve(np.linalg.cholesky(Cq), (pts - fl.offset).T)
    ref = -0.5 * np.sum(r**2, axis=0) - 0.5 * np.linalg.slogdet(2 * np.pi * Cq)[1]
    out["density_error"] = float(np.abs(lq - ref).max() / np.abs(ref).max())
    out["logdet"] = (fl.log_abs_det, K * np.linalg.slogdet(np.eye(2) - STEP * J)[1])

    # --- interpolation: z_rho keeps the covariance of p0; x_rho keeps the data moments
    z1 = generator.generate(J, h, K, n, step=STEP, seed=sub_seed(seed, 7404), return_latent=True)[1]
    z2 = generator.generate(J, h, K, n, step=STEP, seed=sub_seed(seed, 7405), return_latent=True)[1]
    zr = generator.interpolate(z1, z2, np.array(RHOS))
    interp = []
    noise_rng = np.random.default_rng(sub_seed(seed, 7406))
    for i, rho in enumerate(RHOS):
        m_pred, C_pred = generator.interpolation_moments(rho, np.zeros(2), np.eye(2))
        zc = _feature_z(zr[i], gaussian.features_of_law(m_pred, C_pred))
        xr = fl(zr[i]) + (noise_rng.standard_normal((n, 2)) * np.sqrt(fl.noise_var)) @ fl.basis.T
        zx = _feature_z(xr, phi_D)
        cov = np.cov(zr[i], rowvar=False)
        interp.append({"rho": rho, "z_latent": zc, "z_images": zx, "var_z": np.diag(cov),
                       "var_z_se": np.sqrt(2.0 / (n - 1)) * np.diag(cov)})
    out["interp"] = interp
    # shifted start law: the mean of z_rho moves to (rho + sqrt(1 - rho^2)) m0
    shifted = []
    for i, rho in enumerate(RHOS):
        zs = generator.interpolate(z1 + M0_SHIFTED, z2 + M0_SHIFTED, rho)
        m_pred, _ = generator.interpolation_moments(rho, M0_SHIFTED, np.eye(2))
        zmean, se = mean_se(zs)
        shifted.append({"rho": rho, "mean": zmean, "se": se, "pred": m_pred,
                        "z_pred": (zmean - m_pred) / se, "z_m0": (zmean - M0_SHIFTED) / se})
    out["shifted"] = shifted
    return out


def evaluate(m, *, z_max=Z_MAX, rtol=1e-10):
    p = {}
    cond = m["cond"]
    p["deterministic"] = {
        "reconstruction residual": m["recon_residual"] / cond,
        "closed form vs mu_EBM + A^-k (x - mu_EBM)": m["recon_vs_formula"] / cond,
        "log q vs Gaussian push-forward": m["density_error"],
        "log|det A^k| vs k log|det(I - eta J)|": abs(m["logdet"][0] - m["logdet"][1]) / abs(m["logdet"][1]),
    }
    # the loss ratio of the last GD step isolates the slowest mode (lr = 1/max a^2 kills the other in one step)
    p["gd_rate_error"] = max(abs(a - b) / b for a, b in m["gd_rates"])
    ok_det = all(v <= rtol for v in p["deterministic"].values()) and p["gd_rate_error"] <= 1e-7
    mean_err, se_err, pred_err = m["latent_err"]
    z_latent_err = (mean_err - pred_err) / se_err
    match = [z_latent_err, *m["z_moments_sim"], *m["z_moments_exact"]]
    for r in m["interp"]:
        match.extend(r["z_latent"])
        match.extend(r["z_images"])
    mismatch = []
    for r in m["shifted"]:
        match.extend(r["z_pred"])
        if 0.0 < r["rho"] < 1.0:  # the mean only moves strictly inside (0, 1)
            mismatch.append(float(np.max(np.abs(r["z_m0"]))))
    ok_mc, worst = decide_z(match=match, mismatch=mismatch, z_max=z_max)
    p.update(z_worst=worst, z_latent_err=z_latent_err, z_mismatch=mismatch,
             oks={"deterministic": ok_det, "mc": ok_mc})
    return ok_det and ok_mc, p


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    return controlled(result_from, measure(quick, seed))


def result_from(m, **kw) -> CheckResult:
    passed, p = evaluate(m, **kw)
    det = "; ".join(f"{k} {v:.1e}" for k, v in p["deterministic"].items())
    mean_err, se_err, pred_err = m["latent_err"]
    return make_result(
        __name__,
        prediction=(f"eta={STEP}, k={K}, p0=N(0,I), data eigenvalues {EIGENVALUES}: reconstruction residual 0; GD "
                    f"contraction 1 - 1/cond(A^k)^2 = {m['rate']:.6f} (cond {m['cond']:.3f}); E|z_hat - z|^2 = "
                    f"tr(A^-k N A^-k) = {pred_err:.4f} for noisy samples; Cov z_rho = I for rho in {RHOS}, x_rho and "
                    f"x_k have the data moments; mean of z_rho = (rho + sqrt(1-rho^2)) m0 != m0 for m0 = "
                    f"{M0_SHIFTED.tolist()}"),
        measurement=(f"{det}; GD contraction {m['gd_rate_measured']:.6f} (relative error {p['gd_rate_error']:.1e}; "
                     f"{m['gd_iters_1e10']:.0f} iterations per "
                     f"1e-10); E|z_hat - z|^2 = {mean_err:.4f} +- {se_err:.4f}; max|z| of all matches {p['z_worst']:.2f}; "
                     f"shifted-mean deviation resolved with min|z| {min(p['z_mismatch']):.1f}"),
        passed=passed,
        z=p["z_worst"],
        error=max(p["deterministic"].values()),
        tolerance=(f"deterministic <= 1e-10 (residuals divided by cond(A^k)); GD rate 1e-7 relative; "
                   f"MC |z| <= {Z_MAX:g}; shifted mean |z| > {Z_MAX:g} for 0 < rho < 1"),
        details={"parts": p, "rate": m["rate"], "cond": m["cond"], "latent_err": m["latent_err"],
                 "J": m["J"], "h": m["h"]},
        data={"samples": m["samples"], "sweep": m["sweep"], "rate": m["rate"], "cond": m["cond"],
              "interp": [{k: r[k] for k in ("rho", "var_z", "var_z_se")} for r in m["interp"]],
              "shifted": [{k: r[k] for k in ("rho", "mean", "se", "pred")} for r in m["shifted"]],
              "mean_D": m["mean_D"], "cov_D": m["cov_D"], "J": m["J"], "h": m["h"], "m0_shifted": M0_SHIFTED,
              "path": m["path"]},
        params={"eigenvalues": EIGENVALUES, "angle": ANGLE, "mean": MEAN, "step": STEP, "k": K, "p0": "N(0, I)",
                "n_samples": m["n"], "rhos": RHOS},
    )


def draw(result):
    """Left: latent samples z ~ p0 and generated x (data 2-sigma ellipse, an interpolation path).
    Middle: gradient-descent reconstruction loss vs iteration with the predicted rate.
    Right: interpolation: Var z_rho (m0 = 0) and the mean of z_rho / m0 (m0 != 0) vs rho."""
    from solvable import plotting

    d = result.data
    z, x = (np.asarray(v) for v in d["samples"])
    fig, (ax, ay, az) = plotting.subplots(1, 3, width=13.5, height=4.2)
    ax.plot(z[:, 0], z[:, 1], ".", ms=1.5, color="0.7")
    ax.plot(x[:, 0], x[:, 1], ".", ms=1.5, color=plotting.COLORS[0], alpha=0.5)
    ax.plot([], [], "o", ms=4, color="0.7", label=r"latent $z\sim p_0=\mathcal{N}(0,I)$")
    ax.plot([], [], "o", ms=4, color=plotting.COLORS[0], alpha=0.6, label=r"generated $x_k$ (with noise)")
    w, U = np.linalg.eigh(np.asarray(d["cov_D"]))
    th = np.linspace(0, 2 * np.pi, 200)
    ell = np.asarray(d["mean_D"]) + (2 * np.stack([np.cos(th), np.sin(th)], 1) * np.sqrt(w)) @ U.T
    ax.plot(ell[:, 0], ell[:, 1], color="k", lw=1.4, label=r"data $2\sigma$ ellipse")
    path_z, path_x = np.asarray(d["path"]["z"]), np.asarray(d["path"]["x"])
    ax.plot(path_z[:, 0], path_z[:, 1], "--", color=plotting.COLORS[1], lw=1.2, label=r"$z_\varrho$, $\varrho: 0\to1$")
    ax.plot(path_x[:, 0], path_x[:, 1], "-", color=plotting.COLORS[1], lw=2, label=r"$M(z_\varrho)$ (noise-free)")
    ax.plot(*np.asarray(d["path"]["mu_ebm"]), "k*", ms=10, label=r"$\mu_{\rm EBM}=J^{-1}h$")
    ax.set_xlabel(r"$x_1$")
    ax.set_ylabel(r"$x_2$")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title("short-run chain as an affine generator", fontsize=10)
    ax.legend(loc="lower left", fontsize=7, framealpha=0.9, frameon=True)
    for i, r in enumerate(d["sweep"]):
        hist = np.asarray(r["history"])
        it = np.arange(hist.size)
        col = plotting.COLORS[i]
        ay.semilogy(it[::4], hist[::4], "o", ms=2.5, color=col, label=rf"$k={r['k']}$: $\kappa(A^k)={r['cond']:.1f}$")
        ay.semilogy(it[1:], hist[1] * r["rate"] ** (2 * (it[1:] - 1)), "-", lw=1, color=col)
    ay.plot([], [], "-", color="0.3", lw=1, label=r"predicted $\propto(1-1/\kappa^2)^{2t}$")
    ay.set_xlabel("gradient-descent iteration $t$")
    ay.set_ylabel(r"mean $\frac{1}{2}\|x-M(z_t)\|^2$")
    ay.set_title(r"GD reconstruction: rate set by $A^{2k}$ (closed form: exact)", fontsize=10)
    ay.legend(loc="lower left", fontsize=8)
    rhos = np.array([r["rho"] for r in d["interp"]])
    var = np.array([r["var_z"] for r in d["interp"]])
    var_se = np.array([r["var_z_se"] for r in d["interp"]])
    fine = np.linspace(0, 1, 200)
    az.plot(fine, np.ones_like(fine), color=plotting.COLORS[0], label=r"Var $z_{\varrho,i}$ predicted ($m_0=0$)")
    for i, mk in enumerate("os"):
        az.errorbar(rhos + 0.008 * (i - 0.5), var[:, i], yerr=var_se[:, i], fmt=mk, ms=4, color=plotting.COLORS[0],
                    mfc="white" if i else plotting.COLORS[0], label=rf"Var $z_{{\varrho,{i + 1}}}$ sampled")
    m0 = np.asarray(d["m0_shifted"])
    mean = np.array([r["mean"] for r in d["shifted"]]) / m0
    mse = np.array([r["se"] for r in d["shifted"]]) / m0
    az.plot(fine, fine + np.sqrt(1 - fine**2), color=plotting.COLORS[2],
            label=r"$\mathbb{E}z_\varrho/m_0=\varrho+\sqrt{1-\varrho^2}$")
    az.errorbar(rhos, mean[:, 0], yerr=mse[:, 0], fmt="^", ms=4, color=plotting.COLORS[2],
                label=rf"sampled, $m_0=({m0[0]:g},{m0[1]:g})$")
    az.set_xlabel(r"interpolation weight $\varrho$")
    az.set_ylabel("moment of the latent $z_\\varrho$")
    az.set_ylim(0.9, 1.5)
    az.set_title("interpolation keeps the covariance, not the mean", fontsize=10)
    az.legend(loc="upper left", fontsize=7.5)
    return fig
