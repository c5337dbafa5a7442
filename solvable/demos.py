r"""Short teaching demos for a lecture: ``solvable demo NAME`` (``solvable demo --list``).

Each demo prints what it shows, step by step, and draws one figure. They run in a
few seconds (``--quick``: even less) on a laptop. Add a demo by decorating a function
``fn(quick, seed, say) -> Figure`` with :func:`demo`; ``say`` prints a paragraph.
"""
from __future__ import annotations

import dataclasses
import textwrap
from typing import Callable

import numpy as np

DEMOS: dict = {}


@dataclasses.dataclass(frozen=True)
class Demo:
    name: str
    title: str
    function: Callable


def demo(name, title):
    """Register ``fn(quick, seed, say) -> Figure`` as the demo ``name``."""
    def register(fn):
        DEMOS[name] = Demo(name, title, fn)
        return fn
    return register


def _say(text):
    print(textwrap.fill(" ".join(text.split()), width=88))
    print()


def run(name, *, out_dir, quick=False, seed=0):
    """Run demo ``name``, print its story, save its figure into ``out_dir``; return the paths."""
    from . import plotting

    d = DEMOS[name]
    print(f"== {d.title} ==\n")
    fig = d.function(quick=quick, seed=seed, say=_say)
    return plotting.save_figure(fig, f"{out_dir}/demo_{name.replace('-', '_')}",
                                metadata={"demo": name, "quick": quick, "seed": seed})


# --------------------------------------------------------------------------------------
@demo("short-run-samples", "Why your short-run EBM samples look right but its equilibrium does not")
def short_run_samples(quick=False, seed=0, say=_say):
    """1-d Gaussian EBM trained with short runs (Agoritsas et al. 2023; theory.md 2.2, 3.3)."""
    from . import gaussian, plotting

    mu, c, eta, k = 1.5, 2.5, 0.05, 20
    rng = np.random.default_rng(seed)
    data = rng.normal(mu, np.sqrt(c), size=(5000, 1))
    say(f"""Data: {data.shape[0]} points from N({mu}, {c}). Model: E(x) = j x^2/2 - h x. Training: every
        update starts fresh chains at N(0, 1) and runs {k} ULA steps of size eta = {eta} (short-run, 'Rdm-{k}'),
        then moves (j, h) so that the chains' moments approach the data's.""")
    res = gaussian.train(data, scheme="short-run", k=k, step=eta, lr=0.5, n_iter=2000, n_chains=1,
                         engine="exact", progress=False)
    j, h = float(res.J[0, 0]), float(res.h[0])
    j_ml, h_ml = gaussian.mle(data.mean(axis=0), np.cov(data, rowvar=False, bias=True).reshape(1, 1))
    say(f"""Trained: j = {j:.4f}, h = {h:.4f}. Maximum likelihood would give j = 1/c = {float(j_ml[0, 0]):.4f},
        h = {float(h_ml[0]):.4f}. The short-run model is NOT the maximum-likelihood model.""")
    n = 20000 if quick else 200000
    x0 = rng.normal(0.0, 1.0, size=(n, 1))
    times = [k // 2, k, 4 * k, 40 * k]
    samples = {}
    x, t_now = x0, 0
    for t in times:
        x = gaussian.simulate(res.J, res.h, t - t_now, n, step=eta, x0=x, seed=seed + t)
        t_now = t
        samples[t] = x[:, 0]
    print(f"{'t':>6} {'mean':>8} {'var':>8}    (data: mean {data.mean():.3f}, var {data.var():.3f})")
    for t, s in samples.items():
        print(f"{t:6d} {s.mean():8.3f} {s.var():8.3f}" + ("   <- t = k: matches the data" if t == k else ""))
    print()
    say(f"""At t = k = {k} the samples have the data's mean and variance: the samples 'look right'. Run the
        same chains longer and they drift to the model's equilibrium, which is much wider and shifted
        (variance ~ 1/[j(1 - eta j/2)] = {1 / (j * (1 - eta * j / 2)):.2f}). The model learned a
        *dynamics* that reaches the data at exactly k steps, not a density equal to the data.""")
    fig, ax = plotting.subplots()
    bins = np.linspace(-6, 21, 136)
    grid = np.linspace(-6, 21, 400)
    ax.plot(grid, np.exp(-(grid - mu) ** 2 / (2 * c)) / np.sqrt(2 * np.pi * c), "k", lw=2, label="data law")
    for i, (t, s) in enumerate(samples.items()):
        lab = rf"chains at $t={t}$" + (r" $=k$" if t == k else (r" ($\approx$ equilibrium)" if t == times[-1] else ""))
        ax.hist(s, bins=bins, density=True, histtype="step", lw=1.5, color=plotting.COLORS[i], label=lab)
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    ax.set_title(rf"short-run EBM (ULA $\eta={eta}$, $k={k}$, start $\mathcal{{N}}(0,1)$)")
    ax.set_ylim(0, 1.45 * ax.get_ylim()[1])
    ax.legend(loc="upper right")
    return fig


@demo("pcd-ula-bias", "PCD with an unadjusted Langevin sampler learns the wrong model; MALA does not")
def pcd_ula_bias(quick=False, seed=0, say=_say):
    """1-d Gaussian trained by PCD with ULA and with MALA (theory.md 3.5)."""
    from . import gaussian, plotting

    c, eta = 1.0, 0.4
    rng = np.random.default_rng(seed)
    data = rng.normal(0.0, np.sqrt(c), size=(20000, 1))
    cov = np.cov(data, rowvar=False, bias=True).reshape(1, 1)
    say(f"""Data: N(0, {c}). Persistent chains (PCD) advanced by 5 Langevin steps of size eta = {eta} per
        update. ULA never samples the model exactly: its stationary variance is 1/[j(1 - eta j/2)],
        not 1/j. PCD matches the *sampler's* stationary law to the data, so it learns
        j(1 - eta j/2) = 1/c instead of the maximum-likelihood j = 1/c.""")
    n_iter = 800 if quick else 3000
    runs = {}
    for method in ("ula", "mala"):
        res = gaussian.train(data, scheme="pcd", k=5, step=eta, lr=0.3, n_iter=n_iter, n_chains=500,
                             method=method, seed=seed, progress=False)
        runs[method] = res.history["params"]["J"][:, 0, 0]
    j_ula = float(gaussian.persistent_fixed_point([0.0], cov, step=eta)[0][0, 0])
    j_ml = 1.0 / float(cov[0, 0])
    tail = {m: float(tr[len(tr) // 2:].mean()) for m, tr in runs.items()}
    say(f"""Tail averages: ULA-PCD j = {tail['ula']:.3f} (prediction {j_ula:.3f}); MALA-PCD j = {tail['mala']:.3f}
        (maximum likelihood {j_ml:.3f}). The Metropolis correction makes the kernel leave the model
        invariant and removes the bias; so does Jarzynski reweighting (Carbone et al. 2023).""")
    fig, ax = plotting.subplots()
    for i, (m, tr) in enumerate(runs.items()):
        ax.plot(tr, color=plotting.COLORS[i], lw=0.8, label=f"PCD with {m.upper()}")
    ax.axhline(j_ula, color=plotting.COLORS[0], ls="--", label=r"$j(1-\eta j/2)=1/c$")
    ax.axhline(j_ml, color="k", ls="--", label=r"maximum likelihood $j=1/c$")
    ax.set_xlabel("training iteration")
    ax.set_ylabel("coupling $j$")
    ax.set_title(rf"PCD, 1-d Gaussian, $c={c:g}$, $\eta={eta:g}$")
    ax.legend(loc="center right")
    return fig


@demo("cd-learns-pseudolikelihood", "CD-1 learns the pseudolikelihood estimator; CD-k approaches maximum likelihood")
def cd_learns_pseudolikelihood(quick=False, seed=0, say=_say):
    """4-spin Ising model fitted to data with 3- and 4-spin interactions (theory.md 2.4, Hyvarinen 2006)."""
    from . import ising, plotting

    n = 4
    S = ising.all_states(n)
    rng = np.random.default_rng(seed + 1)
    J = np.triu(rng.normal(0.0, 0.4, (n, n)), 1)
    J = J + J.T
    h = rng.normal(0.0, 0.3, n)
    logp = (0.5 * np.einsum("bi,ij,bj->b", S, J, S) + S @ h + 0.8 * S[:, 0] * S[:, 1] * S[:, 2]
            + 0.6 * S[:, 0] * S[:, 1] * S[:, 2] * S[:, 3])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    say("""Data: an exact law over the 16 states of 4 spins that has 3- and 4-spin interactions, so
        no pairwise Ising model reproduces it (misspecified). We compare, with exact enumeration
        (no Monte Carlo), the stationary points of maximum likelihood (ML), pseudolikelihood (PL)
        and CD-k, where k counts single-site heat-bath updates at random sites started at the data.""")
    iu = np.triu_indices(n, 1)

    def theta(Jh):
        return np.concatenate([Jh[1], Jh[0][iu]])

    t_ml = theta(ising.fit(p, scheme="mle"))
    t_pl = theta(ising.fit(p, scheme="pseudolikelihood"))
    ks = [1, 2, 4, 8, 16, 32] if quick else [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96]
    d_pl, d_ml = [], []
    print(f"{'k':>4} {'max|CD-k - PL|':>15} {'max|CD-k - ML|':>15}")
    for k in ks:
        t = theta(ising.fit(p, scheme="cd", k=k))
        d_pl.append(np.max(np.abs(t - t_pl)))
        d_ml.append(np.max(np.abs(t - t_ml)))
        print(f"{k:4d} {d_pl[-1]:15.3e} {d_ml[-1]:15.3e}")
    print()
    say(f"""CD-1 lands exactly on the pseudolikelihood estimator (difference {d_pl[0]:.1e}): one random-site
        heat-bath step from the data has expected update (1/n) grad PL. ML and PL differ by
        {np.max(np.abs(t_pl - t_ml)):.3f} here because the model is misspecified; as k grows CD-k moves
        from PL to ML. With well-specified data all of them coincide.""")
    fig, ax = plotting.subplots()
    ax.loglog(ks, np.maximum(d_pl, 1e-17), "o-", label=r"$\max|\theta_{\mathrm{CD}\text{-}k}-\theta_{\mathrm{PL}}|$")
    ax.loglog(ks, np.maximum(d_ml, 1e-17), "s-", label=r"$\max|\theta_{\mathrm{CD}\text{-}k}-\theta_{\mathrm{ML}}|$")
    ax.axhline(np.max(np.abs(t_pl - t_ml)), color="0.4", ls="--", lw=1, label=r"$\max|\theta_{\mathrm{PL}}-\theta_{\mathrm{ML}}|$")
    ax.set_xlabel(r"CD steps $k$ (random-site heat-bath updates)")
    ax.set_ylabel("parameter distance")
    ax.set_title("CD-1 = pseudolikelihood; CD-k $\\to$ ML (4 spins, exact)")
    ax.legend(loc="center right")
    return fig


@demo("jarzynski-fixes-pcd", "Jarzynski reweighting removes the ULA bias of PCD")
def jarzynski_fixes_pcd(quick=False, seed=0, say=_say):
    """1-d Gaussian: PCD with ULA vs Jarzynski-weighted ULA walkers (Carbone et al. 2023; theory.md 6.1)."""
    from . import gaussian, plotting

    c, eta, j0 = 1.0, 0.4, 2.5
    rng = np.random.default_rng(seed)
    data = rng.normal(0.0, np.sqrt(c), size=(20000, 1))
    cov = np.cov(data, rowvar=False, bias=True).reshape(1, 1)
    say(f"""Data: N(0, {c}). Both runs start from j = {j0} and move their walkers by one ULA step of size
        eta = {eta} per update. PCD uses the walkers as if they were samples of the model; Jarzynski
        gives each walker a log-weight that corrects, exactly, for the discretisation error of ULA and
        for the parameter changes (Carbone, Hua, Coste, Vanden-Eijnden 2023), and resamples when the
        effective sample size drops.""")
    n_iter = 400 if quick else 1500
    runs, ess = {}, None
    for scheme in ("pcd", "jarzynski"):
        res = gaussian.train(data, scheme=scheme, k=1, step=eta, lr=0.1, n_iter=n_iter, n_chains=1000, seed=seed,
                             J0=[[j0]], h0=[0.0], progress=False)
        runs[scheme] = res.history["params"]["J"][:, 0, 0]
        if scheme == "jarzynski":
            ess = np.asarray(res.history.get("ess", []), dtype=float)
    j_ula = float(gaussian.persistent_fixed_point([0.0], cov, step=eta)[0][0, 0])
    j_ml = 1.0 / float(cov[0, 0])
    tail = {s: float(tr[len(tr) // 2:].mean()) for s, tr in runs.items()}
    msg = "" if ess is None or ess.size == 0 else f" The ESS stayed at {np.median(ess):.0f} of 1000 walkers (median)."
    say(f"""Tail averages: PCD j = {tail['pcd']:.3f} (its biased fixed point j(1 - eta j/2) = 1/c gives {j_ula:.3f});
        Jarzynski j = {tail['jarzynski']:.3f} (maximum likelihood {j_ml:.3f}).{msg}""")
    fig, ax = plotting.subplots()
    ax.plot(runs["pcd"], color=plotting.COLORS[0], lw=0.9, label="PCD, ULA walkers")
    ax.plot(runs["jarzynski"], color=plotting.COLORS[2], lw=0.9, label="Jarzynski-weighted ULA walkers")
    ax.axhline(j_ula, color=plotting.COLORS[0], ls="--", label=r"PCD-ULA fixed point $j(1-\eta j/2)=1/c$")
    ax.axhline(j_ml, color="k", ls="--", label=r"maximum likelihood $j=1/c$")
    ax.set_xlabel("training iteration")
    ax.set_ylabel("coupling $j$")
    ax.set_title(rf"1-d Gaussian, $c={c:g}$, ULA $\eta={eta:g}$, 1000 walkers")
    ax.legend(loc="upper right")
    return fig
