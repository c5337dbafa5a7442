"""Family ``rbm``: block Gibbs sweeps and a training epoch of the Bernoulli RBM.

* **Block Gibbs** (``solvable.rbm.sample`` with ``backend="numba"`` -- the fused kernel --
  and ``backend="blas"``): one sweep of n chains costs two matrix products,
  V W (n x n_v times n_v x n_h) and H W^T, plus n (n_v + n_h) uniforms and sigmoids.
  The **GEMM bound** is numpy's time for those two products with the same shapes;
  ratio = GEMM time / sampler time (1 = as fast as the bound).
* **Training epoch**: ``solvable.rbm.train(scheme="pcd", k=1)`` (default ``reuse_hidden``: the
  same update order and statistics as scikit-learn) against scikit-learn's
  ``BernoulliRBM`` (which is PCD-1) with the same data, hidden units, learning rate,
  batch size and number of persistent chains (= batch size, as scikit-learn does);
  ratio = scikit-learn time / ours (bar: > 1, i.e. faster than scikit-learn). Cases
  (issue 14): 64x32 with batch 10 and 100, 784x128 batch 100 (prototype data), and
  scikit-learn's digits (1797 x 64, binarised) with 64 hidden units, batch 10 and 100.
  The order that re-draws h | v with the current parameters (``reuse_hidden=False``, one
  matrix product more per update) is shown for information.

One core each (Numba and BLAS limited to one thread, ``time.thread_time``).
"""
from __future__ import annotations

import numpy as np

from ._common import NotAvailable, Row, paired, ratio, threads

FAMILY = "rbm"


def _rbm():
    try:
        from solvable import rbm
    except ImportError as exc:  # pragma: no cover - depends on the other helpers' progress
        raise NotAvailable(f"solvable.rbm not available yet ({exc})") from exc
    return rbm


def _model(nv, nh, seed=0):
    rng = np.random.default_rng(seed)
    return 0.1 * rng.standard_normal((nv, nh)), 0.1 * rng.standard_normal(nv), 0.1 * rng.standard_normal(nh)


def data(n, nv, seed=0):
    """Binary data with structure: noisy copies of 10 random prototypes."""
    rng = np.random.default_rng(seed)
    protos = rng.random((10, nv)) < 0.5
    X = protos[rng.integers(10, size=n)]
    flip = rng.random((n, nv)) < 0.1
    return (X ^ flip).astype(float)


def digits():
    """scikit-learn's 8x8 digits (1797 x 64), binarised at half the grey scale (pixel > 8 of 16)."""
    from sklearn.datasets import load_digits

    return (load_digits().data > 8.0).astype(float)


def gibbs_rows(quick: bool) -> list[Row]:
    rbm = _rbm()
    rows = []
    sizes = [(64, 32, 1000), (784, 256, 500)] if not quick else [(64, 32, 500), (784, 256, 200)]
    for nv, nh, n in sizes:
        W, a, b = _model(nv, nh)
        rng = np.random.default_rng(1)
        V0 = (rng.random((n, nv)) < 0.5).astype(float)
        n_sweeps = max(2, int((1e8 if not quick else 3e7) / (4 * n * nv * nh)))
        Hs, Vs = np.empty((n, nh)), np.empty((n, nv))
        Wt = np.ascontiguousarray(W.T)

        def gemm():
            for _ in range(n_sweeps):
                np.matmul(V0, W, out=Hs)
                np.matmul(Hs, Wt, out=Vs)

        cont = {"GEMM": gemm}
        for backend in rbm.BACKENDS:
            cont[backend] = (lambda be: lambda: rbm.sample(W, a, b, n_sweeps, n, v0=V0, seed=2, backend=be))(backend)
        with threads(1):
            t = paired(cont, reps=5 if quick else 7)
        for backend in rbm.BACKENDS:
            r, sp = ratio(t, "GEMM", backend)
            sweeps = n * n_sweeps / float(np.median(t[backend]))
            rows.append(Row(FAMILY, f"block Gibbs, {backend}, n_v={nv} n_h={nh}, {n} chains, 1 thread",
                            f"{sweeps:.3g} chain-sweeps/s", "GEMM bound (2 products)", r, sp, None))
    return rows


def epoch_rows(quick: bool) -> list[Row]:
    rbm = _rbm()
    try:
        from sklearn.neural_network import BernoulliRBM
    except ImportError:
        return [Row(FAMILY, "training epoch vs scikit-learn", note="skipped: scikit-learn not installed")]
    rows = []
    n_data = 500 if quick else 2000
    cases = [(64, 32, 10, None), (64, 32, 100, None), (784, 128, 100, None), (64, 64, 10, "digits"),
             (64, 64, 100, "digits")]
    for nv, nh, batch, source in cases:
        if source == "digits":
            X = digits()
        else:
            X = data(n_data if nv < 500 else n_data // (4 if quick else 2), nv)
        n_epochs = 1 if quick and (nv > 500 or source) else 2
        common = dict(lr=0.05, n_epochs=n_epochs, batch_size=batch, seed=0)

        def ours(reuse=True):
            rbm.train(X, scheme="pcd", k=1, n_hidden=nh, n_chains=batch, log_likelihood="none", progress=False,
                      reuse_hidden=reuse, **common)

        def theirs():
            BernoulliRBM(n_components=nh, learning_rate=0.05, batch_size=batch, n_iter=n_epochs,
                         random_state=0, verbose=0).fit(X)

        with threads(1):
            t = paired({"ours": ours, "sklearn": theirs, "redraw": lambda: ours(False)}, reps=3 if quick else 5)
        r, sp = ratio(t, "sklearn", "ours")
        per_epoch = float(np.median(t["ours"])) / n_epochs
        what = "digits (8x8, binarised)" if source else "prototype data"
        rows.append(Row(FAMILY, f"PCD-1 epoch (scikit-learn's order, reuse_hidden=True), n_v={nv} n_h={nh}, "
                        f"batch {batch}, {X.shape[0]} samples of {what}, 1 thread",
                        f"{per_epoch * 1e3:.3g} ms/epoch", "scikit-learn BernoulliRBM", r, sp, 1.0,
                        note=f"sklearn {float(np.median(t['sklearn'])) / n_epochs * 1e3:.3g} ms/epoch"))
        r2, sp2 = ratio(t, "sklearn", "redraw")
        rows.append(Row(FAMILY, "  same, default order (reuse_hidden=False: h | v re-drawn, 6 products, not 5)", "",
                        "scikit-learn BernoulliRBM", r2, sp2, None,
                        note=f"{float(np.median(t['redraw'])) / n_epochs * 1e3:.3g} ms/epoch"))
    return rows


def run(quick: bool = False) -> list[Row]:
    return gibbs_rows(quick) + epoch_rows(quick)
