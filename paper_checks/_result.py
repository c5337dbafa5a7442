r"""The result of one paper check, and the rules that turn numbers into PASS/FAIL.

Every check in :mod:`paper_checks` returns a :class:`CheckResult`: the claim, its
source, the prediction, what was measured, the error bar or z-score, the verdict,
and (after drawing) the paths of its figures. Results hold only plain Python and
NumPy values, so they cross process boundaries (local process pool, Dask workers).

Verdicts come from two helpers, never from hand-tuned tolerances:

* :func:`decide_z` for Monte Carlo predictions (theory.md section 8):
  a prediction that should *hold* passes when ``|z| <= z_max`` and one that
  should *fail* (e.g. the moments at ``t != k``) passes when ``|z| > z_max``;
  ``z = (estimate - prediction) / SE`` with the SE computed from the samples.
* :func:`decide_close` for deterministic predictions (closed form versus an
  independent route), with a relative tolerance scaled to the magnitude.
* :func:`within_printed` for numbers printed in theory.md (half a unit in the last
  printed digit, :func:`printed_tol`).

Every decision made through these helpers is recorded while :func:`controlled` builds
a result, so that each one can be re-made with its tolerance exceeded threefold (a
*must-FAIL control*: the prediction moved by ``3 z_max`` standard errors, the error
grown by ``3 rtol`` or three half-units of the printed digit, a required mismatch
shrunk to ``z_max / 3``); the check then reports whether every control flipped its
verdict, and fails if one did not (a tolerance too loose to matter).

Shared boilerplate: :func:`make_result` fills ``name``, ``claim``, ``source`` and
``derived`` of a :class:`CheckResult` from the check module's ``CLAIM``, ``SOURCE``
and ``DERIVED``; :func:`mean_se` is the sample mean and its standard error.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
import sys
from typing import Any

import numpy as np

#: Suite-wide z threshold (theory.md section 8: z = 5 for a fixed-seed suite).
Z_MAX = 5.0
#: Relative tolerance of deterministic checks (theory.md section 8).
RTOL = 1e-10


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a claim comes from: authors, arXiv id, and the theory.md section / claim id."""

    authors: str
    arxiv: str
    title: str = ""
    section: str = ""

    def cite(self):
        """Short citation, e.g. ``Agoritsas et al. (arXiv:2301.09428)``."""
        return f"{self.authors} (arXiv:{self.arxiv})" if self.arxiv else self.authors

    def __str__(self):
        return self.cite()


#: The four papers of theory.md section 1, and our own derivations.
P1 = Source("Agoritsas, Catania, Decelle, Seoane", "2301.09428",
            "Explaining the effects of non-convergent sampling in the training of EBMs")
P2 = Source("Nijkamp, Hill, Zhu, Wu", "1904.09770",
            "Learning non-convergent non-persistent short-run MCMC toward EBM")
P3 = Source("Carbone", "2506.07843",
            "Jarzynski reweighting and sampling dynamics for training EBMs")
P4 = Source("Gagnon, Lajoie", "2202.12176",
            "Clarifying MCMC-based training of modern EBMs: CD versus ML")
THEORY = Source("solvable theory.md (derived, checked)", "")

#: Who showed the results the checks reproduce when it is not one of the four papers.
CARBONE2023 = Source("Carbone, Hua, Coste, Vanden-Eijnden 2023", "2305.19414",
                     "Efficient training of energy-based models using Jarzynski equality (NeurIPS 2023)")
NEAL2001 = Source("Neal 2001 (Statistics and Computing 11, 125)", "physics/9803008",
                  "Annealed importance sampling")
HYVARINEN2006 = Source("Hyvarinen 2006 (Neural Computation 18, 2283)", "",
                       "Consistency of pseudolikelihood estimation of fully visible Boltzmann machines")
GLAUBER1963 = Source("Glauber 1963 (J. Math. Phys. 4, 294)", "", "Time-dependent statistics of the Ising model")
HINTON2002 = Source("Hinton 2002 (Neural Computation 14, 1771)", "",
                    "Training products of experts by minimizing contrastive divergence")
PERETTO1984 = Source("Peretto 1984 (Biol. Cybern. 50, 51)", "",
                     "Collective properties of neural networks: a statistical physics approach")


def with_section(source, section):
    """``source`` with ``section`` (a theory.md section or claim id) filled in."""
    return dataclasses.replace(source, section=section)


@dataclasses.dataclass
class CheckResult:
    """The outcome of one paper check.

    Attributes
    ----------
    name : module name of the check (``short_run_matches_data_at_time_k``)
    claim : one sentence stating what is checked
    source : :class:`Source` (authors, arXiv id, theory.md section)
    prediction : human-readable prediction (the numbers, with their formula)
    measurement : human-readable measurement (numbers with SE or error)
    passed : the verdict
    z : the decisive z-score (largest |z| of the predictions that must hold), if Monte Carlo
    error : the decisive deviation (absolute or relative, see ``tolerance``), if deterministic
    tolerance : the rule applied, e.g. ``"|z| <= 5 at t = k, > 5 elsewhere"``
    details : further numbers (JSON-able after :func:`jsonable`)
    data : arrays the draw function needs (analytic curves, points, error bars)
    params : the parameters of the run (model, k, step, chains, ...)
    seed, quick : how it was run
    runtime_s : wall time of ``run`` (filled by the harness)
    cpu_s : CPU time of ``run``, all threads of the process (filled by the harness; on a loaded
        machine it is the better measure of the check's cost)
    figures : paths of the written figures (filled by the harness)
    error_message : set when the check raised instead of returning (status ERROR)
    derived : what this project derived itself (the check module's ``DERIVED``), as
        opposed to ``source``, who showed the claim; empty when nothing is ours
    controls : the must-FAIL controls (filled by :func:`controlled`): one entry per
        decision, whether re-making it with its tolerance exceeded threefold flipped the verdict
    """

    name: str
    claim: str
    source: Source
    prediction: str
    measurement: str
    passed: bool
    z: float | None = None
    error: float | None = None
    tolerance: str = ""
    details: dict = dataclasses.field(default_factory=dict)
    data: dict = dataclasses.field(default_factory=dict)
    params: dict = dataclasses.field(default_factory=dict)
    seed: int = 0
    quick: bool = True
    runtime_s: float = math.nan
    cpu_s: float = math.nan
    figures: list = dataclasses.field(default_factory=list)
    error_message: str | None = None
    derived: str = ""
    controls: list = dataclasses.field(default_factory=list)

    @property
    def status(self):
        """``"PASS"``, ``"FAIL"``, or ``"ERROR"`` (the check raised)."""
        if self.error_message is not None:
            return "ERROR"
        return "PASS" if self.passed else "FAIL"

    def summary(self):
        """A dict of the short, JSON-able fields (for results.json and the report)."""
        return jsonable({
            "name": self.name,
            "status": self.status,
            "claim": self.claim,
            "source": self.source.cite(),
            "section": self.source.section,
            "derived": self.derived,
            "prediction": self.prediction,
            "measurement": self.measurement,
            "z": self.z,
            "error": self.error,
            "tolerance": self.tolerance,
            "seed": self.seed,
            "quick": self.quick,
            "runtime_s": self.runtime_s,
            "cpu_s": self.cpu_s,
            "figures": list(self.figures),
            "params": self.params,
            "details": self.details,
            "error_message": self.error_message,
            "controls": self.controls,
        })

    def score(self):
        """What decided the verdict, e.g. ``"max|z|=2.04 (<= 5)"`` or ``"rel.err=3e-12 (<= 1e-10)"``."""
        if self.z is not None:
            return f"max|z|={abs(self.z):.2f}"
        if self.error is not None:
            return f"err={float(self.error):.2g}"
        return "-"


def errored(name, exc_text, *, seed=0, quick=True, runtime_s=math.nan):
    """The result of a check that raised: status ERROR, counted as a failure."""
    return CheckResult(
        name=name, claim="(the check raised an exception)", source=THEORY,
        prediction="-", measurement="-", passed=False, seed=seed, quick=quick,
        runtime_s=runtime_s, error_message=exc_text,
    )


def sub_seed(seed, *keys):
    """A non-negative int seed derived from ``seed`` and ``keys`` (independent streams per use)."""
    ss = np.random.SeedSequence(entropy=(int(seed),) + tuple(int(k) for k in keys))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def zscore(estimate, se, prediction):
    """``(estimate - prediction) / se`` elementwise; ``se`` must be positive."""
    est = np.asarray(estimate, dtype=float)
    s = np.asarray(se, dtype=float)
    if np.any(~(s > 0)):
        raise ValueError("se must be positive (a zero standard error cannot give a z-score)")
    return (est - np.asarray(prediction, dtype=float)) / s


# ----------------------------------------------------------------------------- must-FAIL controls
@dataclasses.dataclass
class _Ledger:
    perturb: int | None = None  # index of the decision to re-make beyond its tolerance
    factor: float = 3.0
    decisions: list = dataclasses.field(default_factory=list)


_LEDGER: contextvars.ContextVar = contextvars.ContextVar("paper_checks_ledger", default=None)


def _record(kind, text):
    """Register a decision; return the perturbation factor if this one is to be re-made beyond tolerance."""
    led = _LEDGER.get()
    if led is None:
        return None
    i = len(led.decisions)
    led.decisions.append(f"{kind}: {text}")
    return led.factor if led.perturb == i else None


@contextlib.contextmanager
def _ledger(perturb=None, factor=3.0):
    led = _Ledger(perturb=perturb, factor=factor)
    token = _LEDGER.set(led)
    try:
        yield led
    finally:
        _LEDGER.reset(token)


def controlled(result_from, m, *args, factor=3.0, **kwargs):
    """``result_from(m, ...)`` plus its must-FAIL controls.

    The result is built once while recording every decision made through
    :func:`decide_z`, :func:`decide_close` and :func:`within_printed`; then rebuilt once
    per decision with that one decision's tolerance exceeded ``factor``-fold
    (the z-scores that must hold moved to ``|z| + factor Z_MAX``, the deviations that
    must be resolved shrunk to ``Z_MAX / factor``, both with the suite's :data:`Z_MAX`, so
    a z limit loosened inside a check is caught; a deterministic error grown by
    ``factor rtol``; a printed number missed by ``factor`` half-units of its last digit). Each rebuilt verdict must be
    FAIL; ``result.controls`` lists them, and a control that does not flip fails the
    check (the decision did not matter, or its tolerance was loose enough to absorb
    ``factor`` times itself). ``result_from`` must be a pure function of ``m``.
    """
    if not 2.0 <= factor <= 3.0:
        raise ValueError(f"factor must be in [2, 3] (controls at 2-3x the tolerance), got {factor!r}")
    with _ledger() as led:
        result = result_from(m, *args, **kwargs)
    controls = []
    for i, what in enumerate(led.decisions):
        with _ledger(perturb=i, factor=factor):
            flipped = not result_from(m, *args, **kwargs).passed
        controls.append({"decision": what, "flipped": bool(flipped)})
    result.controls = controls
    stuck = [c["decision"] for c in controls if not c["flipped"]]
    if result.passed and stuck:
        result.passed = False
        result.measurement += (f"; must-FAIL control did not flip at {factor:g}x the tolerance: "
                               + "; ".join(stuck[:3]))
    return result


def make_result(module_name, **fields):
    """A :class:`CheckResult` whose ``name``, ``claim``, ``source`` and ``derived`` come from the
    check module ``module_name`` (its ``CLAIM``, ``SOURCE``, ``DERIVED``; pass ``__name__``)."""
    mod = sys.modules[module_name]
    base = {"name": module_name.rsplit(".", 1)[-1], "claim": mod.CLAIM, "source": mod.SOURCE,
            "derived": getattr(mod, "DERIVED", "")}
    base.update(fields)
    return CheckResult(**base)


def mean_se(x, axis=0):
    """Sample mean and its standard error ``std(ddof=1) / sqrt(n)`` along ``axis`` (independent samples)."""
    x = np.asarray(x, dtype=float)
    n = x.shape[axis]
    if n < 2:
        raise ValueError(f"mean_se needs at least 2 samples along axis {axis}, got {n}")
    return x.mean(axis=axis), x.std(axis=axis, ddof=1) / np.sqrt(n)


def printed_tol(printed):
    """Half a unit in the last digit of the number ``printed`` (a string as printed in theory.md)."""
    printed = str(printed)
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return 0.5 * 10.0 ** (-decimals)


def within_printed(value, printed):
    """``|value - float(printed)| <= printed_tol(printed)`` (up to rounding of the comparison itself).

    A recorded decision (see :func:`controlled`).
    """
    err = abs(float(value) - float(printed))
    f = _record("printed", f"{float(value):.10g} vs {printed}")
    if f is not None:
        err += f * printed_tol(printed)
    return bool(err <= printed_tol(printed) * (1 + 1e-9))


def decide_z(*, match=(), mismatch=(), z_max=Z_MAX):
    """PASS from z-scores.

    Parameters
    ----------
    match : z-scores of predictions that must hold: each ``|z| <= z_max``
    mismatch : z-scores of deviations that must be *resolved*: each ``|z| > z_max``
        (pass one value per group, e.g. the largest |z| over the statistics at one time)
    z_max : threshold (default :data:`Z_MAX`)

    Returns
    -------
    (passed, worst) : the verdict, and the largest ``|z|`` among ``match``
        (``None`` if ``match`` is empty).
    """
    m = np.abs(np.asarray(match, dtype=float)).ravel()
    mm = np.abs(np.asarray(mismatch, dtype=float)).ravel()
    if m.size == 0 and mm.size == 0:
        raise ValueError("decide_z needs at least one z-score")
    # must-FAIL controls (see controlled): the matches moved by f Z_MAX standard errors; separately, the
    # required mismatches shrunk to Z_MAX / f (suite threshold: a z limit loosened in a check is caught)
    if m.size:
        f = _record("z match", f"{m.size} z-score(s) must be <= {z_max:g}")
        if f is not None:
            m = m + f * Z_MAX
    if mm.size:
        f = _record("z mismatch", f"{mm.size} deviation(s) must be resolved, |z| > {z_max:g}")
        if f is not None:
            mm = np.minimum(mm, Z_MAX / f)
    if np.any(np.isnan(m)) or np.any(np.isnan(mm)):
        return False, (float("nan") if m.size else None)
    passed = bool(np.all(m <= z_max) and np.all(mm > z_max))
    return passed, (float(m.max()) if m.size else None)


def relative_error(measured, predicted):
    """Largest ``|measured - predicted| / max(1, |predicted|)`` (relative, absolute near 0)."""
    a = np.asarray(measured, dtype=float)
    b = np.asarray(predicted, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


def decide_close(measured, predicted, *, rtol=RTOL):
    """PASS for a deterministic prediction: :func:`relative_error` ``<= rtol``.

    Returns ``(passed, error)``.
    """
    err = relative_error(measured, predicted)
    f = _record("close", f"rtol={rtol:g}")
    if f is not None:
        err = err + f * rtol
    return bool(np.isfinite(err) and err <= rtol), err


def jsonable(obj: Any):
    """``obj`` with NumPy scalars/arrays turned into Python floats/lists (for JSON)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if isinstance(obj, (int, str, bool)) or obj is None:
        return obj
    if isinstance(obj, Source):
        return obj.cite()
    return str(obj)
