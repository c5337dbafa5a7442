"""Per-chain random streams inside jitted code.

Every chain owns a xoshiro256** state (four uint64 words, Blackman & Vigna 2018),
seeded from ``numpy.random.SeedSequence(seed).generate_state``. A chain draws only
from its own stream, so results are bit-identical whatever the number of threads
or the way the chains are split across threads.
"""
import numpy as np

from ._jit import jit

_U11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


def chain_states(seed, n_chains, *, stream=0):
    """uint64 array (n_chains, 4) of xoshiro256** states for ``n_chains`` chains.

    A ``numpy.random.SeedSequence(seed, spawn_key=(stream,))`` gives a 256-bit key;
    chain c's state is four splitmix64 outputs (Steele, Lea & Flood 2014) of the counter
    ``key0 + c * key1`` (key1 odd), each mixed with the key. ``stream`` separates
    independent uses of the same user seed (e.g. the start points and the dynamics).
    Expanding in jitted code costs ~10 ns per chain instead of SeedSequence's ~1 us.
    """
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(int(stream),))
    key = ss.generate_state(4, dtype=np.uint64)
    return _expand_key(key, int(n_chains))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _expand_key(key, n):
    """The (n, 4) states of :func:`chain_states` from the 256-bit ``key``: word w of chain c is the
    (w+1)-th splitmix64 output from the counter ``key[0] + c * (key[1] | 1)``, xor ``key[(w+2) % 4]``.

    NumPy over the chains (uint64 arithmetic wraps modulo 2^64 on arrays, as in C): ~0.12 s per million chains
    and nothing to compile (a jitted version cost 0.2-0.4 s of Numba compilation in 21 of the
    30 quick checks; issue 14, cold start). ``tests/test_kernels_rng.py`` checks it against a
    scalar splitmix64 written from the reference.
    """
    x = key[0] + np.arange(n, dtype=np.uint64) * (key[1] | np.uint64(1))
    out = np.empty((n, 4), dtype=np.uint64)
    for w in range(4):
        x = x + _GOLDEN
        z = x
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        out[:, w] = (z ^ (z >> np.uint64(31))) ^ key[(w + 2) % 4]
    out[~out.any(axis=1), 0] = _GOLDEN  # the one forbidden xoshiro state; astronomically unlikely
    return out


_R7 = np.uint64(7)
_R45 = np.uint64(45)
_R64 = np.uint64(64)


@jit
def _rotl(x, k):
    """x rotated left by k bits (uint64 x and k: one specialisation; integer-literal shift counts
    made Numba compile one per count)."""
    return (x << k) | (x >> (_R64 - k))


@jit
def _xoshiro(s0, s1, s2, s3):
    """One xoshiro256** step on a state held in four scalars: (64 random bits, new state).

    The one definition of the generator. Kernels that draw many numbers in a row keep
    the state in these scalars (registers) and write it back once, see :func:`fill_normal`;
    going through the array ``s`` on every draw costs a store-to-load round trip each time.
    """
    result = _rotl(s1 * np.uint64(5), _R7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, _R45)
    return result, s0, s1, s2, s3


@jit
def next_u64(s):
    """Advance the stream ``s`` (uint64[4]) and return 64 random bits."""
    result, s[0], s[1], s[2], s[3] = _xoshiro(s[0], s[1], s[2], s[3])
    return result


@jit
def _uniform_bits(u):
    """The double on [0, 1) made of the top 53 bits of the 64-bit draw ``u``."""
    return (u >> _U11) * _INV53


#: public names of the generator step and the bits-to-double map, for kernels that keep a
#: stream in four scalars over a long loop (as :func:`fill_normal` does): ``u, s0, s1, s2, s3 =
#: xoshiro_step(s0, s1, s2, s3)``, ``bits_to_uniform(u)`` -- the draws of :func:`next_u64` / :func:`uniform`
xoshiro_step = _xoshiro
bits_to_uniform = _uniform_bits


@jit
def uniform(s):
    """A double uniform on [0, 1) with 53 random bits."""
    return _uniform_bits(next_u64(s))


@jit
def randint(s, n):
    """An integer uniform on {0, ..., n-1} (multiply-shift, bias < n / 2**53)."""
    return int(uniform(s) * n)


# --------------------------------------------------------------------------------------
# normal draws: the 256-layer ziggurat (Marsaglia & Tsang 2000, J. Stat. Softw. 5(8);
# constants of Doornik 2005, the layout numpy's Generator uses)
# --------------------------------------------------------------------------------------
_ZIG_R = 3.6541528853610088  # start of the tail
_ZIG_INV_R = 1.0 / _ZIG_R
_ZIG_V = 0.00492867323399  # area of each layer
_M52 = np.uint64(0x000FFFFFFFFFFFFF)


def _ziggurat_tables():
    """(ki, wi, fi) of the 256-layer ziggurat for 52-bit magnitudes (Marsaglia & Tsang's zigset).

    Layer i spans [0, x_i] with f(x_i) = exp(-x_i^2 / 2) = fi[i]; a draw u * x_i (u uniform on
    [0, 1) with 52 bits) is accepted at once when u * 2^52 < ki[i] = 2^52 x_{i-1} / x_i.
    Layer 0 is the base strip plus the tail beyond _ZIG_R.
    """
    m1 = 2.0**52
    dn = tn = _ZIG_R
    q = _ZIG_V / np.exp(-0.5 * dn * dn)
    ki = np.zeros(256, dtype=np.int64)
    wi = np.zeros(256)
    fi = np.zeros(256)
    ki[0] = int((dn / q) * m1)
    wi[0] = q / m1
    wi[255] = dn / m1
    fi[0] = 1.0
    fi[255] = np.exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = np.sqrt(-2.0 * np.log(_ZIG_V / dn + np.exp(-0.5 * dn * dn)))
        ki[i + 1] = int((dn / tn) * m1)
        tn = dn
        fi[i] = np.exp(-0.5 * dn * dn)
        wi[i] = dn / m1
    return ki, wi, fi


_ZIG_K, _ZIG_W, _ZIG_F = _ziggurat_tables()


@jit
def _normal_slow(idx, rabs, x, s0, s1, s2, s3):
    """The rare (~1.2%) branch of the ziggurat: the tail (layer 0) or a wedge test.

    Returns (accepted, value, state); when not accepted the caller draws afresh.
    """
    if idx == 0:  # tail beyond R (Marsaglia 1964)
        while True:
            u, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
            xx = -_ZIG_INV_R * np.log1p(-_uniform_bits(u))
            u, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
            yy = -np.log1p(-_uniform_bits(u))
            if yy + yy > xx * xx:
                x = -(_ZIG_R + xx) if (rabs >> 8) & 1 else _ZIG_R + xx
                return True, x, s0, s1, s2, s3
    u, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
    if (_ZIG_F[idx - 1] - _ZIG_F[idx]) * _uniform_bits(u) + _ZIG_F[idx] < np.exp(-0.5 * x * x):
        return True, x, s0, s1, s2, s3
    return False, x, s0, s1, s2, s3


@jit
def _normal(s0, s1, s2, s3):
    """A standard normal draw from the state (s0..s3): (value, new state).

    One 64-bit draw gives the layer (8 bits), the sign (1 bit) and the magnitude (52 bits);
    98.8% of draws are accepted at once. The sign is applied by a multiplication, not a
    branch (a 50/50 branch mispredicts every other draw).
    """
    while True:
        r, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        idx = np.intp(r & np.uint64(0xFF))
        rabs = np.int64((r >> np.uint64(9)) & _M52)
        sign = 1.0 - 2.0 * np.float64(np.int64((r >> np.uint64(8)) & np.uint64(1)))
        x = rabs * _ZIG_W[idx] * sign
        if rabs < _ZIG_K[idx]:
            return x, s0, s1, s2, s3
        ok, x, s0, s1, s2, s3 = _normal_slow(idx, rabs, x, s0, s1, s2, s3)
        if ok:
            return x, s0, s1, s2, s3


@jit
def normal(s):
    """A standard normal draw from stream ``s`` (256-layer ziggurat)."""
    x, s[0], s[1], s[2], s[3] = _normal(s[0], s[1], s[2], s[3])
    return x


@jit
def fill_normal(s, out):
    """out[i] = standard normal draws, the same numbers as ``len(out)`` calls of :func:`normal`.

    The state stays in registers for the whole vector (about 3x faster than calling
    :func:`normal` in a loop) and is written back to ``s`` at the end.
    """
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]
    for i in range(out.shape[0]):
        out[i], s0, s1, s2, s3 = _normal(s0, s1, s2, s3)
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
