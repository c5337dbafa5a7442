"""Per-chain random streams inside jitted code.

Every chain owns a xoshiro256** state (four uint64 words, Blackman & Vigna 2018),
seeded from ``numpy.random.SeedSequence(seed).generate_state``. A chain draws only
from its own stream, so results are bit-identical whatever the number of threads
or the order in which ``prange`` schedules chains.
"""
import numpy as np

from ._jit import jit

_U11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


def chain_states(seed, n_chains, *, stream=0):
    """uint64 array (n_chains, 4) of xoshiro256** states for ``n_chains`` chains.

    ``stream`` separates independent uses of the same user seed (e.g. the start
    points and the dynamics).
    """
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(int(stream),))
    state = ss.generate_state(4 * int(n_chains), dtype=np.uint64).reshape(int(n_chains), 4)
    # an all-zero state is the one forbidden state of xoshiro; SeedSequence makes it
    # astronomically unlikely, but guard anyway
    state[np.all(state == 0, axis=1), 0] = np.uint64(0x9E3779B97F4A7C15)
    return state


@jit
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@jit
def next_u64(s):
    """Advance the stream ``s`` (uint64[4]) and return 64 random bits."""
    result = _rotl(s[1] * np.uint64(5), 7) * np.uint64(9)
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@jit
def uniform(s):
    """A double uniform on [0, 1) with 53 random bits."""
    return (next_u64(s) >> _U11) * _INV53


@jit
def randint(s, n):
    """An integer uniform on {0, ..., n-1} (multiply-shift, bias < n / 2**53)."""
    return int(uniform(s) * n)


@jit
def normal(s):
    """A standard normal draw (Marsaglia polar method; the second value is discarded)."""
    while True:
        u = 2.0 * uniform(s) - 1.0
        v = 2.0 * uniform(s) - 1.0
        q = u * u + v * v
        if 0.0 < q < 1.0:
            return u * np.sqrt(-2.0 * np.log(q) / q)
