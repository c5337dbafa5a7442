"""Every quantitative claim of the four papers as an executable check, and the registry the CLI reads.

One module per claim, named for what it checks (``short_run_matches_data_at_time_k``).
A check module exposes

* ``CLAIM`` (str) and ``SOURCE`` (:class:`paper_checks._result.Source`): what, and who showed it;
* ``DERIVED`` (str, optional): what this project derived itself (formulas, numbers);
* ``run(quick: bool = True, seed: int = 0) -> CheckResult``: computes numbers only;
* ``draw(result) -> matplotlib.figure.Figure`` (or a dict ``{suffix: Figure}``): draws
  from ``result.data`` only, so that tests test numbers and the figures are looked at.

Modules whose name starts with ``_`` are helpers, not checks. :func:`names` discovers
the checks without importing them; :func:`execute` runs one check (timing it, turning an
exception into an ``ERROR`` result) and optionally draws and saves its figures.
"""
from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import time
import traceback

from ._result import Z_MAX, CheckResult, Source, decide_close, decide_z, errored, make_result, mean_se  # noqa: F401

PACKAGE = __name__


def names(package=PACKAGE):
    """Sorted names of the check modules in ``package`` (not imported)."""
    pkg = importlib.import_module(package)
    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)
                  if not m.name.startswith("_") and not m.ispkg)


def select(patterns=None, package=PACKAGE):
    """Check names matching any of ``patterns``.

    A pattern with ``*?[`` is a shell glob on the name; otherwise a substring. Matching
    ignores case. ``patterns`` may be a comma-separated string, a list, or None (all checks).
    """
    all_names = names(package)
    if patterns is None:
        return all_names
    if isinstance(patterns, str):
        patterns = [p.strip() for p in patterns.split(",")]
    patterns = [p.lower() for p in patterns if p]
    out = []
    for n in all_names:
        low = n.lower()
        for p in patterns:
            if (any(ch in p for ch in "*?[") and fnmatch.fnmatchcase(low, p)) or (
                    not any(ch in p for ch in "*?[") and p in low):
                out.append(n)
                break
    return out


def load(name, package=PACKAGE):
    """The check module ``package.name``; it must define ``run`` and ``draw``."""
    if name not in names(package):
        raise ValueError(f"no check named {name!r}; available: {', '.join(names(package))}")
    mod = importlib.import_module(f"{package}.{name}")
    for attr in ("run", "draw"):
        if not callable(getattr(mod, attr, None)):
            raise TypeError(f"check module {mod.__name__} must define a function {attr}()")
    return mod


def describe(name, package=PACKAGE):
    """``{"name", "claim", "source", "section", "derived"}`` of a check, from its module constants."""
    mod = load(name, package)
    src = getattr(mod, "SOURCE", None)
    doc = (mod.__doc__ or "").strip()
    return {
        "name": name,
        "claim": getattr(mod, "CLAIM", doc.splitlines()[0] if doc else ""),
        "source": src.cite() if isinstance(src, Source) else str(src or ""),
        "section": getattr(src, "section", ""),
        "derived": str(getattr(mod, "DERIVED", "") or ""),
    }


def execute(name, *, quick=True, seed=0, out_dir=None, package=PACKAGE, meta=None, formats=("png", "pdf")):
    """Run one check; optionally draw and save its figures into ``out_dir``.

    Never raises for a failing or crashing check: an exception becomes a result with
    status ``ERROR`` (and ``passed=False``) carrying the traceback. The wall and CPU times of
    ``run`` are stored in ``result.runtime_s`` and ``result.cpu_s``.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        mod = load(name, package)
        result = mod.run(quick=quick, seed=seed)
        if not isinstance(result, CheckResult):
            raise TypeError(f"{name}.run must return a CheckResult, got {type(result).__name__}")
    except Exception:  # noqa: BLE001 - a crashing check is reported, not propagated
        return errored(name, traceback.format_exc(), seed=seed, quick=quick,
                       runtime_s=time.perf_counter() - t0)
    result.runtime_s = time.perf_counter() - t0
    result.cpu_s = time.process_time() - c0
    result.seed, result.quick = seed, quick
    if out_dir is not None:
        save_figures(result, out_dir, package=package, meta=meta, formats=formats)
    return result


def save_figures(result, out_dir, *, package=PACKAGE, meta=None, formats=("png", "pdf")):
    """Draw ``result`` with its module's ``draw`` and save PNG + PDF + JSON sidecar atomically.

    Fills ``result.figures``. A drawing failure turns the result into ``ERROR``.
    """
    from solvable import plotting

    try:
        mod = load(result.name, package)
        figs = mod.draw(result)
        if not isinstance(figs, dict):
            figs = {"": figs}
        paths = []
        for suffix, fig in figs.items():
            stem = result.name + (f"_{suffix}" if suffix else "")
            sidecar = {
                "check": result.name,
                "status": result.status,
                "seed": result.seed,
                "quick": result.quick,
                "params": result.params,
            }
            if meta:
                sidecar.update(meta)
            paths += plotting.save_figure(fig, f"{out_dir}/{stem}", formats=formats, metadata=sidecar)
        result.figures = [str(p) for p in paths]
    except Exception:  # noqa: BLE001
        result.error_message = "drawing the figure failed:\n" + traceback.format_exc()
    return result
