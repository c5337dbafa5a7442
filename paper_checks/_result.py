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
"""
from __future__ import annotations

import dataclasses
import math
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
    figures : paths of the written figures (filled by the harness)
    error_message : set when the check raised instead of returning (status ERROR)
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
    figures: list = dataclasses.field(default_factory=list)
    error_message: str | None = None

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
            "prediction": self.prediction,
            "measurement": self.measurement,
            "z": self.z,
            "error": self.error,
            "tolerance": self.tolerance,
            "seed": self.seed,
            "quick": self.quick,
            "runtime_s": self.runtime_s,
            "figures": list(self.figures),
            "params": self.params,
            "details": self.details,
            "error_message": self.error_message,
        })


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
