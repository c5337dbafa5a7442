"""Performance benchmarks of solvable: ``solvable bench`` or ``python -m solvable.bench``.

The entry point is :func:`main` here (``solvable.bench.main(argv) -> int``);
``solvable/bench/__main__.py`` and the ``solvable bench`` subcommand both call it.

Every family runs its contenders side by side in this one process and reports
**ratios** (absolute times on a shared machine are noise); see ``bench/_common.py`` for
the timing method and ``docs/performance.md`` for the results and what they mean.

Families (``--only``, one module each):

==============  ========================================================================
``spins``       single-site spin updates: Numba vs C (-O2) vs vectorised NumPy; scaling
``langevin``    ULA/MALA many chains vs the GEMM bound (d = 4 ... 256)
``rbm``         RBM block Gibbs and a training epoch vs GEMM and scikit-learn
``enumeration`` exact ``ising.evolve``: time per single-site update vs memory bandwidth
``dask_sweep``  a (k, eta) training sweep on a 2-worker Dask LocalCluster vs serial
``compile``     Numba compile time, on-disk cache, ``import solvable`` time
``reproduce``   ``solvable reproduce --quick`` wall time and per-check split
==============  ========================================================================
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

FAMILIES = ("spins", "langevin", "rbm", "enumeration", "dask_sweep", "compile", "reproduce")
DEFAULT_OUT = Path("bench-results.md")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="solvable bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds (about 1-2 minutes)")
    p.add_argument("--only", action="append", metavar="FAMILY",
                   help=f"run only these families (repeat or comma-separate): {', '.join(FAMILIES)}")
    p.add_argument("--out", default=str(DEFAULT_OUT), metavar="FILE",
                   help="markdown file for the table (default ./bench-results.md; written atomically)")
    return p


def _selected(only) -> list[str]:
    if not only:
        return list(FAMILIES)
    names = [x.strip() for item in only for x in item.split(",") if x.strip()]
    bad = [x for x in names if x not in FAMILIES]
    if bad:
        raise SystemExit(f"solvable bench: unknown family {', '.join(bad)}; choose from {', '.join(FAMILIES)}")
    return [f for f in FAMILIES if f in names]


def main(argv=None) -> int:
    """Run the benchmarks; print the table and write it (markdown) to ``--out``.

    Returns 0 when every family ran (bars may FAIL: they are measurements, not tests),
    1 when a family raised, 2 on a usage error.
    """
    from ._common import NotAvailable, Row, format_table, machine_info, markdown, write_atomic

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
        families = _selected(args.only)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        return 0 if exc.code in (0, None) else 2
    info = machine_info()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    rows: list[Row] = []
    status = 0
    t0 = time.perf_counter()
    for name in families:
        t1 = time.perf_counter()
        print(f"[{name}] running ...", flush=True)
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
            if args.quick and getattr(mod, "LONG", False) and not args.only:
                new = [Row(name, "(family)", note="skipped by --quick (takes minutes): run --only " + name)]
            else:
                new = mod.run(quick=args.quick)
        except NotAvailable as exc:
            new = [Row(name, "(family)", note=f"not available yet: {exc}")]
        except Exception as exc:  # noqa: BLE001 - report and go on with the other families
            traceback.print_exc()
            new = [Row(name, "(family)", note=f"ERROR {type(exc).__name__}: {exc}")]
            status = 1
        rows += new
        print(format_table(new), flush=True)
        print(f"[{name}] {time.perf_counter() - t1:.0f} s\n", flush=True)
    wall = time.perf_counter() - t0
    print(format_table(rows))
    write_atomic(Path(args.out), markdown(rows, info, argv, wall))
    print(f"\ntotal {wall:.0f} s; table written to {args.out}")
    return status
