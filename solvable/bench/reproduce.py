"""Family ``reproduce``: ``solvable reproduce --quick`` -- total wall time and the split per check.

Runs the command in a fresh process (``python -m solvable.cli reproduce --quick --out
<temporary directory> --no-progress``, default worker processes), reads the per-check
run times from the ``results.json`` it writes, and reports the total wall time, the sum
of the per-check times (> total when checks run in parallel) and each check's share.
Skipped (with a note) when the CLI or the checks are not there yet. With ``--quick``
this family runs only when named explicitly (``--only reproduce``): it takes minutes.

**Cold start** (issue 14): the command runs twice with ``NUMBA_CACHE_DIR`` pointing at a
new empty directory -- the first run compiles every kernel it uses (what a fresh install
pays), the second loads them from that cache. Besides wall time, the CPU time of the
whole process tree (``resource.getrusage(RUSAGE_CHILDREN)``, user + system) is reported:
on a shared machine wall time depends on the load, CPU time much less. Compilation cost
= cold - cached, in CPU seconds.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._common import NotAvailable, Row

FAMILY = "reproduce"
ROOT = Path(__file__).resolve().parents[2]
LONG = True  # skipped by --quick unless named with --only


def _reproduce(env: dict, tmp: str, tag: str):
    """(wall s, CPU s of the process tree, CompletedProcess, results.json payload or None)."""
    out = Path(tmp) / f"out-{tag}"
    cmd = [sys.executable, "-m", "solvable.cli", "reproduce", "--quick", "--out", str(out), "--no-progress"]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=3600)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    try:
        payload = json.loads((out / "results.json").read_text())
    except (OSError, ValueError):
        payload = None
    return wall, cpu, proc, payload


def run(quick: bool = False) -> list[Row]:
    try:
        import paper_checks  # noqa: F401
        import solvable.cli  # noqa: F401
    except ImportError as exc:
        raise NotAvailable(f"solvable.cli / paper_checks not available yet ({exc})") from exc
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with tempfile.TemporaryDirectory(prefix="solvable-bench-reproduce-") as tmp:
        env["NUMBA_CACHE_DIR"] = str(Path(tmp) / "numba-cache")
        cold_wall, cold_cpu, cold_proc, _ = _reproduce(env, tmp, "cold")
        wall, cpu, proc, payload = _reproduce(env, tmp, "cached")
        if payload is None:
            return [Row(FAMILY, "solvable reproduce --quick", f"{wall:.0f} s",
                        note=f"exit {proc.returncode}, no results.json; stderr: {proc.stderr[-300:]!r}")]
    checks = payload.get("checks", [])
    run_info = payload.get("run", {})
    times = {c.get("name", "?"): float(c.get("runtime_s", float("nan"))) for c in checks}
    status = {c.get("name", "?"): c.get("status", "?") for c in checks}
    total = sum(times.values())
    n_pass = sum(s == "PASS" for s in status.values())
    rows = [Row(FAMILY, "solvable reproduce --quick, fresh Numba cache (compiles) vs cached",
                f"{cold_cpu:.0f} / {cpu:.0f} CPU s; {cold_wall:.0f} / {wall:.0f} s wall", "cached run",
                cold_cpu / max(cpu, 1e-9), None, None,
                note=(f"compilation ~{cold_cpu - cpu:.0f} CPU s (cold - cached); exit {cold_proc.returncode} / "
                      f"{proc.returncode}")),
            Row(FAMILY, "solvable reproduce --quick (subprocess, total, cached)", f"{wall:.1f} s wall",
                note=(f"{run_info.get('executor', '?')}; reported {run_info.get('wall_time_s', float('nan')):.1f} s; "
                      f"sum of checks {total:.1f} s; {n_pass}/{len(checks)} PASS; exit {proc.returncode}"))]
    for name, t in sorted(times.items(), key=lambda kv: -kv[1]):
        rows.append(Row(FAMILY, f"  check {name}", f"{t:.1f} s", note=f"{100 * t / total:.0f}% of the sum; "
                        f"{status[name]}" if total > 0 else status[name]))
    return rows
