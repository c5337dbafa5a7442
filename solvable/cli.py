"""The ``solvable`` command: ``reproduce`` the papers' claims, run teaching ``demo``\\ s, ``bench``.

``solvable reproduce [--quick] [--only PATTERN] [--jobs N] [--scheduler ADDRESS] [--out DIR]``
runs the checks of :mod:`paper_checks` (in parallel over local processes, or on an
existing Dask cluster), prints a PASS/FAIL table, writes every figure (PNG + PDF + JSON
sidecar) and ``report.md`` / ``results.json`` into ``--out``, and exits with

* 0 when every selected check passes,
* 1 when a check fails or raises,
* 2 on a usage error (bad option, no check matching ``--only``, unsafe ``--out``).

On a terminal a progress bar names the running checks; otherwise (CI, ``| tee``) each
finished check prints one line. ``solvable --version`` prints the version;
``python -m solvable`` is the same command.

Nothing is written outside ``--out``, and every file is written atomically. A run that
fails before writing any result removes the output directory it created. The
output directory is marked with a ``.solvable-output`` file; ``solvable`` refuses to
write into an existing directory that holds other files and lacks that mark, unless
``--force`` is given, so it never overwrites a user's files by accident.
"""
from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import shlex
import sys
import time
from pathlib import Path

from ._pool import quiet_libraries, spawn_pool

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

#: File that marks a directory as written by ``solvable``.
MARKER = ".solvable-output"
#: Files that may already sit in a fresh output directory (e.g. the repository's figures/).
_HARMLESS = {".gitkeep", ".gitignore", "README.md"}
#: Figure formats ``--formats`` accepts.
_FORMATS = ("png", "pdf", "svg")


class UsageError(Exception):
    """A usage error: reported on stderr, exit status 2."""


# --------------------------------------------------------------------------------------
# output directory
# --------------------------------------------------------------------------------------
def prepare_out_dir(path, *, force=False):
    """Create or validate the output directory and mark it as ``solvable``'s.

    An existing directory is accepted when it carries :data:`MARKER`, when it holds
    only harmless files (``.gitkeep``, ``README.md``, ``.gitignore``), or with ``force``.
    Raises :class:`UsageError` otherwise.
    """
    from .provenance import atomic_write_text

    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"--out {p} exists and is not a directory")
    if p.is_dir() and not (p / MARKER).exists():
        foreign = sorted(x.name for x in p.iterdir() if x.name not in _HARMLESS)
        if foreign and not force:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise UsageError(
                f"--out {p} already exists and holds files solvable did not write ({shown}); "
                "choose a new or empty directory, or pass --force to write into it anyway"
            )
    p.mkdir(parents=True, exist_ok=True)
    if not (p / MARKER).exists():
        from . import __version__

        atomic_write_text(p / MARKER, json.dumps({"written_by": "solvable", "version": __version__}) + "\n")
    return p


# --------------------------------------------------------------------------------------
# executors
# --------------------------------------------------------------------------------------
class _Progress:
    """Progress of a run: a tqdm bar on a terminal, one line per finished check otherwise.

    The bar's label names the checks still running (a process pool runs several at once).
    When stderr is not a terminal (CI, ``| tee``) or ``--no-progress`` is given, each finished
    check prints one line on stdout: ``[3/20] PASS  name  (12.3 s)``.
    """

    def __init__(self, names, *, enabled=True, stream=None):
        from tqdm.auto import tqdm

        self.total = len(names)
        self.done = 0
        self.running = []
        stream = sys.stderr if stream is None else stream
        self.tty = bool(enabled) and hasattr(stream, "isatty") and stream.isatty()
        self.bar = tqdm(total=self.total, desc="checks", unit="check", file=stream, disable=not self.tty)

    def _label(self):
        if not self.running:
            return ""
        shown = ", ".join(self.running[:2]) + (f" +{len(self.running) - 2}" if len(self.running) > 2 else "")
        return "running " + shown

    def started(self, name):
        self.running.append(name)
        self.bar.set_postfix_str(self._label(), refresh=True)

    def finished(self, result):
        if result.name in self.running:
            self.running.remove(result.name)
        self.done += 1
        if self.tty:
            self.bar.set_postfix_str(self._label(), refresh=False)
            self.bar.update(1)
        else:
            print(f"[{self.done}/{self.total}] {result.status:<5} {result.name}  ({result.runtime_s:.1f} s)",
                  flush=True)

    def close(self):
        self.bar.close()


def _run_serial(names, *, quick, seed, out, package, meta, progress, formats):
    import paper_checks

    for name in names:
        progress.started(name)
        yield paper_checks.execute(name, quick=quick, seed=seed, out_dir=out, package=package, meta=meta,
                                   formats=formats)


def _earlier_runtimes(out, quick):
    """Runtimes (s) of checks in earlier runs: ``results.json`` in ``out``, then the one in the source
    tree's ``figures/`` -- {name: s} of the same mode, and of the other mode."""
    import paper_checks

    same, other = {}, {}
    for path in (Path(out) / "results.json",
                 Path(paper_checks.__file__).resolve().parent.parent / "figures" / "results.json"):
        try:
            checks = json.loads(path.read_text())["checks"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for r in checks if isinstance(checks, list) else []:
            t, name = r.get("runtime_s"), r.get("name")
            if isinstance(t, (int, float)) and isinstance(name, str):
                (same if bool(r.get("quick")) == bool(quick) else other).setdefault(name, float(t))
    return same, other


def longest_first(names, quick, out):
    """The order in which to hand checks to a pool of workers: longest expected run first (LPT
    scheduling: with exact times the makespan is at most 4/3 - 1/(3 jobs) of the optimum; Graham
    1969), the expected time
    being the check's runtime in an earlier run of the same mode, else of the other mode; checks
    never timed go first. Results are reported in the order of ``names`` whatever this order."""
    same, other = _earlier_runtimes(out, quick)

    def cost(n):
        return same.get(n, other.get(n, float("inf")))

    return sorted(names, key=cost, reverse=True)


def _run_pool(names, *, quick, seed, out, package, meta, progress, formats, jobs):
    import concurrent.futures as cf

    import paper_checks

    with spawn_pool(jobs) as pool:
        futures = {}
        for n in longest_first(names, quick, out):
            futures[pool.submit(paper_checks.execute, n, quick=quick, seed=seed, out_dir=out, package=package,
                                meta=meta, formats=formats)] = n
        pending = set(futures)
        while pending:
            # the pool runs `jobs` checks at a time, in submission order
            for fut in pending:
                if fut.running() and futures[fut] not in progress.running:
                    progress.started(futures[fut])
            done, pending = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                yield fut.result()


def _probe(address, timeout=5.0):
    """Fail fast (UsageError) when a tcp:// scheduler address does not accept connections."""
    import socket
    from urllib.parse import urlsplit

    if not address.startswith("tcp://"):
        return
    parts = urlsplit(address)
    try:
        with socket.create_connection((parts.hostname, parts.port or 8786), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot connect to the Dask scheduler at {address!r}: {exc}") from exc


def _run_dask(names, *, quick, seed, out, package, meta, progress, formats, address):
    """Run the checks on the Dask cluster at ``address``; draw and save on the client side."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - dask is an optional dependency
        raise UsageError("--scheduler needs dask.distributed: pip install 'solvable[dask]'") from exc
    import paper_checks

    _probe(address)
    try:
        client = Client(address, set_as_default=False, timeout="20s")
    except (OSError, ValueError, TimeoutError) as exc:
        raise UsageError(f"cannot connect to the Dask scheduler at {address!r}: {exc}") from exc
    try:
        futures = {client.submit(paper_checks.execute, n, quick=quick, seed=seed, out_dir=None, package=package,
                                 pure=False, key=f"solvable-{n}-{seed}-{time.time_ns()}"): n for n in names}
        for n in names:
            progress.started(n)  # the cluster schedules them; all are submitted
        for fut in as_completed(list(futures), loop=client.loop):
            result = fut.result()
            if result.error_message is None:
                paper_checks.save_figures(result, out, package=package, meta=meta, formats=formats)
            yield result
    finally:
        client.close()


# --------------------------------------------------------------------------------------
# subcommands
# --------------------------------------------------------------------------------------
def _reproduce(args):
    import paper_checks

    from . import report
    from .provenance import provenance

    package = args.package
    try:
        available = paper_checks.names(package)
    except ModuleNotFoundError as exc:
        raise UsageError(f"cannot import the checks package {package!r}: {exc}") from exc
    selected = paper_checks.select(args.only, package)
    if not selected:
        raise UsageError(f"no check matches --only {args.only!r}; available: {', '.join(available) or 'none'}")
    if args.list:
        for name in selected:
            info = paper_checks.describe(name, package)
            print(f"{name}\n    {info['claim']}\n    {info['source']}"
                  + (f", theory.md {info['section']}" if info["section"] else ""))
        return EXIT_OK
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
    if args.seed < 0 or args.seed >= 2**63:
        raise UsageError(f"--seed must be an integer in [0, 2**63), got {args.seed}")
    jobs = min(args.jobs or os.cpu_count() or 1, len(selected))
    formats = tuple(f.strip().lower() for f in args.formats.split(",") if f.strip())
    bad = [f for f in formats if f not in _FORMATS]
    if bad or not formats:
        raise UsageError(f"--formats must be a comma-separated subset of {', '.join(_FORMATS)}, got {args.formats!r}")
    if args.scheduler:
        _probe(args.scheduler)  # before creating --out: a failed start leaves nothing behind
    created = not Path(args.out).exists()
    out = str(prepare_out_dir(args.out, force=args.force))
    try:
        return _reproduce_into(args, out, selected, jobs, formats, paper_checks, report, provenance)
    except BaseException:
        _remove_if_empty(out, created)
        raise


def _load():
    """The machine's 1-minute load average (None where the OS does not report it)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def _remove_if_empty(out, created):
    """Remove an output directory this run created when nothing but the marker was written into it."""
    p = Path(out)
    if not created or not p.is_dir():
        return
    if sorted(x.name for x in p.iterdir()) == [MARKER]:
        (p / MARKER).unlink()
        p.rmdir()


def _reproduce_into(args, out, selected, jobs, formats, paper_checks, report, provenance):
    package = args.package
    prov = provenance()
    meta = {"solvable_version": prov["solvable_version"], "git_commit": prov["git_commit"]}
    executor = (f"dask scheduler {args.scheduler}" if args.scheduler
                else f"local, {jobs} process{'es' if jobs > 1 else ''}")
    quick = bool(args.quick)
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = _load()
    t0 = time.perf_counter()
    progress = _Progress(selected, enabled=not args.no_progress)
    kw = dict(quick=quick, seed=args.seed, out=out, package=package, meta=meta, progress=progress, formats=formats)
    if args.scheduler:
        stream = _run_dask(selected, address=args.scheduler, **kw)
    elif jobs == 1:
        stream = _run_serial(selected, **kw)
    else:
        stream = _run_pool(selected, jobs=jobs, **kw)
    by_name = {}
    try:
        for result in stream:
            by_name[result.name] = result
            progress.finished(result)
    finally:
        progress.close()
    results = [by_name[n] for n in selected]
    wall = time.perf_counter() - t0
    print(report.table(results))
    run_info = {
        "command": "solvable " + " ".join(shlex.quote(a) for a in args.argv),
        "mode": "quick" if quick else "full",
        "seed": args.seed,
        "executor": executor,
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_time_s": wall,
        "provenance": prov,
    }
    if load0 is not None:
        run_info["load_average"] = [load0, _load()]
    md, _ = report.write(results, out, run_info)
    print(f"wall time {wall:.1f} s; figures and report in {out}/ (report: {md})")
    return EXIT_OK if all(r.status == "PASS" for r in results) else EXIT_FAIL


def _demo(args):
    from . import demos

    if args.list or not args.name:
        if not args.list:
            print("solvable demo: error: name a demo (solvable demo NAME); the demos are:", file=sys.stderr)
        for name, demo in demos.DEMOS.items():
            print(f"{name:<28} {demo.title}", file=sys.stdout if args.list else sys.stderr)
        return EXIT_OK if args.list else EXIT_USAGE
    if args.name not in demos.DEMOS:
        raise UsageError(f"no demo named {args.name!r}; run 'solvable demo --list'")
    if args.seed < 0 or args.seed >= 2**63:
        raise UsageError(f"--seed must be an integer in [0, 2**63), got {args.seed}")
    created = not Path(args.out).exists()
    out = str(prepare_out_dir(args.out, force=args.force))
    print(f"demo {args.name}: {demos.DEMOS[args.name].title} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        paths = demos.run(args.name, out_dir=out, quick=args.quick, seed=args.seed)
    except BaseException:
        _remove_if_empty(out, created)
        raise
    print(f"demo {args.name} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    for p in paths:
        print(f"wrote {p}")
    return EXIT_OK


def _bench(args):
    try:
        bench = importlib.import_module("solvable.bench")
    except ModuleNotFoundError as exc:
        raise UsageError(f"the benchmarks are not available ({exc}); run from a source checkout") from exc
    entry = getattr(bench, "main", None)
    if entry is None:
        raise UsageError("bench has no main(argv) entry point yet")
    return int(entry(args.bench_args) or 0)


# --------------------------------------------------------------------------------------
# parser
# --------------------------------------------------------------------------------------
def build_parser():
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="solvable",
        description="Exactly solvable models of EBM training with non-convergent MCMC.",
    )
    parser.add_argument("--version", action="version", version=f"solvable {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    rep = sub.add_parser("reproduce", help="run the paper checks, print PASS/FAIL, write figures and report",
                         description="Run every paper check; exit 0 if all pass, 1 if any fails, 2 on usage errors.")
    rep.add_argument("--quick", action="store_true", help="quick mode (seconds per check)")
    rep.add_argument("--only", metavar="PATTERN",
                     help="run only checks whose name contains PATTERN (or matches a glob); comma-separated list")
    rep.add_argument("--jobs", "-j", type=int, metavar="N", help="local worker processes (default: all cores)")
    rep.add_argument("--scheduler", metavar="ADDRESS",
                     help="run on an existing dask.distributed cluster (e.g. tcp://host:8786)")
    rep.add_argument("--out", default="figures", metavar="DIR", help="output directory (default: figures/)")
    rep.add_argument("--seed", type=int, default=0, help="seed passed to every check (default 0)")
    rep.add_argument("--formats", default="png,pdf", metavar="LIST",
                     help="figure formats, comma-separated from png, pdf, svg (default: png,pdf)")
    rep.add_argument("--force", action="store_true",
                     help="write into an existing --out directory even if it holds other files")
    rep.add_argument("--list", action="store_true", help="list the selected checks and exit")
    rep.add_argument("--no-progress", action="store_true",
                     help="no progress bar: one line per finished check instead (the default when stderr is not a "
                          "terminal)")
    rep.add_argument("--package", default="paper_checks", help=argparse.SUPPRESS)
    rep.set_defaults(func=_reproduce)

    dem = sub.add_parser("demo", help="run a short teaching demo (see --list)")
    dem.add_argument("name", nargs="?", help="demo name")
    dem.add_argument("--list", action="store_true", help="list the demos")
    dem.add_argument("--out", default="figures", metavar="DIR", help="output directory (default: figures/)")
    dem.add_argument("--quick", action="store_true", help="smaller runs")
    dem.add_argument("--seed", type=int, default=0)
    dem.add_argument("--force", action="store_true", help="write into an existing non-solvable directory")
    dem.set_defaults(func=_demo)

    ben = sub.add_parser("bench", help="run the benchmarks (solvable bench --help; --quick: ~2 min)")
    ben.add_argument("bench_args", nargs=argparse.REMAINDER, help="arguments passed to bench")
    ben.set_defaults(func=_bench)
    return parser


def main(argv=None):
    """Entry point of the ``solvable`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv[:1] == ["bench"]:
        # everything after 'bench' (--help included) belongs to the benchmarks' own parser
        # (argparse.REMAINDER would drop leading options)
        try:
            return _bench(argparse.Namespace(command="bench", bench_args=argv[1:]))
        except UsageError as exc:
            print(f"solvable bench: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for usage errors
        return int(exc.code or 0)
    args.argv = argv
    os.environ.setdefault("MPLBACKEND", "Agg")
    quiet_libraries()
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"solvable {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted; files already written are complete, nothing half-written was left", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
