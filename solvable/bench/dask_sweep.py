"""Family ``dask_sweep``: a parameter sweep on a Dask ``LocalCluster`` (2 workers) against the serial run.

The sweep is :func:`solvable.sweep.sweep` (its public API, unchanged) over a grid of
(k, eta) -- MCMC steps per update and learning rate -- of PCD-ULA training of a
Gaussian EBM in d = 8, 2000 chains, 400 updates (:func:`train_point`, 0.2-2 s each on one core). Contenders,
alternated round after round (``paired``, wall clock):

* **serial** -- ``sweep(..., jobs=1)`` in this process, Numba on one thread;
* **dask** -- ``sweep(..., client=Client(LocalCluster(n_workers=2, threads_per_worker=1)))``,
  worker processes started once before the rounds (start-up reported separately), Numba on
  one thread in each task.

Efficiency = (serial time / Dask time) / 2 per round, median and interquartile range;
1 = linear speed-up on the 2 workers. The results of both runs must be equal (the sweep's
seeds depend on the point index only), which the family checks. On a machine whose cores
are shared with other jobs the efficiency measures what the machine offered, so a
pure-arithmetic sweep (:func:`busy_point`, no memory traffic, no Numba) runs in the same
rounds as a reference.

To run the same sweep on a real cluster: ``Client("tcp://scheduler:8786")`` instead of
the LocalCluster (the workers need ``solvable`` installed), see the README section "Sweeps on a Dask cluster".
"""
from __future__ import annotations

import time

import numpy as np

from ._common import NotAvailable, Row, paired, ratio, threads

FAMILY = "dask_sweep"
LONG = False
D = 8


def _data(n: int = 2000, seed: int = 0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((D, D)) / np.sqrt(D)
    cov = np.eye(D) + 0.5 * A @ A.T
    return rng.multivariate_normal(np.linspace(-1, 1, D), cov, size=n)


def train_point(point: dict, *, seed: int) -> float:
    """PCD-ULA training at (k, eta) = (point["k"], point["eta"]); returns the final error
    max |<phi>_D - <phi>_model| (a float, so that serial and Dask results compare exactly)."""
    import numba

    from solvable import gaussian

    numba.set_num_threads(1)
    res = gaussian.train(_data(), scheme="pcd", k=int(point["k"]), step=0.05, lr=float(point["eta"]),
                         n_iter=int(point.get("n_iter", 400)), n_chains=2000, seed=seed, progress=False)
    return float(res.history["error"][-1])


def busy_point(point: dict, *, seed: int) -> float:
    """Pure arithmetic (no memory traffic), the same amount per point as ``point["work"]``
    says: what a perfectly parallel task gets from the machine right now."""
    x = 0.0
    for i in range(int(point["work"])):
        x += (i % 7) * 1e-9
    return x


def run(quick: bool = False) -> list[Row]:
    try:
        import distributed
    except ImportError as exc:
        raise NotAvailable(f"dask.distributed not installed ({exc})") from exc
    from solvable.sweep import sweep

    grid = {"k": [1, 5, 10, 20], "eta": [0.02, 0.05]}
    if quick:
        grid = {"k": [1, 10], "eta": [0.02, 0.05], "n_iter": [200]}
    busy = {"work": [3_000_000] * (4 if quick else 8)}
    reps = 3 if quick else 5
    t0 = time.perf_counter()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        startup = time.perf_counter() - t0
        # warm the workers (imports, the Numba cache) outside the timed rounds
        sweep(train_point, {"k": [1, 1], "eta": [0.02], "n_iter": [2]}, client=client, progress=False)
        results = {}

        def serial():
            with threads(1):
                results["serial"] = sweep(train_point, grid, seed=3, jobs=1, progress=False)

        def on_dask():
            results["dask"] = sweep(train_point, grid, seed=3, client=client, progress=False)

        cont = {"serial": serial, "dask": on_dask,
                "busy serial": lambda: sweep(busy_point, busy, jobs=1, progress=False),
                "busy dask": lambda: sweep(busy_point, busy, client=client, progress=False)}
        t = paired(cont, reps=reps, clock=time.perf_counter)
    if results["serial"] != results["dask"]:
        raise RuntimeError("the Dask sweep returned other numbers than the serial sweep")
    n_points = len(results["serial"])
    speed, sp = ratio(t, "serial", "dask")
    busy_speed, bsp = ratio(t, "busy serial", "busy dask")
    rel = np.median((t["serial"] / t["dask"]) / (t["busy serial"] / t["busy dask"]))
    return [
        Row(FAMILY, f"sweep of PCD-ULA training over (k, eta), {n_points} points, LocalCluster 2 workers x 1 thread",
            f"speed-up {speed:.2f} ({np.median(t['serial']):.1f} s serial)", "linear (2x)", speed / 2,
            (sp[0] / 2, sp[1] / 2), 0.8,
            note=(f"wall clock; same results as serial; cluster start-up {startup:.1f} s (not counted); "
                  f"a pure-arithmetic sweep gets {busy_speed:.2f}x [{bsp[0]:.2f}-{bsp[1]:.2f}] in the same rounds: "
                  f"relative to it {rel:.2f}")),
    ]
