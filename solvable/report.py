"""The PASS/FAIL table and the ``report.md`` / ``results.json`` of a ``solvable reproduce`` run.

The report records provenance (package version, git commit, Python and library
versions, platform), how the run was made (command, quick/full, seed, executor,
wall time) and, per check, its claim, source, prediction, measurement, z-score or
error, verdict, run time and figures. ``results.json`` holds the same in machine
form; ``scripts/make_readme_table.py`` reads it. Both are written atomically.
"""
from __future__ import annotations

import json
import os
import platform

from .provenance import atomic_write_text, provenance


def _fmt_num(x, spec=".3g"):
    if x is None:
        return "-"
    try:
        return format(float(x), spec)
    except (TypeError, ValueError):
        return str(x)


def _score(r):
    """What decided the verdict: ``max|z|=2.04`` (Monte Carlo) or ``err=3e-12`` (deterministic)."""
    if r.z is not None:
        return f"max|z|={abs(float(r.z)):.2f}"
    if r.error is not None:
        return f"err={_fmt_num(r.error, '.2g')}"
    return "-"


#: What the score column means (printed under the terminal table and the report's summary).
SCORE_LEGEND = ("score: max|z| = largest |estimate - prediction| / SE over the predictions that must hold "
                "(PASS needs max|z| <= {z:g}; deviations a check must resolve need |z| > {z:g}); err = largest "
                "relative deviation of a deterministic prediction from an independent route (its threshold is the "
                "check's rule in report.md). Each check's rule also passed must-FAIL controls: every decision "
                "re-made with its tolerance exceeded 3x must flip to FAIL.")


def _z_max():
    try:
        from paper_checks import Z_MAX
    except ImportError:  # pragma: no cover - a checks package without the shared helpers
        return 5.0
    return Z_MAX


def _controls(r):
    c = getattr(r, "controls", None) or []
    if not c:
        return "-"
    return f"{sum(bool(x.get('flipped')) for x in c)}/{len(c)}"


def formulas(name):
    """``[(label, sympy expression)]`` of the formulas a check tests, from :mod:`solvable.symbolic`
    when that module exists and knows the check; ``[]`` otherwise (never raises)."""
    try:
        import importlib

        sym = importlib.import_module("solvable.symbolic")
        fn = getattr(sym, "check_formulas", None)
        return list(fn(name)) if callable(fn) else []
    except Exception:  # noqa: BLE001 - an optional module: a missing or failing one only hides the formulas
        return []


def table(results):
    """Plain-text PASS/FAIL table (one line per check) for the terminal."""
    w = max([len("check")] + [len(r.name) for r in results])
    lines = [f"{'check':<{w}}  {'status':<6}  {'score':>14}  {'controls':>8}  {'time':>7}  {'CPU':>7}  source",
             "-" * (w + 65)]
    for r in results:
        lines.append(f"{r.name:<{w}}  {r.status:<6}  {_score(r):>14}  {_controls(r):>8}  {r.runtime_s:6.1f}s  "
                     f"{getattr(r, 'cpu_s', float('nan')):6.1f}s  {r.source.cite()}")
        for label, expr in formulas(r.name):
            lines.append(f"{'':<{w}}    {label}: {_plain(expr)}")
    n_pass = sum(r.status == "PASS" for r in results)
    for r in results:
        if r.error_message:
            tail = r.error_message.rstrip().splitlines()[-1]
            lines.append(f"  {r.name}: ERROR: {tail}")
    lines.append("-" * (w + 65))
    lines.append(SCORE_LEGEND.format(z=_z_max()))
    lines.append(f"{n_pass}/{len(results)} checks passed")
    return "\n".join(lines)


def _md_cell(text):
    """``text`` as one markdown table cell: ``|`` escaped, newlines flattened."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _plain(expr):
    """A formula as plain text: an equation as ``lhs = rhs``."""
    lhs, rhs = getattr(expr, "lhs", None), getattr(expr, "rhs", None)
    if lhs is not None and rhs is not None and type(expr).__name__ == "Equality":
        return f"{lhs} = {rhs}"
    return str(expr)


def _latex(expr):
    try:
        import sympy

        return sympy.latex(expr)
    except Exception:  # noqa: BLE001
        return str(expr)


def markdown(results, run_info):
    """The text of ``report.md``."""
    prov = run_info.get("provenance") or provenance()
    n_pass = sum(r.status == "PASS" for r in results)
    out = ["# `solvable reproduce` report", ""]
    out.append(f"**{n_pass}/{len(results)} checks passed.**")
    out.append("")
    out.append("## Run")
    out.append("")
    for key in ("command", "mode", "seed", "executor", "started_utc", "wall_time_s", "load_average"):
        if key in run_info:
            val = run_info[key]
            if key == "wall_time_s":
                val = f"{val:.1f} s"
            elif key == "load_average":
                val = "start {:.1f}, end {:.1f} (1-minute load of the machine)".format(*val)
            out.append(f"- {key.replace('_', ' ')}: `{val}`")
    out.append("")
    out.append("## Provenance")
    out.append("")
    out.append(f"- solvable {prov['solvable_version']}, git commit `{prov['git_commit'] or 'none (not a git checkout)'}`")
    out.append(f"- Python {prov['python']} on {platform.platform()} ({os.cpu_count()} CPUs)")
    out.append("- libraries: " + ", ".join(f"{k} {v}" for k, v in prov["libraries"].items()))
    out.append("")
    out.append("## Summary")
    out.append("")
    out.append("| check | status | claim | shown by | derived here | score | controls | time (s) | CPU (s) |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        src = r.source.cite() + (f", {r.source.section}" if r.source.section else "")
        out.append(f"| [{r.name}](#{r.name.replace('_', '-')}) | **{r.status}** | {_md_cell(r.claim)} | "
                   f"{_md_cell(src)} | {_md_cell(getattr(r, 'derived', '') or '-')} | {_md_cell(_score(r))} | "
                   f"{_controls(r)} | {r.runtime_s:.2f} | {getattr(r, 'cpu_s', float('nan')):.2f} |")
    out.append("")
    out.append(_md_cell(SCORE_LEGEND.format(z=_z_max())))
    out.append("")
    out.append("## Checks")
    for r in results:
        out.append("")
        out.append(f"### {r.name}")
        out.append("")
        out.append(f"- **status**: {r.status} (seed {r.seed}, {'quick' if r.quick else 'full'} mode, "
                   f"{r.runtime_s:.2f} s wall, {getattr(r, 'cpu_s', float('nan')):.2f} s CPU)")
        out.append(f"- **claim**: {r.claim}")
        out.append(f"- **source**: {r.source.cite()}"
                   + (f" -- {r.source.title}" if r.source.title else "")
                   + (f"; theory.md {r.source.section}" if r.source.section else ""))
        if getattr(r, "derived", ""):
            out.append(f"- **derived here**: {r.derived}")
        for label, expr in formulas(r.name):
            out.append(f"- **formula** ({label}): $${_latex(expr)}$$")
        out.append(f"- **prediction**: {r.prediction}")
        out.append(f"- **measurement**: {r.measurement}")
        if r.tolerance:
            out.append(f"- **rule**: {r.tolerance}")
        ctrl = getattr(r, "controls", None) or []
        if ctrl:
            out.append(f"- **must-FAIL controls** (each decision re-made with its tolerance exceeded 3x): "
                       f"{_controls(r)} flipped the verdict"
                       + "".join(f"\n  - {'flipped' if c.get('flipped') else '**did not flip**'}: {c.get('decision')}"
                                 for c in ctrl))
        if r.params:
            out.append(f"- **parameters**: `{json.dumps(r.summary()['params'])}`")
        for p in r.figures:
            if str(p).endswith(".png"):
                out.append(f"\n![{r.name}]({os.path.basename(p)})")
        if r.error_message:
            out.append("\n```text\n" + r.error_message.rstrip() + "\n```")
    return "\n".join(out) + "\n"


def write(results, out_dir, run_info):
    """Write ``report.md`` and ``results.json`` into ``out_dir`` (atomically); return their paths."""
    info = dict(run_info)
    info.setdefault("provenance", provenance())
    md = atomic_write_text(os.path.join(out_dir, "report.md"), markdown(results, info))
    payload = {"run": info, "checks": [r.summary() for r in results]}
    js = atomic_write_text(os.path.join(out_dir, "results.json"),
                           json.dumps(payload, indent=2, default=str) + "\n")
    return md, js
