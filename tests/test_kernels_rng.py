"""Per-chain random streams (solvable/kernels/_rng.py): xoshiro256** and the ziggurat normal."""
import numpy as np
import pytest
from scipy import stats

from solvable.kernels import _rng as R
from solvable.kernels._jit import jit
from tests.strategies import Z

M64 = (1 << 64) - 1


def xoshiro_reference(state, n):
    """xoshiro256** in plain Python integers (Blackman & Vigna 2018, reference C code)."""
    s = [int(x) for x in state]
    rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M64  # noqa: E731
    out = []
    for _ in range(n):
        out.append(rotl((s[1] * 5) & M64, 7) * 9 & M64)
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out, s


@jit
def _draw_u64(s, n, out):
    for i in range(n):
        out[i] = R.next_u64(s)


@jit
def _draw_normals(s, out):
    for i in range(out.shape[0]):
        out[i] = R.normal(s)


def splitmix64_reference(x):
    """splitmix64 in plain Python integers (Steele, Lea & Flood 2014; Vigna's reference C code)."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


@pytest.mark.parametrize("seed, n, stream", [(0, 1, 0), (123, 7, 0), (123, 7, 3), (2**63 + 5, 300, 1)])
def test_chain_states_match_a_plain_python_splitmix64_expansion(seed, n, stream):
    """Chain c: four splitmix64 outputs from key0 + c * (key1 | 1) (mod 2^64), each xor key[(w+2) % 4]."""
    key = [int(k) for k in np.random.SeedSequence(entropy=seed, spawn_key=(stream,)).generate_state(4, np.uint64)]
    got = R.chain_states(seed, n, stream=stream)
    assert got.dtype == np.uint64 and got.shape == (n, 4)
    for c in range(n):
        x = (key[0] + c * (key[1] | 1)) & M64
        for w in range(4):
            x, z = splitmix64_reference(x)
            assert int(got[c, w]) == z ^ key[(w + 2) % 4]
    # control: a different stream gives different states
    assert not np.array_equal(got, R.chain_states(seed, n, stream=stream + 1))


def test_chain_states_of_zero_chains_is_empty():
    assert R.chain_states(0, 0).shape == (0, 4)


def test_next_u64_matches_the_reference_generator():
    st = R.chain_states(123, 1)[0]
    ref, ref_state = xoshiro_reference(st, 50)
    out = np.empty(50, dtype=np.uint64)
    s = st.copy()
    _draw_u64(s, 50, out)
    assert [int(x) for x in out] == ref
    assert [int(x) for x in s] == ref_state


def test_fill_normal_draws_the_same_numbers_as_normal_and_leaves_the_same_state():
    st = R.chain_states(5, 1)[0]
    a, b = np.empty(10_001), np.empty(10_001)
    s1, s2 = st.copy(), st.copy()
    _draw_normals(s1, a)
    R.fill_normal(s2, b)
    assert np.array_equal(a, b) and np.array_equal(s1, s2)
    c = np.empty(10)
    R.fill_normal(s2, c)  # the stream goes on
    assert not np.array_equal(c, b[:10])


def _binned_zscores(x):
    """z-scores of bin counts against N(0, 1); bins include the ziggurat tail |x| > R."""
    r = R._ZIG_R
    edges = np.concatenate([[-np.inf, -5.0, -r], np.linspace(-3.5, 3.5, 57), [r, 5.0, np.inf]])
    counts, _ = np.histogram(x, edges)
    p = np.diff(stats.norm.cdf(edges))
    n = x.size
    return (counts - n * p) / np.sqrt(n * p * (1 - p))


def test_ziggurat_normal_has_the_normal_law_including_the_tail():
    st = R.chain_states(2024, 1)[0]
    x = np.empty(2_000_000)
    R.fill_normal(st.copy(), x)
    z = _binned_zscores(x)
    assert np.max(np.abs(z)) < Z
    # the tail branch is exercised: a few hundred draws beyond R
    assert np.sum(np.abs(x) > R._ZIG_R) > 300
    # negative controls: a 2% wrong scale, or a law with the tail cut at R, is detected
    assert np.max(np.abs(_binned_zscores(1.02 * x))) > Z
    assert np.max(np.abs(_binned_zscores(np.clip(x, -R._ZIG_R, R._ZIG_R)))) > Z


def test_ziggurat_tables_are_consistent():
    # layer edges decrease from x_255 = R to x_1; the acceptance thresholds are ratios < 1
    x = R._ZIG_W[1:] * 2.0**52
    assert np.all(np.diff(x) > 0) and np.isclose(x[-1], R._ZIG_R)
    assert np.all(R._ZIG_K[2:] < 2**52) and R._ZIG_K[1] == 0
    np.testing.assert_allclose(R._ZIG_F[1:], np.exp(-0.5 * x * x), rtol=1e-15)
    # every layer has the same area V: x_i (f(x_{i-1}) - f(x_i)) = V for the inner layers
    area = x[1:] * (R._ZIG_F[1:-1] - R._ZIG_F[2:])
    np.testing.assert_allclose(area, R._ZIG_V, rtol=1e-9)
