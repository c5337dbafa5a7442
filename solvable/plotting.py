"""Shared figure style and atomic, provenance-stamped figure files (provenance and the
atomic writes themselves: :mod:`solvable.provenance`).

Figures are built on :class:`matplotlib.figure.Figure` objects directly (never
``pyplot``), so drawing needs no GUI, leaves no global state and works with the
non-interactive Agg canvas whatever backend the caller has selected. Use
:func:`subplots` to create a figure in the shared style and :func:`save_figure`
to write it: each format goes to a temporary file in the target directory and is
moved into place with :func:`os.replace`, so an interrupted run never leaves a
half-written figure; a JSON sidecar records seed, parameters, package version and
git commit.

Conventions of every figure in :mod:`paper_checks`: analytic predictions are lines,
simulation results are markers with error bars (one standard error unless the
legend says otherwise), the training time ``t = k`` is a vertical dotted line.
"""
from __future__ import annotations

import contextlib
import datetime
import json
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

# provenance and atomic writes live in solvable.provenance; re-exported for existing callers
from .provenance import atomic_write, atomic_write_text, git_commit, provenance  # noqa: F401

#: Okabe-Ito colour-blind-safe palette.
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

STYLE = {
    "font.size": 10,
    "axes.labelsize": 11,
    "axes.titlesize": 11,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.prop_cycle": matplotlib.cycler(color=COLORS),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "errorbar.capsize": 2.5,
    "legend.frameon": True,
    "legend.framealpha": 0.85,
    "legend.edgecolor": "none",
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.05,
    "pdf.fonttype": 42,
    "mathtext.fontset": "dejavusans",
}

#: Width of a one-panel figure (inches); height follows the golden-ish ratio 0.62.
WIDTH = 5.2


@contextlib.contextmanager
def style():
    """Context manager applying :data:`STYLE` (used while creating and while saving)."""
    with matplotlib.rc_context(STYLE):
        yield


def subplots(nrows=1, ncols=1, *, width=None, height=None, **kwargs):
    """A new ``(Figure, axes)`` in the shared style, with constrained layout.

    Default size: :data:`WIDTH` per column (up to two columns wide) and 0.62 of a
    column width per row.

    Parameters
    ----------
    nrows, ncols : int >= 1, the grid of axes (default 1, 1)
    width : float > 0, inches, or None (the default size above)
    height : float > 0, inches, or None (the default size above)
    **kwargs : passed to ``Figure.subplots`` (``sharex``, ``sharey``, ...)

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : one Axes, or an array of them (``squeeze=True``)
    """
    w = width if width is not None else WIDTH * min(ncols, 2) if ncols > 1 else WIDTH
    h = height if height is not None else 0.62 * (w / ncols) * nrows + 0.3
    with style():
        fig = Figure(figsize=(w, h), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=True, **kwargs)
    return fig, axes


def legend_below(ax, *, ncol=2, fontsize=8, **kwargs):
    """A legend under the axes (outside the data area: it never covers points or curves).

    Parameters
    ----------
    ax : matplotlib Axes
    ncol : int >= 1, legend columns (default 2)
    fontsize : font size (default 8)
    **kwargs : passed to ``ax.legend``

    Returns
    -------
    matplotlib.legend.Legend
    """
    with style():
        return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=ncol, fontsize=fontsize, **kwargs)


def mark_k(ax, k, *, label=True):
    """Vertical dotted line at the training time ``t = k``.

    Parameters
    ----------
    ax : matplotlib Axes
    k : float, the training time
    label : bool, give the line the legend label ``t=k=...`` (default True)
    """
    with style():
        ax.axvline(k, color="0.35", ls=":", lw=1.2, label=(f"$t=k={k:g}$" if label else None), zorder=0)


def save_figure(fig, path_stem, formats=("png", "pdf"), *, metadata=None):
    """Write ``fig`` as ``path_stem.<fmt>`` for each format, plus ``path_stem.json``.

    Every file is written to a temporary file in the same directory and moved into
    place with :func:`os.replace`: a reader sees the old file or the complete new one,
    and an exception or interruption leaves no partial file. The JSON sidecar holds
    ``metadata`` (seed, parameters, ...) plus :func:`provenance` and a UTC timestamp.

    Returns the list of written paths (figures first, sidecar last).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path_stem : str or Path without suffix; its directory must exist (else FileNotFoundError)
    formats : iterable of matplotlib format names (default ``("png", "pdf")``)
    metadata : dict or None, JSON-serialisable entries for the sidecar (arrays become lists,
        other objects their str)

    Returns
    -------
    list of Path
    """
    stem = Path(path_stem)
    if not stem.parent.is_dir():
        raise FileNotFoundError(f"directory {stem.parent} does not exist")
    paths = []
    with style():
        for fmt in formats:
            target = stem.with_name(f"{stem.name}.{fmt}")
            paths.append(atomic_write(target, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt)))
    side = dict(metadata or {})
    side.setdefault("figure", stem.name)
    side["files"] = [p.name for p in paths]
    side.update({k: v for k, v in provenance().items() if k not in side})
    side["created_utc"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    paths.append(atomic_write_text(stem.with_name(f"{stem.name}.json"),
                                   json.dumps(side, indent=2, default=_json_default) + "\n"))
    return paths


def _json_default(obj):
    """JSON fallback: NumPy arrays and scalars as lists and numbers, anything else as text."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)
