"""Family ``compile``: Numba compile time, the on-disk cache, and ``import solvable``.

Each measurement runs in a **fresh Python process** with ``NUMBA_CACHE_DIR`` pointing
at a new temporary directory: the first process compiles every kernel (the cost a user
pays once after installing), the second finds them in the on-disk cache (the cost of
every later process). Per kernel: the wall time of its first call, minus a second call
of the same size in the same process (so that what remains is compilation or cache
loading, not the work), in **CPU time of the process** (``time.process_time``:
compilation is single-threaded CPU work, and CPU time does not grow with the load of
other processes the way wall time does; issue 14). ``import solvable`` is timed in its own fresh processes (best
of three); bar < 1 s.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from ._common import Row

FAMILY = "compile"
ROOT = Path(__file__).resolve().parents[2]

# every public entry point that triggers a distinct kernel; missing modules are skipped
SCRIPT = textwrap.dedent(r'''
    import json, sys, time
    t0 = time.perf_counter()
    import solvable
    out = {"import solvable": time.perf_counter() - t0}
    imports = {}
    for mod in ("gaussian", "ising", "rbm"):
        t = time.perf_counter()
        try:
            __import__("solvable." + mod)
            imports[mod] = time.perf_counter() - t
        except ImportError as exc:
            imports[mod] = "unavailable: " + str(exc)
    out["imports"] = imports
    import numpy as np

    def first_call(name, f):
        try:
            t = time.process_time(); f(); t1 = time.process_time() - t
            t = time.process_time(); f(); t2 = time.process_time() - t
            out[name] = max(t1 - t2, 0.0)
        except ImportError as exc:
            out[name] = "unavailable: " + str(exc)

    def gaussian(method):
        from solvable import gaussian as G
        return lambda: G.simulate(np.eye(3), np.zeros(3), 5, 8, step=0.1, method=method, seed=0)

    def ising(dyn):
        from solvable import ising as I
        J = np.zeros((4, 4)); J[0, 1] = J[1, 0] = 0.5
        return lambda: I.simulate(J, np.zeros(4), 10, 8, dynamics=dyn, seed=0)

    def evolve(dyn):
        from solvable import ising as I
        J = np.zeros((4, 4)); J[0, 1] = J[1, 0] = 0.5
        return lambda: I.evolve(np.full(16, 1 / 16), J, np.zeros(4), 2, dynamics=dyn)

    def rbm(backend):
        from solvable import rbm as R
        return lambda: R.sample(np.zeros((4, 3)), np.zeros(4), np.zeros(3), 2, 8, seed=0, backend=backend)

    first_call("gaussian.simulate (ULA)", gaussian("ula"))
    first_call("gaussian.simulate (MALA)", gaussian("mala"))
    first_call("ising.simulate (random-heat-bath)", ising("random-heat-bath"))
    first_call("ising.evolve (sequential-heat-bath)", evolve("sequential-heat-bath"))
    first_call("ising.evolve (glauber)", evolve("glauber"))
    first_call("rbm.sample (numba)", rbm("numba"))
    first_call("rbm.sample (blas)", rbm("blas"))
    print("BENCH-JSON " + json.dumps(out))
''')

IMPORT_SCRIPT = "import time; t = time.perf_counter(); import solvable; print(time.perf_counter() - t)"


def _env(cache_dir: str | None) -> dict:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _run_script(cache_dir: str, timeout: float = 900) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=_env(cache_dir),
                          cwd=str(ROOT), timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            return json.loads(line[len("BENCH-JSON "):])
    raise RuntimeError(f"compile benchmark subprocess failed:\n{proc.stderr[-2000:]}")


def run(quick: bool = False) -> list[Row]:
    """Cold compile + cached; with ``quick`` only the cached side (the package's own cache)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="solvable-bench-cache-") as cache:
        if quick:  # no cold compile (a minute or more): warm the default cache, then time it
            _run_script(None)
            cold = warm = _run_script(None)
        else:
            cold = _run_script(cache)
            warm = _run_script(cache)
        imports = []
        for _ in range(3):
            proc = subprocess.run([sys.executable, "-c", IMPORT_SCRIPT], capture_output=True, text=True,
                                  env=_env(cache), cwd=str(ROOT), timeout=300)
            imports.append(float(proc.stdout.strip().splitlines()[-1]))
    t_import = min(imports)
    rows.append(Row(FAMILY, "import solvable (fresh process, best of 3)", f"{t_import:.2f} s", "1 s bar", t_import,
                    None, 1.0, bar_le=True, note=f"runs: {', '.join(f'{x:.2f}' for x in imports)} s"))
    for mod, tc in cold["imports"].items():
        tw = warm["imports"].get(mod)
        if isinstance(tc, str) or isinstance(tw, str):
            rows.append(Row(FAMILY, f"then import solvable.{mod}", note=str(tc)))
        else:
            rows.append(Row(FAMILY, f"then import solvable.{mod}", f"{tc:.2f} s, {tw:.2f} s in the 2nd process",
                            note="the first one pulls in numpy, scipy and numba"))
    total_cold = total_warm = 0.0
    for name, tc in cold.items():
        if name in ("import solvable", "imports"):
            continue
        tw = warm.get(name)
        if isinstance(tc, str) or isinstance(tw, str):
            rows.append(Row(FAMILY, f"first call: {name}", note=str(tc)))
            continue
        total_cold += tc
        total_warm += tw
        if quick:
            rows.append(Row(FAMILY, f"first call: {name}", f"{tw:.3f} s cached", note="--quick: no cold compile"))
        else:
            rows.append(Row(FAMILY, f"first call: {name}", f"{tc:.2f} CPU s compile, {tw:.3f} s cached",
                            "cold / cached", tc / max(tw, 1e-6), None, None))
    if quick:
        return rows
    rows.append(Row(FAMILY, "all first calls above (kernels shared between entries count once)",
                    f"{total_cold:.1f} CPU s compile, {total_warm:.2f} s cached", "cold / cached",
                    total_cold / max(total_warm, 1e-6), None, None,
                    note=f"import in the compiling process {cold['import solvable']:.2f} s"))
    return rows
