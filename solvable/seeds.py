"""The named random streams of :mod:`solvable`, and the one function that derives them.

A public call takes one ``seed``; every independent use of randomness inside it (the
start points of the chains, the kernel's noise, the rows drawn from the data for CD,
resampling, ...) gets its own stream, a child of ``numpy.random.SeedSequence(seed)``
with the spawn key ``(stream,) + keys``. Streams never share bits, and the numbers are
named here only, so that no model module or check writes a literal stream number.

The values are those used since version 0.1 (results are unchanged for the same seed).
"""
from __future__ import annotations

import enum

import numpy as np


class Stream(enum.IntEnum):
    """The independent uses of one seed (spawn keys of ``SeedSequence``)."""

    #: draws from the fixed start law p0 (short-run chains, first PCD state)
    START = 1
    #: the kernels' own noise (per-chain xoshiro streams, :func:`solvable.kernels._rng.chain_states`)
    DYNAMICS = 2
    #: CD starts for Gaussian data; exact laws sampled for spin chains
    DATA = 3
    #: CD starts for spin data
    SPIN_DATA = 4
    #: Jarzynski walkers drawn from the initial model
    JARZYNSKI_INIT = 7
    #: latent draws of the short-run generator (generator.py)
    GENERATOR_LATENT = 11
    #: start-noise draws of the short-run generator (generator.py)
    GENERATOR_NOISE = 12
    #: replay buffer of the CD objective (objectives.py)
    REPLAY = 21
    #: replay-buffer per-update noise (objectives.py)
    REPLAY_UPDATE = 22
    #: minibatches of the data in the generic training loop
    MINIBATCH = 30
    #: the generic (NumPy) Langevin kernel of :mod:`solvable.langevin`
    NUMPY_DYNAMICS = 31
    #: block-Gibbs chains of :func:`solvable.rbm.sample` and AIS
    RBM_SAMPLE = 0
    #: per-chain streams of the RBM training chains (the number of START, an alias kept so that the
    #: bits of version 0.1 do not change; the RBM module does not use START itself)
    RBM_TRAIN = 1
    #: per-chain streams of the fresh chains of :func:`solvable.rbm.compare` (DATA's number, same reason)
    RBM_COMPARE = 3


def seed_sequence(seed, stream, *keys):
    """``SeedSequence(entropy=seed, spawn_key=(stream,) + keys)``; ``seed`` an int or a tuple of ints.

    Parameters
    ----------
    seed : int >= 0, or a tuple/list of ints >= 0
    stream : :class:`Stream` (or an int >= 0)
    *keys : ints >= 0, further spawn keys

    Returns
    -------
    numpy.random.SeedSequence
    """
    entropy = tuple(int(v) for v in seed) if isinstance(seed, (tuple, list)) else int(seed)
    return np.random.SeedSequence(entropy=entropy, spawn_key=(int(stream),) + tuple(int(k) for k in keys))


def generator(seed, stream, *keys):
    """A ``numpy.random.Generator`` on the stream ``stream`` of ``seed`` (see :func:`seed_sequence`).

    Parameters
    ----------
    seed : int >= 0, or a tuple/list of ints >= 0
    stream : :class:`Stream` (or an int >= 0)
    *keys : ints >= 0, further spawn keys

    Returns
    -------
    numpy.random.Generator
    """
    return np.random.default_rng(seed_sequence(seed, stream, *keys))
