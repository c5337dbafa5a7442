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

from .plotting import atomic_write_text, provenance


def _fmt_num(x, spec=".3g"):
    if x is None:
        return "-"
    try:
        return format(float(x), spec)
    except (TypeError, ValueError):
        return str(x)


def _score(r):
    if r.z is not None:
        return f"|z|={abs(r.z):.2f}"
    if r.error is not None:
        return f"err={_fmt_num(r.error, '.2g')}"
    return "-"


def table(results):
    """Plain-text PASS/FAIL table (one line per check) for the terminal."""
    w = max([len("check")] + [len(r.name) for r in results])
    lines = [f"{'check':<{w}}  {'status':<6}  {'score':>13}  {'time':>7}  source",
             "-" * (w + 44)]
    for r in results:
        lines.append(f"{r.name:<{w}}  {r.status:<6}  {_score(r):>13}  {r.runtime_s:6.1f}s  {r.source.cite()}")
    n_pass = sum(r.status == "PASS" for r in results)
    for r in results:
        if r.error_message:
            tail = r.error_message.rstrip().splitlines()[-1]
            lines.append(f"  {r.name}: ERROR: {tail}")
    lines.append("-" * (w + 44))
    lines.append(f"{n_pass}/{len(results)} checks passed")
    return "\n".join(lines)


def _md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(results, run_info):
    """The text of ``report.md``."""
    prov = run_info.get("provenance") or provenance()
    n_pass = sum(r.status == "PASS" for r in results)
    out = ["# `solvable reproduce` report", ""]
    out.append(f"**{n_pass}/{len(results)} checks passed.**")
    out.append("")
    out.append("## Run")
    out.append("")
    for key in ("command", "mode", "seed", "executor", "started_utc", "wall_time_s"):
        if key in run_info:
            val = run_info[key]
            if key == "wall_time_s":
                val = f"{val:.1f} s"
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
    out.append("| check | status | claim | source | z / error | time (s) |")
    out.append("|---|---|---|---|---|---|")
    for r in results:
        src = r.source.cite() + (f", {r.source.section}" if r.source.section else "")
        out.append(f"| [{r.name}](#{r.name.replace('_', '-')}) | **{r.status}** | {_md_cell(r.claim)} | "
                   f"{_md_cell(src)} | {_score(r)} | {r.runtime_s:.2f} |")
    out.append("")
    out.append("## Checks")
    for r in results:
        out.append("")
        out.append(f"### {r.name}")
        out.append("")
        out.append(f"- **status**: {r.status} (seed {r.seed}, {'quick' if r.quick else 'full'} mode, "
                   f"{r.runtime_s:.2f} s)")
        out.append(f"- **claim**: {r.claim}")
        out.append(f"- **source**: {r.source.cite()}"
                   + (f" -- {r.source.title}" if r.source.title else "")
                   + (f"; theory.md {r.source.section}" if r.source.section else ""))
        out.append(f"- **prediction**: {r.prediction}")
        out.append(f"- **measurement**: {r.measurement}")
        if r.tolerance:
            out.append(f"- **rule**: {r.tolerance}")
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
