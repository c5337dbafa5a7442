"""Train a small PyTorch energy by short runs, then check its chains with solvable.diagnose.

PyTorch is not a dependency of solvable: this script exits with a message where it is not installed.
Run: python examples/torch_short_run_diagnose.py

The energy E(x) = w . tanh(U x + c) + 0.05 |x|^2 on a 2-D four-mode mixture, short runs of k = 12 ULA
steps (x <- x - eta grad E + sqrt(2 eta) noise, eta = 0.02) from N(0, I), the gradient
<dE/dtheta>_chains - <dE/dtheta>_data (Nijkamp et al. 2019; Agoritsas et al. 2023). The diagnosis
compares the readout features tanh(U x + c) -- the statistics a trained linear readout makes short runs
match at t = k -- and the first and second moments of x.
"""
import sys

try:
    import torch
except ImportError:
    print("PyTorch is not installed; this example needs it (pip install torch). Nothing to do.")
    sys.exit(0)

import solvable
from solvable import datasets

torch.manual_seed(0)
K, STEP, N_HIDDEN = 12, 0.02, 16
data_np = datasets.mixture_2d(2000, n_modes=4, radius=2.0, sd=0.4, seed=1)
data = torch.tensor(data_np, dtype=torch.float64)

hidden = torch.nn.Linear(2, N_HIDDEN).double()
readout = torch.nn.Linear(N_HIDDEN, 1, bias=False).double()


def features(x):
    return torch.tanh(hidden(x))


def energy(x):
    return readout(features(x))[:, 0] + 0.05 * (x * x).sum(dim=1)


def short_run(n, t):
    """Fresh chains from p0 = N(0, I), t ULA steps; no graph kept through the chain."""
    x = torch.randn(n, 2, dtype=torch.float64)
    for _ in range(t):
        x.requires_grad_(True)
        g, = torch.autograd.grad(energy(x).sum(), x)
        x = (x - STEP * g + (2 * STEP) ** 0.5 * torch.randn_like(x)).detach()
    return x


params = list(hidden.parameters()) + list(readout.parameters())
opt = torch.optim.SGD(params, lr=0.05)
averaged = [p.detach().clone() * 0 for p in params]
n_iter, n_avg = 2000, 0
for it in range(n_iter):
    x = short_run(500, K)
    loss = energy(data).mean() - energy(x).mean()  # its gradient is <dE/dtheta>_D - <dE/dtheta>_chains
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it >= n_iter // 2:  # average the second half of the run (Polyak)
        n_avg += 1
        for a, p in zip(averaged, params):
            a += (p.detach() - a) / n_avg
with torch.no_grad():
    for a, p in zip(averaged, params):
        p.copy_(a)

times = (0, K // 2, K, 2 * K, 4 * K, 10 * K)
chains = {t: short_run(20000, t) for t in times}
with torch.no_grad():
    feats = {t: features(x).numpy() for t, x in chains.items()}
    feats_data = features(data).numpy()

readout_check = solvable.diagnose(feats, feats_data, k=K, statistics="given",
                                  labels=[f"tanh_{j}" for j in range(N_HIDDEN)])
print("readout features (what short-run training matches at t = k):")
print(readout_check.table())
moments_check = solvable.diagnose({t: x.numpy() for t, x in chains.items()}, data_np, k=K)
print("first and second moments of x (not trained statistics):")
print(moments_check.table())
print("best time (readout):", readout_check.best_time, "| matches at t = k:", readout_check.matches_at(K))
readout_check.plot().savefig("torch_short_run_diagnose.png")
print(f"figure: torch_short_run_diagnose.png; chains' z-scores use the SE of {readout_check.n_chains} chains and of "
      f"{len(data_np)} data points; a plain SGD run without the whitened readout phase of "
      "solvable.neural.train_short_run may need more iterations to reach |z| <= 5 at t = k")
