"""solvable.sweep: grid forms, seeds derived from (seed, index) only, identical results serial /
local processes / Dask (LocalCluster, also from inside a Dask task), grid order, error paths."""
import numpy as np
import pytest

from solvable import sweep as S


# module-level functions: picklable by reference for spawned processes
def draw_numbers(point, *, seed):
    """Deterministic given the seed: a few normals scaled by the point."""
    rng = np.random.default_rng(seed)
    return {"point": dict(point), "seed": seed, "x": point["a"] * rng.standard_normal(3) + point.get("b", 0)}


def fail_at_three(point, *, seed):
    if point["a"] == 3:
        raise RuntimeError("boom at a=3")
    return point["a"]


def gaussian_point(point, *, seed):
    """A real Numba simulation (parallel kernel) per point."""
    from solvable import gaussian

    X = gaussian.simulate([[point["j"]]], [0.0], point["k"], 300, step=0.1, seed=seed)
    return X[:, 0]


def die(point, *, seed):
    import os

    os._exit(3)


def nested(point, *, seed):
    """A task that itself sweeps (on the cluster when run on a Dask worker)."""
    inner = S.sweep(draw_numbers, {"a": [1, 2]}, seed=seed, progress=False)
    return [r["x"] for r in inner]


GRID = {"a": [1, 2, 3], "b": [10, 20]}


def _same(r1, r2):
    assert len(r1) == len(r2)
    for u, v in zip(r1, r2):
        assert u["point"] == v["point"] and u["seed"] == v["seed"]
        np.testing.assert_array_equal(u["x"], v["x"])


# ----------------------------------------------------------------------------- grids and seeds
def test_dict_grid_is_cartesian_product_last_key_fastest():
    pts = S.grid_points(GRID)
    assert pts == [{"a": 1, "b": 10}, {"a": 1, "b": 20}, {"a": 2, "b": 10}, {"a": 2, "b": 20},
                   {"a": 3, "b": 10}, {"a": 3, "b": 20}]
    assert S.grid_points({"k": range(3), "x": np.array([0.5])}) == [{"k": 0, "x": 0.5}, {"k": 1, "x": 0.5},
                                                                     {"k": 2, "x": 0.5}]


def test_list_grid_used_as_given():
    grid = [{"a": 3}, {"a": 1, "b": 5}, {"a": 3}]
    assert S.grid_points(grid) == grid
    assert S.grid_points(tuple(grid)) == grid
    assert S.grid_points(grid)[0] is not grid[0]  # copies: func may not mutate the caller's grid


def test_point_seed_is_spawned_seedsequence():
    ss = np.random.SeedSequence(7).spawn(4)[2]
    assert S.point_seed(7, 2) == int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    seeds = {S.point_seed(s, i) for s in range(5) for i in range(50)}
    assert len(seeds) == 250 and all(0 <= x < 2**63 for x in seeds)


def test_serial_results_in_grid_order_with_point_seeds():
    res = S.sweep(draw_numbers, GRID, seed=3, jobs=1, progress=False)
    assert [r["point"] for r in res] == S.grid_points(GRID)
    assert [r["seed"] for r in res] == [S.point_seed(3, i) for i in range(6)]
    assert S.sweep(draw_numbers, GRID, seed=3, progress=False)[4]["seed"] == res[4]["seed"]  # jobs=None: serial
    other = S.sweep(draw_numbers, GRID, seed=4, jobs=1, progress=False)
    assert not np.array_equal(other[0]["x"], res[0]["x"])  # the seed matters


def test_result_of_a_point_depends_only_on_seed_and_index():
    """A point's result is the same in a sub-grid holding it at the same index, whatever follows."""
    full = S.sweep(draw_numbers, GRID, seed=11, jobs=1, progress=False)
    head = S.sweep(draw_numbers, S.grid_points(GRID)[:2], seed=11, jobs=1, progress=False)
    _same(full[:2], head)


# ----------------------------------------------------------------------------- executors agree
def test_processes_match_serial():
    serial = S.sweep(draw_numbers, GRID, seed=5, jobs=1, progress=False)
    procs = S.sweep(draw_numbers, GRID, seed=5, jobs=2, progress=True)
    _same(serial, procs)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        yield client


def test_dask_matches_serial(dask_client):
    serial = S.sweep(draw_numbers, GRID, seed=5, jobs=1, progress=False)
    _same(serial, S.sweep(draw_numbers, GRID, seed=5, client=dask_client, progress=True))
    # closures are fine on Dask (cloudpickle)
    scale = 2.0
    res = S.sweep(lambda p, seed: scale * p["a"], {"a": [1, 2]}, client=dask_client, progress=False)
    assert res == [2.0, 4.0]


def test_numba_simulation_identical_on_every_executor(dask_client):
    import numba

    grid = {"j": [0.5, 2.0], "k": [1, 7]}
    serial = S.sweep(gaussian_point, grid, seed=9, jobs=1, progress=False)
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        one_thread = S.sweep(gaussian_point, grid, seed=9, jobs=1, progress=False)
    finally:
        numba.set_num_threads(old)
    on_dask = S.sweep(gaussian_point, grid, seed=9, client=dask_client, progress=False)
    for a, b, c in zip(serial, one_thread, on_dask):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert not np.array_equal(serial[0], serial[1])


def test_inside_a_dask_task_the_sweep_uses_the_cluster(dask_client):
    """jobs=None inside a Dask task: the inner points become tasks of the same cluster; same numbers."""
    local = nested({}, seed=21)
    fut = dask_client.submit(nested, {}, seed=21, pure=False)
    remote = fut.result()
    for u, v in zip(local, remote):
        np.testing.assert_array_equal(u, v)
    # the inner points ran as their own tasks on the cluster
    keys = dask_client.run_on_scheduler(lambda dask_scheduler: [str(k) for k in dask_scheduler.task_prefixes])
    assert any("draw_numbers-sweep" in k for k in keys)


def test_not_on_a_worker_means_local():
    assert S._current_dask_worker() is None


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("grid", [[], {}, {"a": []}, {"a": [1], "b": ()}])
def test_empty_grid(grid):
    with pytest.raises(ValueError, match="grid is empty"):
        S.sweep(draw_numbers, grid, progress=False)


@pytest.mark.parametrize("grid, match", [
    ({"a": 3}, r"grid\['a'\] must be a list"),
    ({"a": "abc"}, r"grid\['a'\] must be a list"),
    ([{"a": 1}, 5], r"grid\[1\] must be a dict"),
    ("a", "grid must be a list of dicts"),
    (42, "grid must be a list of dicts"),
])
def test_malformed_grid(grid, match):
    with pytest.raises(TypeError, match=match):
        S.sweep(draw_numbers, grid, progress=False)


def test_bad_arguments():
    with pytest.raises(TypeError, match="func must be callable"):
        S.sweep(None, GRID)
    with pytest.raises(ValueError, match="jobs"):
        S.sweep(draw_numbers, GRID, jobs=0)
    with pytest.raises((TypeError, ValueError), match="jobs"):
        S.sweep(draw_numbers, GRID, jobs=1.5)
    with pytest.raises(ValueError, match="seed"):
        S.sweep(draw_numbers, GRID, seed=-1)
    with pytest.raises(ValueError, match="either jobs .* or client"):
        S.sweep(draw_numbers, GRID, jobs=2, client=object())
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        S.sweep(draw_numbers, GRID, client=object())


def test_unpicklable_func_for_processes_is_explained():
    with pytest.raises(TypeError, match="cannot be pickled.*module level"):
        S.sweep(lambda p, seed: p, GRID, jobs=2, progress=False)

    def local(p, *, seed):
        return p

    with pytest.raises(TypeError, match="cannot be pickled"):
        S.sweep(local, GRID, jobs=2, progress=False)
    # the same closure is fine serially
    assert S.sweep(local, {"a": [1]}, jobs=1, progress=False) == [{"a": 1}]


def test_unpicklable_point_for_processes_is_explained():
    import threading

    with pytest.raises(TypeError, match="grid point 0 .* cannot be pickled"):
        S.sweep(draw_numbers, [{"a": 1, "lock": threading.Lock()}, {"a": 2}], jobs=2, progress=False)


def test_func_error_propagates_with_the_point(dask_client):
    for kw in ({"jobs": 1}, {"client": dask_client}):
        with pytest.raises(RuntimeError, match="boom at a=3") as info:
            S.sweep(fail_at_three, {"a": [1, 2, 3, 4]}, progress=False, **kw)
        assert any("sweep point 2" in n and "'a': 3" in n for n in getattr(info.value, "__notes__", []))


def test_dead_worker_process_is_explained():
    with pytest.raises(RuntimeError, match="worker process died.*__main__"):
        S.sweep(die, {"a": [1, 2]}, jobs=2, progress=False)


CHECK = '''
import numpy as np
from paper_checks._result import CheckResult, Source
from solvable.sweep import sweep
from tests.test_sweep import draw_numbers

CLAIM = "a check whose numbers come from a sweep"
SOURCE = Source("Nobody", "0000.00000")


def run(quick=True, seed=0):
    res = sweep(draw_numbers, {"a": [1.0, 2.0, 3.0]}, seed=seed, progress=False)
    x = np.concatenate([r["x"] for r in res])
    return CheckResult(name=__name__.rsplit(".", 1)[-1], claim=CLAIM, source=SOURCE, prediction="-",
                       measurement="-", passed=True, details={"x": x})


def draw(result):
    from solvable import plotting
    return plotting.subplots()[0]
'''


def test_reproduce_scheduler_runs_check_sweeps_on_the_cluster(tmp_path, monkeypatch):
    """`solvable reproduce --scheduler ADDRESS`: a check's sweep fans out on that cluster, same numbers."""
    import json
    import sys
    import uuid

    distributed = pytest.importorskip("dask.distributed")
    from solvable import cli

    name = f"sweepchecks_{uuid.uuid4().hex[:8]}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / name / "uses_sweep.py").write_text(CHECK)
    monkeypatch.syspath_prepend(str(tmp_path))

    def reproduce(out, *extra):
        rc = cli.main(["reproduce", "--package", name, "--out", str(tmp_path / out), "--no-progress",
                       "--formats", "png", "--seed", "4", *extra])
        assert rc == 0
        return json.loads((tmp_path / out / "results.json").read_text())["checks"][0]["details"]["x"]

    local = reproduce("local", "--jobs", "1")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster:
        remote = reproduce("dask", "--scheduler", cluster.scheduler_address)
        with distributed.Client(cluster) as client:
            prefixes = client.run_on_scheduler(lambda dask_scheduler: [str(k) for k in dask_scheduler.task_prefixes])
    assert local == remote
    assert any("draw_numbers-sweep" in k for k in prefixes)
    sys.modules.pop(name, None)
