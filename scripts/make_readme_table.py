#!/usr/bin/env python3
"""Generate the README table of paper checks (between ``<!-- checks:start -->`` and ``<!-- checks:end -->``).

The rows come from the registry (:mod:`paper_checks`: every check module, its claim, who
showed it (``SOURCE``) and what this project derived itself (``DERIVED``)); the status and run time of each check from the ``results.json`` written by
``solvable reproduce`` (default ``figures/results.json``). A check missing from the
results is listed as "not run". Nothing between the markers is hand-written.

Usage::

    solvable reproduce --quick            # writes figures/results.json
    python3 scripts/make_readme_table.py  # rewrites the table in README.md
    python3 scripts/make_readme_table.py --check   # exit 1 if README.md is out of date (CI)

Exit status: 0 (written, or up to date with --check), 1 (--check: out of date),
2 (README or markers missing).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- checks:start -->", "<!-- checks:end -->"


def _cell(text):
    """``text`` as one markdown table cell: ``|`` escaped, newlines flattened."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def load_results(path):
    """``(run_info, {name: check summary})`` from a results.json, or ``(None, {})`` if absent."""
    p = Path(path)
    if not p.is_file():
        return None, {}
    payload = json.loads(p.read_text(encoding="utf-8"))
    return payload.get("run", {}), {c["name"]: c for c in payload.get("checks", [])}


def table(results_path, package="paper_checks"):
    """The markdown between the markers."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import paper_checks

    run, by_name = load_results(results_path)
    lines = ["| check | claim | shown by | derived here | theory.md | status | time (s) |",
             "|---|---|---|---|---|---|---|"]
    for name in paper_checks.names(package):
        info = paper_checks.describe(name, package)
        res = by_name.get(name)
        status = f"**{res['status']}**" if res else "not run"
        rt = res.get("runtime_s") if res else None
        rt = f"{rt:.1f}" if isinstance(rt, (int, float)) else "-"
        derived = info.get("derived") or "-"
        lines.append(f"| `{name}` | {_cell(info['claim'])} | {_cell(info['source'])} | {_cell(derived)} "
                     f"| {_cell(info['section'])} | {status} | {rt} |")
    if run:
        prov = run.get("provenance", {})
        commit = prov.get("git_commit") or "no git"
        n_pass = sum(1 for c in by_name.values() if c.get("status") == "PASS")
        lines.append("")
        lines.append(f"Status from `{run.get('command', 'solvable reproduce')}` ({run.get('mode', '?')} mode, "
                     f"seed {run.get('seed', '?')}): {n_pass}/{len(by_name)} passed in "
                     f"{run.get('wall_time_s', float('nan')):.0f} s wall time, {run.get('executor', '?')}; "
                     f"solvable {prov.get('solvable_version', '?')}, commit `{commit[:12]}`, "
                     f"{run.get('started_utc', '')}.")
    else:
        lines.append("")
        lines.append("No results yet: run `solvable reproduce --quick`, then this script.")
    return "\n".join(lines)


def splice(readme_text, body):
    """``readme_text`` with the text between the markers replaced by ``body``."""
    i, j = readme_text.find(START), readme_text.find(END)
    if i < 0 or j < 0 or j < i:
        raise ValueError(f"README must contain {START} followed by {END}")
    return readme_text[: i + len(START)] + "\n" + body + "\n" + readme_text[j:]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", default=str(ROOT / "README.md"))
    parser.add_argument("--results", default=str(ROOT / "figures" / "results.json"))
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the table is out of date")
    parser.add_argument("--package", default="paper_checks", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    readme = Path(args.readme)
    if not readme.is_file():
        print(f"error: {readme} does not exist", file=sys.stderr)
        return 2
    text = readme.read_text(encoding="utf-8")
    try:
        new = splice(text, table(args.results, args.package))
    except ValueError as exc:
        print(f"error: {readme}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if new != text:
            print(f"{readme}: the checks table is out of date; run scripts/make_readme_table.py", file=sys.stderr)
            return 1
        return 0
    if new != text:
        tmp = readme.with_name(f".{readme.name}.tmp")
        tmp.write_text(new, encoding="utf-8")
        os.replace(tmp, readme)
        print(f"updated the checks table in {readme}")
    else:
        print(f"{readme}: checks table already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
