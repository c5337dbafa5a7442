"""Shared machinery of the benchmarks: result rows, paired timing, the C baseline, machine info.

Timing on a shared machine: every comparison runs its contenders *side by side* in
one process, alternating them round after round (A, B, C, then B, C, A, ...), and
reports the **median of the per-round ratios** -- two contenders timed a few
milliseconds apart see the same load, so their ratio is far steadier than either time.
Per-core figures use the CPU time of the calling thread (``time.thread_time``; every
single-thread contender -- Numba with one thread, BLAS limited to one thread, the C
code, NumPy -- runs in the caller), which does not count the time the thread spends
descheduled by other processes. Scaling over threads uses wall-clock time.
"""
from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

C_DIR = Path(__file__).resolve().parent / "c"


class NotAvailable(Exception):
    """A benchmark family cannot run here (module missing, no C compiler, ...)."""


@dataclasses.dataclass
class Row:
    """One line of the results table.

    ``value`` is the measured figure (text, with its unit); ``ratio`` the dimensionless
    comparison with ``reference``; ``bar`` the target from issue 7 (``ratio >= bar``) or
    None for an informational row; ``spread`` the interquartile range of the per-round
    ratios (how noisy the pairing was).
    """

    family: str
    case: str
    value: str = ""
    reference: str = ""
    ratio: float | None = None
    spread: tuple[float, float] | None = None
    bar: float | None = None
    note: str = ""
    bar_le: bool = False  # the bar is an upper limit (ratio <= bar), e.g. seconds

    @property
    def status(self) -> str:
        if self.bar is None or self.ratio is None:
            return ""
        ok = self.ratio <= self.bar if self.bar_le else self.ratio >= self.bar
        return "PASS" if ok else "FAIL"

    def cells(self) -> list[str]:
        r = "" if self.ratio is None else _fmt(self.ratio)
        if self.spread is not None and self.ratio is not None:
            r += f" [{_fmt(self.spread[0])}-{_fmt(self.spread[1])}]"
        bar = "" if self.bar is None else ("<= " if self.bar_le else ">= ") + _fmt(self.bar)
        return [self.family, self.case, self.value, self.reference, r, bar, self.status, self.note]


HEADER = ["family", "case", "measured", "vs", "ratio [IQR]", "bar", "", "note"]


def _fmt(x: float) -> str:
    if x == 0 or 0.01 <= abs(x) < 1000:
        return f"{x:.3g}"
    return f"{x:.2e}"


def rate(x: float, unit: str) -> str:
    """1.23e+07 upd/s style."""
    return f"{x:.3g} {unit}"


# --------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------
def paired(contenders: dict, *, reps: int, clock=time.thread_time, warmup: bool = True, settle: float = 0.0) -> dict:
    """Time each callable ``reps`` times, alternating them; {name: array of seconds}.

    The order rotates every round so that no contender always runs right after the
    same neighbour. ``warmup`` runs each once first (compilation, page faults).
    ``settle`` (seconds) is slept, untimed, before each call: for multi-threaded wall-clock
    rounds, where OpenBLAS's threads keep spinning for a while after a product and take
    the cores from the next contender (measured: Langevin on 2 threads 0.40 of the 2-thread
    GEMM bound right after a product, 2.0x its 1-thread speed when timed alone).
    """
    names = list(contenders)
    if warmup:
        for f in contenders.values():
            f()
    out = {k: [] for k in names}
    for r in range(reps):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            if settle:
                time.sleep(settle)
            t0 = clock()
            contenders[name]()
            out[name].append(clock() - t0)
    return {k: np.asarray(v) for k, v in out.items()}


def ratio(times: dict, num: str, den: str) -> tuple[float, tuple[float, float]]:
    """Median and interquartile range of the per-round ratios times[num] / times[den]."""
    r = times[num] / np.maximum(times[den], 1e-12)
    return float(np.median(r)), (float(np.percentile(r, 25)), float(np.percentile(r, 75)))


def best(times: dict, name: str) -> float:
    """The median time of one contender (for absolute rates; noisy, see the module note)."""
    return float(np.median(times[name]))


@contextlib.contextmanager
def threads(n: int):
    """Numba and BLAS both limited to ``n`` threads inside the block."""
    import numba
    from threadpoolctl import threadpool_limits

    old = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(n):
            yield
    finally:
        numba.set_num_threads(old)


def max_threads() -> int:
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


# --------------------------------------------------------------------------------------
# the C baseline
# --------------------------------------------------------------------------------------
def c_compiler() -> str | None:
    """The C compiler to use: $CC, else cc, gcc or clang on the PATH; None if there is none."""
    for cand in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cand and shutil.which(cand):
            return cand
    return None


def compile_c(name: str, flags=("-O2",), tmpdir: str | None = None) -> ctypes.CDLL:
    """Compile ``solvable/bench/c/<name>.c`` into a shared library in a temporary directory and load it.

    Raises NotAvailable when there is no compiler or the compilation fails.
    """
    cc = c_compiler()
    if cc is None:
        raise NotAvailable("no C compiler (cc/gcc/clang) on the PATH")
    src = C_DIR / f"{name}.c"
    tmpdir = tmpdir or tempfile.mkdtemp(prefix="solvable-bench-")
    tag = "".join(ch for ch in "_".join(flags) if ch.isalnum() or ch == "_")
    lib = Path(tmpdir) / f"{name}{tag}.so"
    cmd = [cc, *flags, "-shared", "-fPIC", "-o", str(lib), str(src), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise NotAvailable(f"{' '.join(cmd)} failed: {proc.stderr.strip()[:300]}")
    return ctypes.CDLL(str(lib))


def compiler_version() -> str:
    cc = c_compiler()
    if cc is None:
        return "none"
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=10).stdout
        return out.splitlines()[0].strip()
    except (OSError, subprocess.SubprocessError, IndexError):
        return cc


def ptr(a: np.ndarray, ctype):
    """A ctypes pointer to the data of the C-contiguous array ``a``."""
    assert a.flags.c_contiguous
    return a.ctypes.data_as(ctypes.POINTER(ctype))


# --------------------------------------------------------------------------------------
# machine and output
# --------------------------------------------------------------------------------------
def machine_info() -> dict:
    import numba
    import scipy

    model = platform.processor() or "?"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(sorted({f"{i.get('internal_api')} {i.get('version')}" for i in threadpool_info()
                                 if i.get("user_api") == "blas"}))
    except Exception:  # noqa: BLE001 - informational only
        blas = "?"
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": model,
        "nproc": os.cpu_count(),
        "numba threads": numba.config.NUMBA_NUM_THREADS,
        "threading layer": _threading_layer(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "blas": blas,
        "cc": compiler_version(),
        "load average at start": " ".join(f"{x:.2f}" for x in load),
    }


def _threading_layer() -> str:
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        return numba.config.THREADING_LAYER


def format_table(rows: list[Row]) -> str:
    """Plain-text table with aligned columns."""
    cells = [HEADER] + [r.cells() for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(HEADER))).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(rows: list[Row], info: dict, argv: list[str], wall: float) -> str:
    out = ["# solvable benchmarks", "",
           f"Command: `solvable bench {' '.join(argv)}`; total wall time {wall:.0f} s.", "",
           "Ratios are medians of per-round paired ratios (interquartile range in brackets); "
           "see `docs/performance.md` for what each row means.", "",
           "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "/") for c in r.cells()) + " |")
    out += ["", "Machine:", ""]
    out += [f"- {k}: {v}" for k, v in info.items()]
    return "\n".join(out) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def python() -> str:
    return sys.executable
