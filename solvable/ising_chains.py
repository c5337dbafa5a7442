r"""Pairwise Ising model, chains: Numba spin chains for any n, lattices, Jarzynski spin walkers.

Same energy, dynamics and time units as :mod:`solvable.ising_exact` (theory.md section 5.1;
theory.md ships in the repository's ``docs/`` folder). Re-exported by :mod:`solvable.ising`.
``uniform_spins``, ``sample_law``, ``run_chains``, ``spin_walkers``, ``log_z_independent`` and
``check_jarzynski`` (not in ``__all__``) are the building blocks :mod:`solvable.ising` and
:mod:`solvable.bernoulli` share.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

from . import _validate as V
from . import jarzynski as JZ
from .ising_exact import DYNAMICS, energy
from .seeds import Stream, generator
from .ising_exact import check_dynamics as _dynamics
from .ising_exact import check_time as _time
from .ising_exact import csr_couplings as _csr_couplings
from .kernels import spins as _kern
from .kernels._rng import chain_states

__all__ = ["SERIAL_WORK", "simulate", "lattice_couplings", "edge_list"]


# ======================================================================================
# chains
# ======================================================================================
def uniform_spins(n_chains, n, seed, p_plus=None):
    """n_chains independent configurations with P(s_i = +1) = p_plus[i] (default 1/2).

    Drawn with a numpy Generator from SeedSequence(seed) (spawn key 1), so start points and
    chain dynamics (streams of :func:`~solvable.kernels._rng.chain_states`) never share bits.
    """
    rng = generator(seed, Stream.START)
    if p_plus is None:
        return (rng.integers(0, 2, size=(n_chains, n), dtype=np.int8) * 2 - 1).astype(np.int8)
    return np.where(rng.random((n_chains, n)) < p_plus, 1, -1).astype(np.int8)


def sample_law(p, n_chains, seed):
    """n_chains configurations drawn from the law p (numpy Generator from the seed, stream 3)."""
    rng = generator(seed, Stream.DATA)
    n = p.size.bit_length() - 1
    idx = rng.choice(p.size, size=n_chains, p=p)
    return (((idx[:, None] >> np.arange(n)) & 1) * 2 - 1).astype(np.int8)


#: below this many single-site updates in one call, chains run on one thread (thread wake-up
#: costs more than it saves); the bits are the same either way
SERIAL_WORK = 200_000


def run_chains(csr, h, spins, k, dynamics, seed):
    """Advance a copy of spins (n_chains, n) by time k; seed may be an int or a tuple."""
    spins = np.array(spins, dtype=np.int8, order="C", copy=True)
    if k == 0:
        return spins
    n_chains, n = spins.shape
    indptr, indices, weights = csr
    code = DYNAMICS.index(dynamics)
    work = n_chains * (k * n if dynamics != "random-heat-bath" and dynamics != "random-metropolis" else k)
    kernel = _kern.run_chains_serial if work < SERIAL_WORK else _kern.run_chains
    kernel(
        spins, np.empty(spins.shape), np.empty(spins.shape if dynamics.startswith("parallel") else (n_chains, 1),
                                               dtype=np.int8),
        indptr, indices, weights, np.ascontiguousarray(h, dtype=float),
        0 if code == _kern.GLAUBER else int(k), float(k) if code == _kern.GLAUBER else 0.0, code,
        chain_states(seed, n_chains, stream=Stream.DYNAMICS),
    )
    return spins


def simulate(J, h, k, n_chains, *, dynamics, s0=None, seed=0):
    r"""Run ``n_chains`` independent spin chains for time ``k`` (Numba, parallel over chains).

    ``J``: dense (n, n) or scipy.sparse (e.g. :func:`lattice_couplings`), symmetric with
    zero diagonal; local fields are updated in O(degree) per flip, so lattices of
    thousands of spins run. ``k`` counts single-site updates, sweeps or parallel steps
    (continuous time for ``"glauber"``), see the module docstring. ``s0``: None (independent
    uniform spins, the default start law p0), one configuration (n,) for every chain, or
    (n_chains, n). Each chain has its own random stream derived from ``seed``: identical
    bits for the same seed whatever the number of threads.

    Returns int8 array (n_chains, n) of -1/+1.

    Parameters
    ----------
    J : array (n, n) or scipy.sparse matrix, symmetric, zero diagonal
    h : array (n,) or scalar
    k : time in the units of ``dynamics`` (float >= 0 for glauber, else int >= 0)
    n_chains : int >= 1
    dynamics : one of :data:`solvable.ising.DYNAMICS` (time units in the module docstring)
    s0 : None, array (n,) or (n_chains, n) of spins, the start
    seed : int >= 0
    """
    csr, n = _csr_couplings(J)
    h = V.vector(h, "h", n)
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    n_chains = V.integer(n_chains, "n_chains", low=1)
    seed = V.seed(seed)
    if s0 is None:
        spins = uniform_spins(n_chains, n, seed)
    else:
        s0 = V.spins(s0, "s0", n_cols=n)
        if s0.ndim == 1:
            spins = np.repeat(s0[None, :], n_chains, axis=0)
        elif s0.shape[0] != n_chains:
            raise ValueError(f"s0 must have shape (n,) or (n_chains, n) = ({n_chains}, {n}), got {s0.shape}")
        else:
            spins = s0
    return run_chains(csr, h, spins, k, dynamics, seed)


def lattice_couplings(rows, cols=None, *, coupling=1.0, periodic=True):
    r"""Nearest-neighbour couplings of a 2-D square lattice as a symmetric CSR matrix.

    Site (r, c) has index ``r * cols + c``; each bond carries ``coupling``. ``periodic``
    wraps both directions (then rows, cols >= 3, so that no bond is doubled).

    Parameters
    ----------
    rows, cols : ints >= 1 (cols defaults to rows; >= 3 when periodic)
    coupling : float, the coupling of every bond
    periodic : bool, wrap both directions
    """
    rows = V.integer(rows, "rows", low=1)
    cols = rows if cols is None else V.integer(cols, "cols", low=1)
    coupling = V.real(coupling, "coupling")
    if periodic and (rows < 3 or cols < 3):
        raise ValueError(f"a periodic lattice needs rows, cols >= 3 (else bonds double up), got {rows} x {cols}")
    r, c = np.divmod(np.arange(rows * cols), cols)
    edges = []
    for dr, dc in ((0, 1), (1, 0)):
        rr, cc = r + dr, c + dc
        ok = np.ones(r.size, dtype=bool) if periodic else (rr < rows) & (cc < cols)
        edges.append(np.stack([(r * cols + c)[ok], ((rr % rows) * cols + cc % cols)[ok]], axis=1))
    e = np.concatenate(edges)
    n = rows * cols
    M = sparse.coo_matrix((np.full(e.shape[0], coupling), (e[:, 0], e[:, 1])), shape=(n, n))
    return sparse.csr_matrix(M + M.T)


def edge_list(J):
    """The pairs (i, j), i < j, with J_ij != 0 of a dense or sparse coupling matrix: int array (E, 2).

    Parameters
    ----------
    J : array (n, n) or scipy.sparse matrix
    """
    M = sparse.triu(sparse.csr_matrix(J), k=1).tocoo()
    order = np.lexsort((M.col, M.row))
    return np.stack([M.row[order], M.col[order]], axis=1).astype(np.int64)



def dense_to_csr(J):
    M = sparse.csr_matrix(J)
    M.eliminate_zeros()
    M.sort_indices()
    return M.indptr.astype(np.int64), M.indices.astype(np.int64), M.data.astype(np.float64)



def log_z_independent(h):
    r""":math:`\log Z=\sum_i\log(2\cosh h_i)` of independent spins (J = 0), overflow-free."""
    return float(np.sum(np.logaddexp(h, -h)))


def check_jarzynski(dynamics, engine, invariant):
    if engine != "simulate":
        raise ValueError("scheme='jarzynski' needs engine='simulate' (weighted Monte Carlo walkers); "
                         "the exact-gradient fixed point it targets is the MLE, fit(scheme='mle')")
    if dynamics not in invariant:
        raise ValueError(
            f"scheme='jarzynski' needs a kernel that leaves p_theta invariant (theory.md 6.2), one of "
            f"{list(invariant)}; dynamics={dynamics!r} does not (synchronous updates of coupled spins "
            "sample the Little/Peretto law, theory.md 5.1)"
        )


def spin_walkers(x0, *, k, dynamics, csr, couplings, stats, log_w0=None, log_z0=0.0, ess_threshold=0.5):
    r"""Jarzynski walkers for spin chains (``scheme="jarzynski"`` of :func:`train` and
    :func:`solvable.bernoulli.train`).

    Rule "move, then reweight" of theory.md 6.2: at each update the walkers move for time
    ``k`` with the **old** parameters (an invariant ``dynamics``, :func:`run_chains`), then
    :math:`A\mathrel{+}=E_\ell(X)-E_{\ell+1}(X)` at the moved point
    (:func:`solvable.jarzynski.invariant_increment` with :func:`energy`); ESS-triggered
    systematic resampling (theory.md 6.3). ``csr(params)`` gives the neighbour lists of the
    kernel, ``couplings(params)`` the J that :func:`energy` takes (dense or sparse),
    ``stats(params, S, w)`` the weighted statistics.
    """
    return JZ.JarzynskiWalkers(
        energy=lambda p, S: energy(S, couplings(p), p["h"]),
        # the whole time k in one kernel call: intermediate increments vanish at fixed theta (6.2)
        move=lambda p, S, s: run_chains(csr(p), p["h"], S, k, dynamics, s),
        stats=stats,
        x0=x0,
        k=1,
        rule="move-reweight",
        log_w0=log_w0,
        log_z0=log_z0,
        ess_threshold=ess_threshold,
    )
