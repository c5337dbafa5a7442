r"""Parameter sweeps whose results do not depend on where they run.

:func:`sweep` evaluates ``func(point, seed=point_seed)`` at every point of a grid and
returns the results in grid order. The seed of point ``i`` is :func:`point_seed`
``(seed, i)``, derived with :class:`numpy.random.SeedSequence` from the sweep's seed and
the point's *index* only, so the numbers are the same whether the points run one after
the other, on local worker processes, or on a Dask cluster, and whatever order they
finish in (as long as ``func`` is itself deterministic given its seed, which every
simulator of :mod:`solvable` is: per-chain random streams, bit-identical for any number
of threads).

Executors, in order of precedence:

* ``client=`` a :class:`dask.distributed.Client`: one task per point on that cluster;
* ``jobs=1``: serial, in this process;
* ``jobs=N > 1``: ``N`` local worker processes (:class:`concurrent.futures.ProcessPoolExecutor`
  with the ``"spawn"`` start method, as ``solvable reproduce`` uses: forking a process
  whose Numba threads are running is unsafe). ``func`` and the points must be picklable,
  and a script that calls the sweep must guard its entry point with
  ``if __name__ == "__main__":`` (spawned workers re-import the main module);
* ``jobs=None`` (default): if called inside a task running on a Dask worker (e.g. a
  paper check submitted by ``solvable reproduce --scheduler ADDRESS``), the points fan
  out on that same cluster through :func:`distributed.worker_client`; otherwise serial
  (a check run locally already occupies one of the CLI's worker processes, and nesting
  process pools would only oversubscribe the cores).
"""
from __future__ import annotations

import itertools
import pickle
import sys
import uuid
from collections.abc import Mapping, Sequence

import numpy as np
from tqdm.auto import tqdm

from . import _validate as V

__all__ = ["sweep", "grid_points", "point_seed"]


def grid_points(grid):
    """The points of ``grid`` as a list of dicts, in sweep order.

    ``grid`` is either

    * a sequence of mappings, one per point, used as given (``[{"k": 1}, {"k": 5, "c": 2.0}]``), or
    * a mapping ``{name: sequence of values}``: the Cartesian product of the value lists,
      ordered like nested ``for`` loops over the keys in insertion order (the last key
      varies fastest): ``{"c": [0.5, 2], "k": [1, 5]}`` gives
      ``(0.5, 1), (0.5, 5), (2, 1), (2, 5)``.

    Raises ``TypeError`` for another kind of grid (a value of the mapping that is a
    scalar or a string must be wrapped in a list) and ``ValueError`` for an empty grid.

    Parameters
    ----------
    grid : sequence of mappings, or mapping name -> non-empty sequence of values

    Returns
    -------
    list of dict, one per point
    """
    if isinstance(grid, Mapping):
        if not grid:
            raise ValueError("grid is empty: a dict grid needs at least one key with a non-empty list of values")
        names = list(grid)
        values = []
        for name in names:
            v = grid[name]
            if isinstance(v, (str, bytes)) or not isinstance(v, (Sequence, np.ndarray, range)):
                raise TypeError(
                    f"grid[{name!r}] must be a list (or tuple/range/array) of values, got {type(v).__name__}; "
                    f"wrap a single value in a list: {{{name!r}: [{v!r}]}}"
                )
            v = list(v)
            if not v:
                raise ValueError(f"grid is empty: grid[{name!r}] has no values, so the Cartesian product is empty")
            values.append(v)
        return [dict(zip(names, combo)) for combo in itertools.product(*values)]
    if isinstance(grid, (str, bytes)) or not isinstance(grid, (Sequence, np.ndarray)):
        raise TypeError(
            "grid must be a list of dicts (one per point) or a dict of lists (Cartesian product), "
            f"got {type(grid).__name__}"
        )
    points = list(grid)
    if not points:
        raise ValueError("grid is empty: give at least one point")
    for i, p in enumerate(points):
        if not isinstance(p, Mapping):
            raise TypeError(f"grid[{i}] must be a dict of parameters (a grid point), got {type(p).__name__}")
    return [dict(p) for p in points]


def point_seed(seed, index):
    """The seed handed to the point with this index: a non-negative int below 2**63.

    ``SeedSequence(entropy=seed, spawn_key=(index,))`` -- the ``index``-th child of
    ``SeedSequence(seed)`` -- reduced to 63 bits. Independent across indices and of the
    executor; equal for equal ``(seed, index)``.

    Parameters
    ----------
    seed : int >= 0, the sweep's seed
    index : int >= 0, the point's index in grid order

    Returns
    -------
    int in [0, 2**63)
    """
    seed = V.seed(seed)
    index = V.integer(index, "index", low=0)
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(index,))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def _current_dask_worker():
    """The Dask worker running the current task, or None (not on a worker, or no distributed)."""
    if "distributed" not in sys.modules:  # a worker has imported it; do not pay the import otherwise
        return None
    try:
        from distributed import get_worker
    except ImportError:  # pragma: no cover - distributed half-installed
        return None
    try:
        return get_worker()
    except ValueError:  # "No worker found": not inside a task
        return None


def _add_note(exc, index, point):
    if hasattr(exc, "add_note"):
        exc.add_note(f"(raised by sweep point {index}: {point!r})")
    return exc


def _check_picklable(func, points):
    """Raise a clear TypeError when ``func`` or a point cannot be sent to a spawned process."""
    name = getattr(func, "__qualname__", repr(func))
    try:
        pickle.dumps(func)
    except Exception as exc:  # noqa: BLE001 - PicklingError, AttributeError, TypeError, ...
        raise TypeError(
            f"func {name!r} cannot be pickled ({type(exc).__name__}: {exc}), so it cannot be sent to worker "
            "processes (jobs > 1): define it at module level (not a lambda, a closure or a nested function), "
            "or use jobs=1, or a Dask client (which pickles closures with cloudpickle)"
        ) from exc
    module = getattr(func, "__module__", None)
    main = sys.modules.get("__main__")
    if module == "__main__" and not getattr(main, "__file__", None):
        raise TypeError(
            f"func {name!r} is defined in an interactive session (__main__ without a file); spawned worker "
            "processes cannot import it: move it into a module, or use jobs=1 or a Dask client"
        )
    for i, p in enumerate(points):
        try:
            pickle.dumps(p)
        except Exception as exc:  # noqa: BLE001
            raise TypeError(f"grid point {i} ({p!r}) cannot be pickled for worker processes: {exc}") from exc


def _run_serial(func, points, seeds, bar):
    out = []
    for i, (p, s) in enumerate(zip(points, seeds)):
        try:
            out.append(func(p, seed=s))
        except Exception as exc:
            raise _add_note(exc, i, p)
        bar.update(1)
    return out


def _run_processes(func, points, seeds, bar, jobs):
    import concurrent.futures as cf

    from ._pool import spawn_pool  # same worker set-up as `solvable reproduce --jobs N`

    _check_picklable(func, points)
    out = [None] * len(points)
    with spawn_pool(jobs) as pool:
        futures = {pool.submit(func, p, seed=s): i for i, (p, s) in enumerate(zip(points, seeds))}
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                out[i] = fut.result()
            except cf.process.BrokenProcessPool as exc:
                raise RuntimeError(
                    f"a sweep worker process died (point {i}: {points[i]!r}). Worker processes are spawned: a "
                    "script calling sweep(jobs > 1) must guard its entry point with `if __name__ == '__main__':`, "
                    "and func must be importable from its module in a fresh interpreter (see the error above); "
                    "a worker can also be killed by the OS for lack of memory"
                ) from exc
            except Exception as exc:
                raise _add_note(exc, i, points[i])
            bar.update(1)
    return out


def _run_dask(func, points, seeds, bar, client):
    from distributed import as_completed

    # the dashboard groups tasks by the key's prefix ("train_point-sweep")
    tag = f"{getattr(func, '__name__', 'func')}-sweep-{uuid.uuid4().hex}"
    futures = [client.submit(func, p, seed=s, pure=False, key=f"{tag}-{i}")
               for i, (p, s) in enumerate(zip(points, seeds))]
    index = {f.key: i for i, f in enumerate(futures)}
    out = [None] * len(points)
    try:
        for fut in as_completed(futures):
            i = index[fut.key]
            try:
                out[i] = fut.result()
            except Exception as exc:
                raise _add_note(exc, i, points[i])
            bar.update(1)
    except BaseException:
        client.cancel(futures)
        raise
    return out


def sweep(func, grid, *, seed=0, jobs=None, client=None, progress=True, desc="sweep") -> list:
    """Evaluate ``func(point, seed=point_seed(seed, i))`` at every grid point; results in grid order.

    Parameters
    ----------
    func : callable ``func(point: dict, *, seed: int) -> result``. Deterministic given
        its seed for the executor-independence to hold. Must be picklable (module level)
        for ``jobs > 1``; a Dask client also accepts closures (cloudpickle).
    grid : a list of dicts (one per point) or a dict of lists (Cartesian product, last
        key fastest); see :func:`grid_points`.
    seed : non-negative int; point ``i`` gets :func:`point_seed` ``(seed, i)``.
    jobs : None (default: the current Dask cluster when running inside a Dask task,
        else serial), 1 (serial) or N > 1 (N local processes, "spawn").
    client : a :class:`dask.distributed.Client` to run the points on (excludes ``jobs``).
    progress : show a tqdm bar (one tick per finished point).
    desc : label of the bar.

    Returns
    -------
    list : ``[func(point_0, seed=...), func(point_1, seed=...), ...]`` in grid order,
        whatever the order of completion.

    Raises
    ------
    ValueError : empty grid, bad ``jobs`` or ``seed``, both ``jobs`` and ``client`` given.
    TypeError : ``func`` not callable; a malformed grid; ``func`` or a point not
        picklable for local processes. An exception raised by ``func`` propagates
        unchanged, with a note naming the grid point.
    """
    if not callable(func):
        raise TypeError(f"func must be callable as func(point, seed=...), got {type(func).__name__}")
    points = grid_points(grid)
    seed = V.seed(seed)
    if jobs is not None:
        jobs = V.integer(jobs, "jobs", low=1)
    if client is not None and jobs is not None:
        raise ValueError("give either jobs (local execution) or client (a Dask cluster), not both")
    if client is not None and not callable(getattr(client, "submit", None)):
        raise TypeError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    seeds = [point_seed(seed, i) for i in range(len(points))]
    bar = tqdm(total=len(points), desc=desc, unit="point", disable=None if progress else True, leave=False)
    try:
        if client is not None:
            return _run_dask(func, points, seeds, bar, client)
        if jobs is None and _current_dask_worker() is not None:
            from distributed import worker_client

            # secede from the worker's thread pool while the points run on the cluster
            with worker_client() as wc:
                return _run_dask(func, points, seeds, bar, wc)
        n = min(jobs or 1, len(points))
        if n == 1:
            return _run_serial(func, points, seeds, bar)
        return _run_processes(func, points, seeds, bar, n)
    finally:
        bar.close()
