r"""Moments of a trained model's dynamics versus time, against the data and the exact law.

The claim of Agoritsas et al. (arXiv 2301.09428, theory.md section 2.2) is that a
model trained by non-persistent short runs of length k reproduces the data
statistics :math:`\langle\phi\rangle_D` at sampling time ``t = k`` and not at other
times nor at equilibrium. :func:`moments_vs_time` measures this honestly: it
runs fresh chains from the training start law through increasing times, records
the sample average of every sufficient statistic with its Monte Carlo standard
error :math:`s/\sqrt{M}`, and reports z-scores

.. math:: z_a(t) = \frac{\bar\phi_a(t) - \langle\phi_a\rangle_D}{s_a(t)/\sqrt{M}}

against the data and against the exact law (closed form or enumeration) when
the model provides one.
"""
from __future__ import annotations

import dataclasses

import numpy as np


def sample_mean_se(features):
    """Column means of ``features`` (M, p) and their standard errors ``std/sqrt(M)``.

    Parameters
    ----------
    features : array (M, p), M >= 2

    Returns
    -------
    mean : (p,) ndarray
    se : (p,) ndarray
    """
    f = np.asarray(features, dtype=float)
    m = f.shape[0]
    if m < 2:
        raise ValueError(f"need at least 2 samples for a standard error, got {m}")
    return f.mean(axis=0), f.std(axis=0, ddof=1) / np.sqrt(m)


def moment_statistics(x):
    r"""Per-sample first and second moments: :math:`x_i` and :math:`x_ix_j` for :math:`i\le j`.

    ``x`` (n, d) -> (n, d + d(d+1)/2); their averages are the mean and the raw second moment
    matrix (upper triangle), the sufficient statistics of a Gaussian or pairwise model.

    Parameters
    ----------
    x : array (n, d)

    Returns
    -------
    (n, d + d(d+1)/2) ndarray
    """
    x = np.asarray(x, dtype=float)
    iu = np.triu_indices(x.shape[1])
    return np.hstack([x, x[:, iu[0]] * x[:, iu[1]]])


def moment_labels(d):
    """Labels of :func:`moment_statistics`: ``<x0>``, ..., ``<x0 x0>``, ``<x0 x1>``, ...

    Parameters
    ----------
    d : int >= 0, the dimension

    Returns
    -------
    list of d + d(d+1)/2 str
    """
    iu = np.triu_indices(d)
    return [f"<x{i}>" for i in range(d)] + [f"<x{i} x{j}>" for i, j in zip(*iu)]


def safe_z(diff, se):
    """``diff / se`` elementwise, with z = 0 where both vanish and +-inf where only ``se`` does
    (a statistic with no spread, e.g. a pixel that is always 0): never NaN.

    Parameters
    ----------
    diff : array, the differences
    se : array broadcastable to ``diff``, standard errors >= 0

    Returns
    -------
    ndarray of the shape of ``diff``
    """
    diff = np.asarray(diff, dtype=float)
    se = np.broadcast_to(np.asarray(se, dtype=float), diff.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = diff / se
    return np.where(se > 0, z, np.where(diff == 0, 0.0, np.copysign(np.inf, diff)))


@dataclasses.dataclass(frozen=True)
class MomentComparison:
    """Sampled and exact moments at several times, with z-scores against the data.

    Arrays indexed ``[time, statistic]``; ``labels`` names the statistics.
    ``equilibrium`` is the exact equilibrium value of each statistic, or ``None``
    when the model has no normalizable equilibrium.
    """

    times: np.ndarray
    labels: list
    sampled: np.ndarray
    se: np.ndarray
    data: np.ndarray
    exact: np.ndarray | None
    equilibrium: np.ndarray | None
    k: float
    n_chains: int
    #: standard errors of the data averages, shape (p,), or None when the data averages are taken as exact
    se_data: np.ndarray | None = None
    #: whether :meth:`table` prints the equilibrium row (False for chains handed in by a user)
    show_equilibrium: bool = True

    @property
    def z_data(self):
        r"""z-scores of the sampled moments against the data, shape (T, p).

        :math:`z=(\bar\phi(t)-\bar\phi_D)/\sqrt{\mathrm{SE}(t)^2+\mathrm{SE}_D^2}`, the data term only
        when ``se_data`` is given (independent samples and data: the variances add).
        A statistic with zero sample spread (e.g. a pixel that is always 0) has z = 0
        when it equals the reference and z = inf otherwise, never NaN.
        """
        if self.se_data is None:
            return safe_z(self.sampled - self.data, self.se)
        return safe_z(self.sampled - self.data, np.sqrt(self.se**2 + np.asarray(self.se_data, dtype=float) ** 2))

    @property
    def max_z(self):
        """Largest |z| against the data at each time, shape (T,)."""
        return self.max_abs_z_data()

    @property
    def best_time(self):
        """The time whose largest |z| against the data is smallest."""
        return float(self.times[int(np.argmin(self.max_z))])

    def matches_at(self, t, z_max=5.0):
        """True when every statistic at time ``t`` (one of ``times``) is within ``z_max`` of the data."""
        i = np.flatnonzero(np.isclose(self.times, float(t)))
        if i.size == 0:
            raise ValueError(f"t must be one of the times {self.times.tolist()}, got {t!r}")
        return bool(self.max_z[i[0]] <= z_max)

    def plot(self, z_max=5.0):
        """A matplotlib Figure: largest |z| against the data versus time (band: |z| <= ``z_max``;
        dotted line: t = k when ``k`` is finite). Built without pyplot (see :mod:`solvable.plotting`)."""
        from . import plotting  # noqa: PLC0415 (matplotlib only when a figure is asked for)

        fig, ax = plotting.subplots(1, 1)
        zt = np.maximum(self.max_z, 1e-3)
        ax.axhspan(1e-3, z_max, color="0.9", zorder=0, label=rf"$|z|\leq{z_max:g}$")
        ax.plot(self.times, zt, "o-", color=plotting.COLORS[0], label=f"{self.n_chains} samples per time")
        if np.isfinite(self.k):
            plotting.mark_k(ax, self.k)
        ax.set_yscale("log")
        ax.set_ylim(bottom=max(1e-2, 0.5 * float(np.min(zt))))
        ax.set_xlabel("sampling time $t$")
        ax.set_ylabel(r"max $|z|$ over the statistics, vs data")
        ax.legend(loc="best", fontsize=8)
        return fig

    @property
    def z_exact(self):
        """z-scores of the sampled moments against the exact law (None without one)."""
        if self.exact is None:
            return None
        return safe_z(self.sampled - self.exact, self.se)

    def max_abs_z_data(self):
        return np.max(np.abs(self.z_data), axis=1)

    def error_data(self):
        """Largest |sampled - data| over the statistics, per time."""
        return np.max(np.abs(self.sampled - self.data), axis=1)

    def exact_error_data(self):
        """Largest |exact - data| per time (no Monte Carlo error), or None."""
        if self.exact is None:
            return None
        return np.max(np.abs(self.exact - self.data), axis=1)

    def equilibrium_error(self):
        """Largest |equilibrium - data|, ``inf`` when there is no equilibrium."""
        if self.equilibrium is None:
            return np.inf
        return float(np.max(np.abs(self.equilibrium - self.data)))

    def table(self):
        """A plain-text table: time, max |z| vs data, max |z| vs exact, max error."""
        zx = self.z_exact
        lines = [f"{'t':>8} {'max|z| data':>12} {'max|z| exact':>13} {'max|err| data':>14}"]
        for i, t in enumerate(self.times):
            mark = "  <- t = k" if np.isclose(t, self.k) else ""
            zxe = f"{np.max(np.abs(zx[i])):13.2f}" if zx is not None else f"{'-':>13}"
            lines.append(
                f"{t:8.3g} {np.max(np.abs(self.z_data[i])):12.2f} {zxe} {self.error_data()[i]:14.4g}{mark}"
            )
        if not self.show_equilibrium:
            return "\n".join(lines)
        eq = self.equilibrium_error()
        lines.append(f"{'equil.':>8} {'':>12} {'':>13} {eq:14.4g}" + ("  (no equilibrium)" if eq == np.inf else ""))
        return "\n".join(lines)


def moments_vs_time(times, *, start, move, features, data, labels=None, exact=None, equilibrium=None, k,
                    seed=0, data_se=None):
    """Run fresh chains through increasing ``times`` and compare their moments.

    Parameters
    ----------
    times : increasing sampling times (steps, or continuous time)
    start : ``start(seed) -> state``: fresh chains drawn from the start law p0
    move : ``move(state, dt, seed) -> state``: advance every chain by ``dt``
    features : ``features(state) -> (M, p)``: per-chain sufficient statistics
    data : (p,) data averages of the same statistics
    labels : names of the p statistics
    exact : optional ``exact(t) -> (p,)``: exact averages at time t
    equilibrium : optional (p,) exact equilibrium averages; None if none exists
    k : the training time (marked in tables and figures)
    seed : int; the chains of one call are reproducible bit for bit
    data_se : optional (p,) standard errors of ``data`` (a finite sample); added in quadrature
        to the chains' errors in :attr:`MomentComparison.z_data` (field ``se_data``)
    """
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or times.size == 0 or np.any(np.diff(times) < 0) or times[0] < 0:
        raise ValueError("times must be a non-empty increasing sequence of non-negative times")
    data = np.asarray(data, dtype=float)
    state = start((int(seed), 0))
    t_now = 0.0
    sampled, se, ex = [], [], []
    n_chains = 0
    for i, t in enumerate(times):
        if t > t_now:
            state = move(state, t - t_now, (int(seed), 1, i))
            t_now = t
        f = np.asarray(features(state), dtype=float)
        n_chains = f.shape[0]
        mu, s = sample_mean_se(f)
        sampled.append(mu)
        se.append(s)
        if exact is not None:
            ex.append(np.asarray(exact(t), dtype=float))
    if labels is None:
        labels = [f"phi{a}" for a in range(data.size)]
    return MomentComparison(
        times=times,
        labels=list(labels),
        sampled=np.array(sampled),
        se=np.array(se),
        data=data,
        exact=np.array(ex) if exact is not None else None,
        equilibrium=None if equilibrium is None else np.asarray(equilibrium, dtype=float),
        k=float(k),
        n_chains=int(n_chains),
        se_data=None if data_se is None else np.asarray(data_se, dtype=float),
    )
