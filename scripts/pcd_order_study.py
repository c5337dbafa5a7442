"""PCD order study (issue 14): scikit-learn's order against ours, on binarised digits.

``rbm.train(scheme="pcd", reuse_hidden=True)`` is scikit-learn's ``BernoulliRBM`` order: an update's
first hidden half-step draws from the hidden probabilities kept by the previous update's statistics
(computed with the previous parameters), five matrix products per update. The default
(``reuse_hidden=False``) draws h | v with the current parameters, six products. At fixed parameters
the two are the same Markov chain and the same Rao-Blackwellised estimator
(``tests/test_rbm.py::test_sweep_from_kept_probabilities_is_the_same_chain``, bit for bit), so the
gradient variance per update is the same; what differs is a one-update lag during training and the
cost. Measured here: exact log-likelihood of the trained RBM (34 non-constant pixels of scikit-learn's
digits, 16 hidden units, enumerable), paired by seed (same initial weights, minibatches, chain
streams), at equal epochs and at about equal single-thread time (48 epochs of the cheaper order
against 40 of ours).

    python scripts/pcd_order_study.py [n_seeds]     # default 8 seeds, ~30 s
"""
import sys
import time

import numba
import numpy as np

from solvable import rbm
from solvable.datasets import digits


def data_set():
    """scikit-learn's digits binarised at 0.5, the 34 pixels with data mean in [0.1, 0.9] (as ``digits_short_run_rbm``)."""
    X = digits(0.5)
    m = X.mean(axis=0)
    return np.ascontiguousarray(X[:, (m >= 0.1) & (m <= 0.9)])


def run(X, reuse, epochs, lr, seed):
    m = X.mean(axis=0)
    t = time.thread_time()
    r = rbm.train(X, scheme="pcd", k=1, n_hidden=16, lr=lr, n_epochs=epochs, batch_size=100, n_chains=500, seed=seed,
                  a0=np.log(m / (1 - m)), init_scale=0.1, log_likelihood="none", progress=False, reuse_hidden=reuse)
    t = time.thread_time() - t
    return rbm.log_likelihood(X, r.W, r.a, r.b, method="exact")[0], t


def main(n_seeds=8):
    numba.set_num_threads(1)
    X = data_set()
    print(f"digits {X.shape}, 16 hidden, PCD-1, batch 100, 500 chains, {n_seeds} seeds, one thread; "
          "exact mean log-likelihood (nats per image), differences paired by seed")
    print("| lr | ours, 40 epochs | reuse_hidden, 40 epochs | reuse_hidden, 48 epochs "
          "| reuse 40 - ours | reuse 48 - ours | time per run ours / reuse 40 |")
    print("|---|---|---|---|---|---|---|")
    for lr in (0.05, 0.2):
        ll, tt = {}, {}
        for label, reuse, ep in (("ours", False, 40), ("r40", True, 40), ("r48", True, 48)):
            vals = [run(X, reuse, ep, lr, s) for s in range(n_seeds)]
            ll[label] = np.array([v[0] for v in vals])
            tt[label] = float(np.median([v[1] for v in vals]))

        def diff(lab):
            d = ll[lab] - ll["ours"]
            se = d.std(ddof=1) / np.sqrt(n_seeds)
            return f"{d.mean():+.3f} +- {se:.3f} (z {d.mean() / se:+.1f})"

        cells = [f"{ll[k].mean():.3f} (sd {ll[k].std(ddof=1):.3f})" for k in ("ours", "r40", "r48")]
        print(f"| {lr} | " + " | ".join(cells) + f" | {diff('r40')} | {diff('r48')} | {tt['ours'] / tt['r40']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(int(x) for x in sys.argv[1:])))
