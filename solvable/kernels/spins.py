r"""Numba kernels for binary spins :math:`s\in\{-1,+1\}^n`, energy
:math:`E(s)=-\tfrac12 s^\top Js-h^\top s` (J symmetric, zero diagonal).

Two families, no validation here (the public wrappers in :mod:`solvable.ising` and
:mod:`solvable.bernoulli` validate):

**Chains** (:func:`run_chains` runs all of them split
across threads by :func:`~solvable.kernels._jit.over_chains`, :func:`run_chains_serial` on one thread for small jobs; chain
``c`` draws only from its own xoshiro stream ``states[c]``, so the bits depend neither on
the thread count nor on the driver). Couplings are neighbour lists in CSR form ``(indptr, indices, weights)``: the
neighbours of site i are ``indices[indptr[i]:indptr[i+1]]`` with couplings ``weights``.
Every chain keeps its local fields :math:`H_i=h_i+\sum_jJ_{ij}s_j` and updates them in
O(degree) per flip, so a 2-D lattice of thousands of spins costs O(1) per site update.
A dense J is passed as the CSR of its nonzero entries. When those lists hold every
off-diagonal pair in order (:func:`dense_stride`), a flip updates the fields with two
contiguous runs of row i of the weights (:func:`_flip_dense`: no index loads, vectorised),
the same additions in the same order as the CSR loop, so the same bits.

**Exact laws** (serial): a law is a vector ``p`` of length :math:`2^n` over the state
order of :func:`solvable.ising.all_states` -- state index ``b`` has
:math:`s_i=+1` iff bit i of b is 1. One single-site update costs O(2^n): its row of
conditionals over the 2^(n-1) pairs of states differing at site i is built by doubling
over the bits (:func:`site_row`: products of :math:`e^{4J_{ij}}` for heat bath, sums of
:math:`2J_{ij}` in :func:`site_fields` otherwise).

Dynamics codes (index into :data:`DYNAMICS`) and time units:

====  ========================  =========================================================
code  name                      one unit of ``k``
====  ========================  =========================================================
0     ``glauber``               continuous time t (every spin resampled at rate 1;
                                K ~ Poisson(n t) heat-bath updates at random sites)
1     ``random-heat-bath``      one heat-bath update at a uniformly random site
2     ``random-metropolis``     one Metropolis update at a uniformly random site
3     ``sequential-heat-bath``  one sweep: heat-bath updates at sites 0, 1, ..., n-1
4     ``parallel-heat-bath``    every spin resampled from its conditional given the old state
5     ``parallel-metropolis``   every spin proposes a flip, accepted with min(1, e^{-2 s_i H_i})
====  ========================  =========================================================

Heat bath at site i: :math:`P(s_i=+1)=\sigma(2H_i)=\tfrac12(1+\tanh H_i)`; Metropolis:
flip with probability :math:`\min(1, e^{-2s_iH_i})` (theory.md section 5.1).
"""
import numpy as np

from ._jit import jit, over_chains
from ._rng import bits_to_uniform, randint, uniform, xoshiro_step

DYNAMICS = (
    "glauber",
    "random-heat-bath",
    "random-metropolis",
    "sequential-heat-bath",
    "parallel-heat-bath",
    "parallel-metropolis",
)
GLAUBER, RANDOM_HB, RANDOM_MET, SEQ_HB, PAR_HB, PAR_MET = range(6)


# ======================================================================================
# chains
# ======================================================================================
@jit
def _fields(x, H, indptr, indices, weights, h):
    """H = h + J x for one chain."""
    n = x.shape[0]
    for i in range(n):
        acc = h[i]
        for q in range(indptr[i], indptr[i + 1]):
            acc += weights[q] * x[np.uintp(indices[q])]
        H[i] = acc


@jit
def _flip(i, x, H, indptr, indices, weights):
    """Flip spin i and update the local fields of its neighbours (J symmetric).

    Neighbour indices are cast to ``np.uintp`` (here and in :func:`_fields`): an unsigned
    index needs no negative-index wrap-around, which shortens the inner loop (dense n=256:
    1.12x faster heat bath, 1.17x Metropolis; lattice unchanged; same bits).
    """
    d = -2.0 * x[i]
    x[i] = -x[i]
    for q in range(indptr[i], indptr[i + 1]):
        H[np.uintp(indices[q])] += weights[q] * d


@jit
def dense_stride(indptr, indices, n):
    """n - 1 when the neighbour lists are those of a dense J (every pair j != i, in the
    order j = 0, ..., n-1, row i at offset i (n-1)), else 0. O(n^2), once per chain."""
    if n < 2 or indptr[n] != n * (n - 1):
        return 0
    for i in range(n):
        q = indptr[i]
        if q != i * (n - 1):
            return 0
        for j in range(n):
            if j != i:
                if indices[q] != j:
                    return 0
                q += 1
    return n - 1


@jit
def _flip_dense(i, x, H, weights, n):
    """:func:`_flip` for dense lists (:func:`dense_stride` > 0): row i of the weights is
    J[i, j] for j < i then j > i, so the field update is two contiguous runs -- no index
    loads, vectorisable -- and each H[j] gets the same single addition as in :func:`_flip`."""
    d = -2.0 * x[i]
    x[i] = -x[i]
    base = i * (n - 1)
    lo = weights[base:base + i]
    hi = weights[base + i:base + n - 1]
    Hlo = H[:i]
    Hhi = H[i + 1:n]
    for j in range(i):
        Hlo[j] += lo[j] * d
    for j in range(n - 1 - i):
        Hhi[j] += hi[j] * d


@jit
def _flip_any(i, x, H, indptr, indices, weights, stride):
    """:func:`_flip_dense` when ``stride`` (= n - 1, dense lists), else :func:`_flip`."""
    if stride > 0:
        _flip_dense(i, x, H, weights, stride + 1)
    else:
        _flip(i, x, H, indptr, indices, weights)


@jit
def _heat_bath_value(Hi, s):
    """+1 with probability (1 + tanh Hi) / 2, else -1."""
    return 1 if uniform(s) < 0.5 * (1.0 + np.tanh(Hi)) else -1


@jit
def _metropolis_flips(xi, Hi, s):
    """True with probability min(1, exp(-2 xi Hi))."""
    dE = 2.0 * xi * Hi
    if dE <= 0.0:
        return True
    return uniform(s) < np.exp(-dE)


@jit
def _heat_bath_site(i, x, H, indptr, indices, weights, stride, s):
    if _heat_bath_value(H[i], s) != x[i]:
        _flip_any(i, x, H, indptr, indices, weights, stride)


@jit
def _heat_bath_draw(x, H, n, s0, s1, s2, s3):
    """(site, flip?, new state): a uniform site and its heat-bath draw."""
    u, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
    i = int(bits_to_uniform(u) * n)
    u, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
    v = 1 if bits_to_uniform(u) < 0.5 * (1.0 + np.tanh(H[i])) else -1
    return i, v != x[i], s0, s1, s2, s3


@jit
def _heat_bath_csr(x, H, indptr, indices, weights, n_steps, s0, s1, s2, s3):
    n = x.shape[0]
    for _ in range(n_steps):
        i, flip, s0, s1, s2, s3 = _heat_bath_draw(x, H, n, s0, s1, s2, s3)
        if flip:
            _flip(i, x, H, indptr, indices, weights)
    return s0, s1, s2, s3


@jit
def _heat_bath_dense(x, H, weights, n_steps, s0, s1, s2, s3):
    n = x.shape[0]
    for _ in range(n_steps):
        i, flip, s0, s1, s2, s3 = _heat_bath_draw(x, H, n, s0, s1, s2, s3)
        if flip:
            _flip_dense(i, x, H, weights, n)
    return s0, s1, s2, s3


@jit
def _metropolis_csr(x, H, indptr, indices, weights, n_steps, s):
    n = x.shape[0]
    for _ in range(n_steps):
        i = randint(s, n)
        if _metropolis_flips(x[i], H[i], s):
            _flip(i, x, H, indptr, indices, weights)


@jit
def _metropolis_dense(x, H, weights, n_steps, s):
    n = x.shape[0]
    for _ in range(n_steps):
        i = randint(s, n)
        if _metropolis_flips(x[i], H[i], s):
            _flip_dense(i, x, H, weights, n)


@jit
def _random_scan_serial(spins, fields, indptr, indices, weights, h, n_steps, code, states):
    """``n_steps`` random-site heat-bath (code 1) or Metropolis (code 2) updates of every chain.

    Per chain the draws of :func:`randint` / :func:`uniform` come in the same order (site, then the
    acceptance uniform; Metropolis draws it only when dE > 0). The loop is written once per field
    update (CSR lists or dense rows, decided once per call: a branch in the flip itself cost 15% on
    the lattice). Heat bath keeps the stream in four scalars for the whole loop and writes it back
    at the end (1.7x faster than a store-to-load round trip through ``s`` per draw); for
    Metropolis, whose second draw is rare, that was slower (register pressure around ``exp``) and
    the stream stays in ``s``. Same bits whatever the route.
    """
    n = spins.shape[1]
    stride = dense_stride(indptr, indices, n)
    metropolis = code == RANDOM_MET
    for c in range(spins.shape[0]):
        x = spins[c]
        H = fields[c]
        s = states[c]
        _fields(x, H, indptr, indices, weights, h)
        if metropolis:
            if stride > 0:
                _metropolis_dense(x, H, weights, n_steps, s)
            else:
                _metropolis_csr(x, H, indptr, indices, weights, n_steps, s)
            continue
        s0, s1, s2, s3 = s[0], s[1], s[2], s[3]
        if stride > 0:
            s0, s1, s2, s3 = _heat_bath_dense(x, H, weights, n_steps, s0, s1, s2, s3)
        else:
            s0, s1, s2, s3 = _heat_bath_csr(x, H, indptr, indices, weights, n_steps, s0, s1, s2, s3)
        s[0] = s0
        s[1] = s1
        s[2] = s2
        s[3] = s3


@jit
def _other_serial(spins, fields, buf, indptr, indices, weights, h, n_steps, t, code, states):
    """Every chain (row c of ``spins``, int8, in place) advanced by the dynamics ``code`` 0, 3, 4 or 5.

    ``n_steps`` counts sweeps (3) or parallel steps (4, 5); ``t`` is the continuous time of
    code 0 (exponential clock of total rate n: waiting times Exp(n), a heat-bath update at a
    uniform site at each tick). ``fields`` (float64) and ``buf`` (int8, shaped like ``spins``
    for the parallel codes) are scratch; chain c draws only from ``states[c]``.
    """
    n = spins.shape[1]
    stride = dense_stride(indptr, indices, n)
    for c in range(spins.shape[0]):
        s = states[c]
        x = spins[c]
        H = fields[c]
        _fields(x, H, indptr, indices, weights, h)
        if code == GLAUBER:
            clock = 0.0
            while True:
                clock += -np.log(1.0 - uniform(s)) / n
                if clock > t:
                    break
                _heat_bath_site(randint(s, n), x, H, indptr, indices, weights, stride, s)
        elif code == SEQ_HB:
            for _ in range(n_steps):
                for i in range(n):
                    _heat_bath_site(i, x, H, indptr, indices, weights, stride, s)
        else:
            y = buf[c]
            for _ in range(n_steps):
                for i in range(n):
                    if code == PAR_HB:
                        y[i] = _heat_bath_value(H[i], s)
                    else:
                        y[i] = -x[i] if _metropolis_flips(x[i], H[i], s) else x[i]
                for i in range(n):
                    if y[i] != x[i]:
                        _flip_any(i, x, H, indptr, indices, weights, stride)


def run_chains(spins, fields, buf, indptr, indices, weights, h, n_steps, t, code, states):
    """Advance every chain by the dynamics ``code`` (codes 1, 2: ``n_steps`` single-site updates;
    3: sweeps; 4, 5: parallel steps; 0: continuous time ``t``), chains split across Numba's thread count
    (:func:`~solvable.kernels._jit.over_chains` over :func:`run_chains_serial`; same bits).
    """
    over_chains(run_chains_serial, (spins, fields, buf, indptr, indices, weights, h, n_steps, t, code, states),
                (0, 1, 2, 10), spins.shape[0])


def run_chains_serial(spins, fields, buf, indptr, indices, weights, h, n_steps, t, code, states):
    """:func:`run_chains` on the calling thread: the same bits, without the cost of waking threads
    for small jobs (training loops on small models).

    A Python-level dispatch on ``code`` (call it from Python, not from jitted code): the
    random-scan codes go to a kernel that contains only the random-scan loops, the others to
    a second one, so a process that uses one family of dynamics compiles only that one. Each
    kernel loops over the chains itself: every jitted level re-optimises the code
    of all the functions below it (issue 14: cold compilation). Same bits either way.
    """
    if code == RANDOM_HB or code == RANDOM_MET:
        _random_scan_serial(spins, fields, indptr, indices, weights, h, n_steps, code, states)
    else:
        _other_serial(spins, fields, buf, indptr, indices, weights, h, n_steps, t, code, states)


# ======================================================================================
# exact laws over the 2^n states
# ======================================================================================
@jit
def site_fields(J, h, i, n, H, skip=-1):
    r"""H[b] = local field of site i in state b, for all 2^n states, in O(2^n).

    State 0 has every spin at -1: :math:`H_i=h_i-\sum_jJ_{ij}`; setting bit j raises it
    by :math:`2J_{ij}`, so the table is built by doubling over the bits.
    ``skip = k`` leaves bit k out: then H has 2^(n-1) entries, H[j] being the field in
    the state whose other bits are those of j (bits below k in place, the others shifted
    up by one) and whose bit k is 0 -- with k = i, the pair order of :func:`site_row`.
    """
    acc = h[i]
    for j in range(n):
        acc -= J[i, j]
    H[0] = acc
    size = 1
    for j in range(n):
        if j == skip:
            continue
        d = 2.0 * J[i, j]
        for b in range(size):
            H[size + b] = H[b] + d
        size *= 2


#: Metropolis rows store e^{-2|H|} >= this, so that the sign of a row entry encodes sign(H)
_TINY = 1e-300
#: site_row builds e^{2H} by products while |h_i| + sum_j |J_ij| <= this (e^{600} ~ 4e260
#: cannot overflow, e^{-600} does not underflow), and falls back to one tanh per state above
EXP_FIELD_MAX = 300.0


@jit
def site_row(J, h, i, n, metropolis, H, row):
    r"""The single-site update at i as a row over the 2^(n-1) pairs (b, b | bit i).

    Pair j is the state b with bit i removed (bits of b below i in place, those above
    shifted down by one). Heat bath: ``row[j] = tanh H_i(b)``
    (:math:`P(s_i=\pm1)=\tfrac12(1\pm\tanh H_i)`). Metropolis: ``row[j] = +e^{-2H}`` if
    :math:`H_i\ge0` (up always accepted, down with :math:`e^{-2H}`), ``-e^{2H}`` otherwise,
    its modulus clipped below at 1e-300 so that the sign survives underflow.

    Heat bath is built without a ``tanh`` per state: :math:`E=e^{2H_i}` by doubling over
    the bits (state 0: :math:`e^{2(h_i-\sum_jJ_{ij})}`; setting bit j multiplies by
    :math:`e^{4J_{ij}}`), then :math:`\tanh H_i=(E-1)/(E+1)`, applied during the last
    doubling -- one multiply and one division per state, ~19x faster than the ``tanh``
    route (``fill_rows``, n = 16 and 20) and within 1.4e-15 of it.
    When :math:`|h_i|+\sum_j|J_{ij}|>` :data:`EXP_FIELD_MAX` E could overflow, and the
    row is ``tanh`` of the fields of :func:`site_fields` (as is the Metropolis row);
    ``H`` (>= 2^(n-1) entries) is scratch for that route.
    """
    bound = abs(h[i])
    for j in range(n):
        bound += abs(J[i, j])
    if not metropolis and bound <= EXP_FIELD_MAX:
        acc = h[i]
        for j in range(n):
            acc -= J[i, j]
        half = 1 << (n - 1)
        row[0] = np.exp(2.0 * acc)
        if half == 1:
            row[0] = (row[0] - 1.0) / (row[0] + 1.0)
            return
        size = 1
        for j in range(n):
            if j == i:
                continue
            f = np.exp(4.0 * J[i, j])
            if 2 * size < half:
                for b in range(size):
                    row[size + b] = row[b] * f
            else:  # the last doubling converts both halves on the way (one pass less)
                for b in range(size):
                    E = row[b]
                    F = E * f
                    row[b] = (E - 1.0) / (E + 1.0)
                    row[size + b] = (F - 1.0) / (F + 1.0)
            size *= 2
        return
    site_fields(J, h, i, n, H, i)
    for j in range(1 << (n - 1)):
        Hi = H[j]
        if metropolis:
            v = np.exp(-2.0 * abs(Hi))
            if v < _TINY:
                v = _TINY
            row[j] = v if Hi >= 0.0 else -v
        else:
            row[j] = np.tanh(Hi)


@jit
def apply_row(p, out, i, n, metropolis, accumulate, w, row):
    """out = p T_i (or out += w p T_i if ``accumulate``); out may be p itself when not accumulating."""
    bit = 1 << i
    N = 1 << n
    j = 0
    for hi in range(0, N, 2 * bit):
        for lo in range(bit):
            b = hi + lo  # s_i = -1
            c = b + bit  # s_i = +1
            pb = p[b]
            pc = p[c]
            v = row[j]
            j += 1
            if metropolis:
                # -1 -> +1 changes E by -2 H_i, +1 -> -1 by +2 H_i
                if v >= 0.0:
                    a_up = 1.0
                    a_down = v
                else:
                    a_up = -v
                    a_down = 1.0
                nb = pb * (1.0 - a_up) + pc * a_down
                nc = pc * (1.0 - a_down) + pb * a_up
            else:
                tot = pb + pc
                nb = 0.5 * tot * (1.0 - v)
                nc = 0.5 * tot * (1.0 + v)
            if accumulate:
                out[b] += w * nb
                out[c] += w * nc
            else:
                out[b] = nb
                out[c] = nc


@jit
def fill_rows(J, h, n, metropolis, H, rows):
    """Precompute the rows of all n sites (``rows`` shaped (n, 2^(n-1)))."""
    for i in range(n):
        site_row(J, h, i, n, metropolis, H, rows[i])


@jit
def _row_of(J, h, i, n, metropolis, H, rows):
    """The row of site i: from the precomputed table when rows has n rows, else recomputed into rows[0]."""
    if rows.shape[0] == n:
        return rows[i]
    site_row(J, h, i, n, metropolis, H, rows[0])
    return rows[0]


@jit
def random_scan_step(p, out, J, h, n, metropolis, H, rows):
    """out = p T_rs, T_rs = (1/n) sum_i T_i (one update at a uniformly random site)."""
    for b in range(out.shape[0]):
        out[b] = 0.0
    w = 1.0 / n
    for i in range(n):
        apply_row(p, out, i, n, metropolis, True, w, _row_of(J, h, i, n, metropolis, H, rows))


@jit
def _evolve_random_scan(p, J, h, n, n_steps, metropolis, out, H, rows):
    if rows.shape[0] == n:
        fill_rows(J, h, n, metropolis, H, rows)
    for _ in range(n_steps):
        random_scan_step(p, out, J, h, n, metropolis, H, rows)
        for b in range(p.shape[0]):
            p[b] = out[b]


@jit
def _evolve_sweeps(p, J, h, n, n_steps, metropolis, H, rows):
    """p <- p (T_0 T_1 ... T_{n-1})^n_steps (sequential heat bath, in place; ``metropolis`` is the
    run-time False of :func:`evolve_discrete`, so that apply_row and _row_of keep one
    specialisation each). One jitted level over the row functions (issue 14, cold start)."""
    if rows.shape[0] == n:
        fill_rows(J, h, n, metropolis, H, rows)
    for _ in range(n_steps):
        for i in range(n):
            apply_row(p, p, i, n, metropolis, False, 1.0, _row_of(J, h, i, n, metropolis, H, rows))


@jit
def _evolve_parallel(p, J, h, n, n_steps, metropolis, out, P, Hs):
    r"""p <- p T_par^n_steps: in one step every spin is updated from the old state s, independently.

    :math:`T(s,s')=\prod_i\pi_i(s'_i\mid s)`; for each source state the product over
    target states is built by doubling over the bits (O(2^n)), so a step costs O(4^n).
    """
    N = 1 << n
    for _ in range(n_steps):
        for b in range(N):
            out[b] = 0.0
        for b in range(N):
            pb = p[b]
            if pb == 0.0:
                continue
            for i in range(n):
                acc = h[i]
                for j in range(n):
                    acc += J[i, j] * (1.0 if (b >> j) & 1 else -1.0)
                Hs[i] = acc
            P[0] = pb
            for i in range(n):
                size = 1 << i
                Hi = Hs[i]
                if metropolis:
                    if (b >> i) & 1:  # s_i = +1 stays +1 unless it flips
                        flip = np.exp(-2.0 * Hi) if Hi > 0.0 else 1.0
                        up = 1.0 - flip
                        down = flip
                    else:
                        flip = np.exp(2.0 * Hi) if Hi < 0.0 else 1.0
                        up = flip
                        down = 1.0 - flip
                else:
                    up = 0.5 * (1.0 + np.tanh(Hi))
                    down = 0.5 * (1.0 - np.tanh(Hi))
                for a in range(size):
                    P[size + a] = P[a] * up
                    P[a] *= down
            for a in range(N):
                out[a] += P[a]
        for b in range(N):
            p[b] = out[b]


def evolve_discrete(p, J, h, n, n_steps, code, out, H, rows, P, Hs):
    """Apply n_steps steps of a discrete-time dynamics to p; the result is in p.

    ``rows``: (n, 2^(n-1)) to precompute every site's row once (fast, n 2^(n+2) bytes),
    or (1, 2^(n-1)) to recompute them at each use (parallel dynamics ignore it).
    A Python-level dispatch to one jitted kernel per kind of dynamics (random scan,
    sweep, parallel), so that a process compiles only the kinds it uses (issue 14).
    """
    metropolis = bool(code == RANDOM_MET or code == PAR_MET)
    if code == RANDOM_HB or code == RANDOM_MET:
        _evolve_random_scan(p, J, h, n, int(n_steps), metropolis, out, H, rows)
    elif code == SEQ_HB:
        _evolve_sweeps(p, J, h, n, int(n_steps), metropolis, H, rows)
    else:
        _evolve_parallel(p, J, h, n, int(n_steps), metropolis, out, P, Hs)


#: largest Poisson mean n*dt handled in one uniformisation block (e^{-400} is far from underflow)
MAX_BLOCK_RATE = 400.0


@jit
def uniformization(p, J, h, n, t, tail, cur, nxt, acc, H, rows):
    r"""p <- p exp(t Q), Q = n (T_rs - I) (continuous-time heat bath, every spin at rate 1).

    Uniformisation (Jensen 1953): :math:`e^{tQ}=\sum_K \mathrm{Poi}(K;nt)\,T_{rs}^K`.
    Time is cut into blocks with n*dt <= MAX_BLOCK_RATE; in a block the series stops at
    the first K > n dt whose remaining Poisson mass, bounded by
    :math:`w_K(K+1)/(K+1-n\,dt)`, is below ``tail``. Error <= tail per block (1-norm).
    """
    N = p.shape[0]
    # heat bath: False, typed as a run-time bool. A literal ``False`` would make Numba compile a
    # second specialisation of the row functions (called with a run-time flag elsewhere), and a
    # jitted helper returning it is one more function to compile (issue 14, cold start)
    metropolis = n < 0
    if rows.shape[0] == n:
        fill_rows(J, h, n, metropolis, H, rows)
    n_blocks = int(np.ceil(n * t / MAX_BLOCK_RATE))
    if n_blocks < 1:
        n_blocks = 1
    dt = t / n_blocks
    lam = n * dt
    for _ in range(n_blocks):
        if lam == 0.0:
            break
        wk = np.exp(-lam)
        for b in range(N):
            cur[b] = p[b]
            acc[b] = wk * p[b]
        K = 0
        while True:
            K += 1
            random_scan_step(cur, nxt, J, h, n, metropolis, H, rows)
            for b in range(N):
                cur[b] = nxt[b]
            wk *= lam / K
            for b in range(N):
                acc[b] += wk * cur[b]
            if K > lam and wk * (K + 1.0) / (K + 1.0 - lam) < tail:
                break
        for b in range(N):
            p[b] = acc[b]


@jit
def law_moments(p, n, m, C):
    """m_i = sum_b p_b s_i(b), C_ij = sum_b p_b s_i(b) s_j(b) (in place)."""
    for i in range(n):
        m[i] = 0.0
        for j in range(n):
            C[i, j] = 0.0
    x = np.empty(n)
    for b in range(p.shape[0]):
        pb = p[b]
        if pb == 0.0:
            continue
        for i in range(n):
            x[i] = 1.0 if (b >> i) & 1 else -1.0
        for i in range(n):
            v = pb * x[i]
            m[i] += v
            for j in range(i + 1, n):
                C[i, j] += v * x[j]
    for i in range(n):
        C[i, i] = 1.0
        for j in range(i + 1, n):
            C[j, i] = C[i, j]


@jit
def minus_energies(J, h, n, out):
    r"""out[b] = -E(s(b)) = sum_i h_i s_i + sum_{i<j} J_ij s_i s_j for every state."""
    x = np.empty(n)
    for b in range(out.shape[0]):
        for i in range(n):
            x[i] = 1.0 if (b >> i) & 1 else -1.0
        acc = 0.0
        for i in range(n):
            a = h[i]
            for j in range(i + 1, n):
                a += J[i, j] * x[j]
            acc += a * x[i]
        out[b] = acc
