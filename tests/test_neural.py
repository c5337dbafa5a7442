"""solvable.neural: hand gradients against finite differences, the readout model, the generator tools, and the
two neural paper checks (their verdicts and must-FAIL controls; full runs are slow)."""
import numpy as np
import pytest

from solvable import DivergenceError, datasets
from solvable.model import EnergyModel
from solvable.neural import MLPEnergy, frozen_noise, generate, interpolate, reconstruct


@pytest.fixture(params=[False, True], ids=["a-fixed", "a-trained"])
def net_theta(request):
    net = MLPEnergy(3, 5, confinement=0.3, train_confinement=request.param)
    theta = net.init(1, scale=1.0, bias_scale=1.0, readout_scale=1.0)
    if request.param:
        theta[-1] = 0.7
    return net, theta


def _fd(f, x, h=1e-6):
    """Central finite differences of a scalar-per-row function along each coordinate of x (n, m)."""
    cols = []
    for e in np.eye(x.shape[-1]):
        cols.append((f(x + h * e) - f(x - h * e)) / (2 * h))
    return np.stack(cols, axis=-1)


def test_grad_x_matches_finite_differences(net_theta):
    net, th = net_theta
    x = np.random.default_rng(0).normal(size=(6, 3))
    np.testing.assert_allclose(net.grad_x(x, th), _fd(lambda y: net.energy(y, th), x), rtol=1e-7, atol=1e-8)


def test_grad_theta_matches_finite_differences(net_theta):
    net, th = net_theta
    x = np.random.default_rng(1).normal(size=(6, 3))
    fd = np.stack([(net.energy(x, th + 1e-6 * e) - net.energy(x, th - 1e-6 * e)) / 2e-6 for e in np.eye(th.size)],
                  axis=1)
    np.testing.assert_allclose(net.grad_theta(x, th), fd, rtol=1e-7, atol=1e-8)


def test_hessian_vector_matches_finite_differences(net_theta):
    net, th = net_theta
    rng = np.random.default_rng(2)
    x, v = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    fd = (net.grad_x(x + 1e-6 * v, th) - net.grad_x(x - 1e-6 * v, th)) / 2e-6
    np.testing.assert_allclose(net.hessian_vector(x, th, v), fd, rtol=1e-6, atol=1e-8)


def test_finite_difference_test_can_fail():
    """Control: a wrong gradient (the tanh derivative without its square) is caught by the same comparison."""
    net = MLPEnergy(2, 4)
    th = net.init(0, readout_scale=1.0)
    x = np.random.default_rng(3).normal(size=(5, 2))
    w, U, c, a = net.unpack(th)
    phi = np.tanh(x @ U.T + c)
    wrong = ((1 - phi) * w) @ U + a * x
    assert not np.allclose(wrong, _fd(lambda y: net.energy(y, th), x), rtol=1e-7, atol=1e-8)


def test_energy_is_the_formula():
    net = MLPEnergy(2, 3, confinement=0.5)
    w, U, c = np.array([1.0, -2.0, 0.5]), np.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]]), np.array([0.1, 0.0, -0.3])
    th = net.pack(w, U, c)
    x = np.array([[0.3, -0.7]])
    expect = sum(w[j] * np.tanh(U[j] @ x[0] + c[j]) for j in range(3)) + 0.25 * (x[0] @ x[0])
    assert net.energy(x, th)[0] == pytest.approx(expect, rel=1e-14)
    np.testing.assert_array_equal(net.unpack(th)[1], U)


def test_readout_model_is_the_same_energy_in_whitened_coordinates(net_theta):
    net, th = net_theta
    rng = np.random.default_rng(4)
    x = rng.normal(size=(7, 3))
    B = np.linalg.qr(rng.normal(size=(net.linear.size,) * 2))[0] * 1.7
    ro = net.readout_model(th, basis=B)
    assert isinstance(ro, EnergyModel)
    v = np.linalg.solve(B, th[net.linear])
    np.testing.assert_allclose(ro.energy(x, v), net.energy(x, th), rtol=1e-12)
    np.testing.assert_allclose(ro.grad_x(x, v), net.grad_x(x, th), rtol=1e-12)
    # dE/dv = B^T dE/dw, and dE/dw is the linear block of grad_theta
    np.testing.assert_allclose(ro.grad_theta(x, v), net.grad_theta(x, th)[:, net.linear] @ B, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(net.with_linear(th, B @ v), th, rtol=1e-12)


def test_validation():
    net = MLPEnergy(2, 3)
    with pytest.raises(ValueError, match=r"theta must have shape \(12,\)"):
        net.energy(np.zeros((2, 2)), np.zeros(5))
    with pytest.raises(ValueError, match="n_hidden must be >= 1"):
        MLPEnergy(2, 0)
    with pytest.raises(ValueError, match="rho must lie in"):
        interpolate(np.zeros((2, 2)), np.zeros((2, 2)), 1.5)
    with pytest.raises(ValueError, match=r"noise must have shape \(3, 2, 2\)"):
        generate(net, net.init(0), np.zeros((2, 2)), 3, step=0.1, noise=np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="method must be one of"):
        reconstruct(net, net.init(0), np.zeros((2, 2)), 3, step=0.1, method="adam")


def test_generate_diverges_loudly():
    net = MLPEnergy(1, 1, confinement=100.0)  # eta * a = 10: x_t = (-9)^t x_0 overflows
    th = net.pack([0.0], [[1.0]], [0.0])
    with pytest.raises(DivergenceError, match="non-finite at step"):
        generate(net, th, np.full((2, 1), 1.0), 400, step=0.1)


def test_interpolation_keeps_the_start_law():
    """z_rho = rho z1 + sqrt(1 - rho^2) z2 of independent N(0, I) pairs is N(0, I): variance 1 within 5 SE."""
    rng = np.random.default_rng(5)
    n = 40_000
    z1, z2 = rng.standard_normal((n, 2)), rng.standard_normal((n, 2))
    for rho, zr in zip((0.3, 0.5, 0.8), interpolate(z1, z2, np.array([0.3, 0.5, 0.8]))):
        v = np.var(zr, axis=0, ddof=1)
        se = np.sqrt(2.0 / (n - 1))  # SE of a normal sample variance with variance 1
        assert np.all(np.abs(v - 1) <= 5 * se), (rho, v)
    lin = 0.5 * (z1 + z2)  # control: the linear mix has variance 1/2
    assert np.all(np.abs(np.var(lin, axis=0, ddof=1) - 1) > 5 * np.sqrt(2.0 / (n - 1)))


def test_jacobian_and_reconstruction_on_a_linear_case():
    """Zero readout: E = a|x|^2/2, the noise-free map is x_k = (1 - eta a)^k z, so reconstruction is exact."""
    net = MLPEnergy(2, 2, confinement=1.0)
    th = net.pack(np.zeros(2), np.ones((2, 2)), np.zeros(2))
    target = np.array([[0.3, -0.2], [1.0, 2.0]])
    k, eta = 5, 0.1
    xk = generate(net, th, target, k, step=eta)
    np.testing.assert_allclose(xk, (1 - eta) ** k * target, rtol=1e-13)
    z, h = reconstruct(net, th, target, k, step=eta, method="gauss-newton", n_iter=3)
    np.testing.assert_allclose(z, target / (1 - eta) ** k, rtol=1e-8)
    assert h[-1].max() < 1e-20
    z_gd, h_gd = reconstruct(net, th, target, k, step=eta, method="gradient", lr=0.5, n_iter=200)
    assert h_gd[-1].max() < 1e-6 * h_gd[0].max()


def test_frozen_noise_is_reproducible():
    np.testing.assert_array_equal(frozen_noise(4, 3, 2, seed=9), frozen_noise(4, 3, 2, seed=9))
    assert not np.array_equal(frozen_noise(4, 3, 2, seed=9), frozen_noise(4, 3, 2, seed=10))


def test_mixture_2d_modes():
    x = datasets.mixture_2d(4000, n_modes=4, radius=2.0, sd=0.1, seed=3)
    ang = np.mod(np.round(np.arctan2(x[:, 1], x[:, 0]) / (np.pi / 2)), 4)
    counts = np.bincount(ang.astype(int), minlength=4)
    p = counts / 4000  # each mode 1/4: within 5 binomial SE
    assert np.all(np.abs(p - 0.25) <= 5 * np.sqrt(0.25 * 0.75 / 4000))
    np.testing.assert_allclose(np.linalg.norm(x, axis=1).mean(), 2.0, atol=5 * 0.1 / np.sqrt(4000) + 0.01)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_readout_check_passes_and_controls_flip(seed):
    from paper_checks import neural_short_run_readout as chk

    m = chk.measure(quick=True, seed=seed)
    res = chk.result_from(m)
    assert res.passed, res.measurement
    assert not chk.result_from(m, t_claim=4 * chk.K).passed  # the claim at the wrong time fails


@pytest.mark.slow
def test_generator_check_passes():
    from paper_checks import neural_short_run_generator as chk

    m = chk.measure(quick=True, seed=0)
    assert chk.result_from(m).passed
    assert not chk.result_from(m, t_claim=10 * chk.K).passed


def test_readout_verdict_rules_on_hand_made_numbers():
    from paper_checks import neural_short_run_readout as chk

    times = np.array([0, 6, 12, 24, 48, 120])

    def run(feat, x2):
        return {"times": times, "z_features": np.array(feat, dtype=float), "z_x2": np.array(x2, dtype=float)}

    good = {"fixed": [run([80, 16, 1.0, 8, 11, 14], [-160, -40, 29, 90, 110, 120])],
            "trained": [run([85, 18, 0.9, 8, 9, 9], [-160, -70, 0.1, 46, 56, 57])]}
    assert chk.evaluate(good)[0]
    assert not chk.evaluate(good, t_claim=48)[0]  # the claim at the wrong time fails
    bad_x2 = {"fixed": [run([80, 16, 1.0, 8, 11, 14], [-160, -40, 3.0, 90, 110, 120])], "trained": good["trained"]}
    assert not chk.evaluate(bad_x2)[0]  # an untrained term that matched would contradict the statement
    bad_far = {"fixed": [run([80, 16, 1.0, 8, 4.0, 14], [-160, -40, 29, 90, 110, 120])], "trained": good["trained"]}
    assert not chk.evaluate(bad_far)[0]
    with pytest.raises(ValueError, match="not one of the measured times"):
        chk.evaluate(good, t_claim=7)
    # a run without a fixed point (drifting readout) is not scored for the t = k match ...
    drifting = dict(run([80, 16, 5.6, 8, 11, 14], [-160, -40, 29, 90, 110, 120]), drifting=True)
    assert chk.evaluate({"fixed": good["fixed"] + [drifting], "trained": good["trained"]})[0]
    assert not chk.evaluate({"fixed": good["fixed"] + [dict(drifting, drifting=False)], "trained": good["trained"]})[0]
    # ... but still for the mismatch at t >= 4k; one settled run suffices, none fails
    assert not chk.evaluate({"fixed": good["fixed"] + [dict(drifting, z_features=np.array([80, 16, 1, 8, 4, 14.]))],
                             "trained": good["trained"]})[0]
    assert chk.evaluate({"fixed": [dict(good["fixed"][0], drifting=True)], "trained": good["trained"]})[0]
    assert not chk.evaluate({"fixed": [dict(good["fixed"][0], drifting=True)],
                             "trained": [dict(good["trained"][0], drifting=True)]})[0]
