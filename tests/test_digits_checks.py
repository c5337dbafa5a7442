"""The checks on binarised 8x8 digits (need scikit-learn, an optional extra): data selection, verdict rules on
hand-made numbers (including broken claims that must fail), and the quick runs (slow)."""
import numpy as np
import pytest

pytest.importorskip("sklearn")

from paper_checks import _result as R  # noqa: E402
from paper_checks import digits_short_run_rbm as srd  # noqa: E402


def test_data_selection():
    X, keep = srd.data_set()
    assert keep.shape == (64,) and X.shape == (1797, int(keep.sum()))
    m = X.mean(axis=0)
    assert np.all((m >= srd.PMIN) & (m <= 1 - srd.PMIN))
    assert set(np.unique(X)) <= {0.0, 1.0}


def _fake(max_z_rows):
    times = np.array([0, 1, srd.K, 2 * srd.K, 4 * srd.K, 10 * srd.K, 30 * srd.K])
    return {"times": times, "runs": [{"max_z": np.asarray(z, dtype=float)} for z in max_z_rows]}


def test_verdict_rules():
    good = _fake([[60, 10, 3.0, 12, 30, 70, 100]])
    assert srd.evaluate(good)[0]
    assert not srd.evaluate(good, t_claim=4 * srd.K)[0]  # the claim at the wrong time fails
    assert not srd.evaluate(_fake([[60, 10, 3.0, 12, 4.0, 70, 100]]))[0]  # a far time that matches fails
    assert not srd.evaluate(_fake([[60, 10, 3.0, 12, 30, 70, 100], [60, 10, 6.0, 12, 30, 70, 100]]))[0]
    with pytest.raises(ValueError, match="not one of the measured times"):
        srd.evaluate(good, t_claim=5)


@pytest.mark.slow
def test_digits_short_run_check_passes_with_controls():
    m = srd.measure(quick=True, seed=0)
    res = R.controlled(srd.result_from, m)
    assert res.passed, res.measurement
    assert all(c["flipped"] for c in res.controls)
    assert not srd.result_from(m, t_claim=10 * srd.K).passed
