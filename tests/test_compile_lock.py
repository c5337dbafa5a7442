"""solvable.kernels._jit.SharedCache: processes that need a kernel at the same time compile it once.

The parent holds the kernel's lock (as a process compiling it would), a child needs the kernel and
must wait; a second child compiles and saves the kernel with the lock switched off; once the
parent lets go, the first child loads the saved kernel and compiles nothing. Control: the same
child with ``SOLVABLE_COMPILE_LOCK=0`` does not wait and compiles the kernel itself.
"""
import os
import subprocess
import sys
import time

import numba
import pytest

from solvable.kernels._jit import SharedCache, jit

fcntl = pytest.importorskip("fcntl")

CHILD = r"""
import sys, time
from numba.core import event as ev
count = [0]
class L(ev.Listener):
    def on_start(self, e): count[0] += 1
    def on_end(self, e): pass
ev.register("numba:compile", L())
import numpy as np
from solvable.kernels import _rng
s = _rng.chain_states(0, 1)
if sys.argv[1] == "path":
    print(_rng.fill_normal._cache.lock_path()); sys.exit()
print("ready", flush=True)
_rng.fill_normal(s[0], np.empty(3))
print(count[0], time.time(), flush=True)
"""


def _child(mode, cache, lock="1"):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), SOLVABLE_COMPILE_LOCK=lock)
    return subprocess.Popen([sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def _result(proc):
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    n, t = out.split()[-2:]
    return int(n), float(t)


def _run_against_held_lock(tmp_path, lock):
    cache = tmp_path / "numba"
    path = _child("path", cache).communicate(timeout=600)[0].strip()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as if another process were compiling the kernel
        waiter = _child("call", cache, lock)
        assert waiter.stdout.readline().strip() == "ready"
        compiled_by_other, _ = _result(_child("call", cache, "0"))  # compiles and saves, lock ignored
        time.sleep(0.5)
        released = time.time()
    finally:
        os.close(fd)
    n, returned = _result(waiter)
    return compiled_by_other, n, returned, released


def test_a_process_waits_for_the_lock_and_loads_what_the_other_one_compiled(tmp_path):
    compiled_by_other, n, returned, released = _run_against_held_lock(tmp_path, lock="1")
    assert compiled_by_other > 0  # the second child did compile (empty cache)
    assert returned >= released  # the first child waited for the lock
    assert n == 0  # ... and then loaded the kernel instead of compiling it


def test_control_without_the_lock_the_process_compiles_the_kernel_itself(tmp_path):
    _, n, returned, released = _run_against_held_lock(tmp_path, lock="0")
    assert n > 0 and returned < released


@jit
def _adds_one(x):
    return x + 1.0


def test_a_compilation_that_raises_lets_go_of_the_lock():
    """A typing error (a string argument) raises inside the compilation, before the kernel could be
    saved; the lock must be released anyway, or other processes would wait LOCK_TIMEOUT_S for it.
    flock locks belong to an open file, so a second descriptor in this process conflicts with a
    lock still held by the cache."""
    cache = _adds_one._cache
    assert isinstance(cache, SharedCache)
    with pytest.raises(numba.core.errors.TypingError):
        _adds_one("not a number")
    fd = os.open(cache.lock_path(), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError if still held
    finally:
        os.close(fd)
    assert _adds_one(1.0) == 2.0


def test_control_a_lock_held_by_the_cache_blocks_a_second_descriptor(monkeypatch):
    """The check above can fail: while the cache holds the lock (a miss, before the save), a second
    descriptor cannot take it."""
    monkeypatch.delenv("SOLVABLE_COMPILE_LOCK", raising=False)
    cache = _adds_one._cache
    sig = (numba.types.unicode_type,)
    assert cache.load_overload(sig, _adds_one.targetctx) is None  # a miss: the lock is now held
    fd = os.open(cache.lock_path(), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
        cache.release()


def test_a_lock_held_too_long_is_given_up(tmp_path, monkeypatch):
    """After LOCK_TIMEOUT_S of waiting a process stops waiting (and compiles the kernel itself);
    control: a free lock is taken at once."""
    from solvable.kernels import _jit

    path = str(tmp_path / "kernel.nbi.lock")
    monkeypatch.setattr(_jit, "LOCK_TIMEOUT_S", 0.2)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        t0 = time.monotonic()
        assert _jit._lock(path) is None
        assert time.monotonic() - t0 >= 0.2
    finally:
        os.close(fd)
    got = _jit._lock(path)  # control: free now
    assert got is not None
    os.close(got)
