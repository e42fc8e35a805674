"""Rosenblatt's perceptron on every device: the rule by hand, epochs against a plain-Python reference (edge shapes
included), AND/OR/NOT learnt, XOR honestly not, bad inputs."""
import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.nn.perceptron import Perceptron, PerceptronFit

X2 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def ref_epoch(w, b, X, y, lr):
    """The lecture's rule in plain Python: ŷ = 1[w·x + b > 0]; w ← w + η(y − ŷ)x, b ← b + η(y − ŷ)."""
    mistakes = 0
    for x, t in zip(X, y):
        yhat = 1 if float(np.dot(w, x)) + b > 0 else 0
        if yhat != t:
            mistakes += 1
            w = w + lr * (t - yhat) * x
            b = b + lr * (t - yhat)
    return w, b, mistakes


def test_epochs_by_hand_on_and(device):
    # Epoch 1 from w = 0, b = 0: only (1,1) is wrong (score 0 → ŷ = 0): w = (1, 1), b = 1.
    # Epoch 2: (0,0) scores 1 → w unchanged, b = 0; (0,1) scores 1 → w = (1, 0), b = −1; (1,0) scores 0 → right;
    # (1,1) scores 0 → w = (2, 1), b = 0. Three mistakes.
    p = Perceptron(2, dtype=tg.float64, device=device)
    assert p.weight.device == p.bias.device == device
    y = [0, 0, 0, 1]
    assert p.fit(X2, y, epochs=1).mistakes == [1]
    np.testing.assert_array_equal(p.weight.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(p.bias.numpy(), [1.0])
    assert p.fit(X2, y, epochs=1).mistakes == [3]
    np.testing.assert_array_equal(p.weight.numpy(), [2.0, 1.0])
    np.testing.assert_array_equal(p.bias.numpy(), [0.0])
    # scores w·x + b = 0, 1, 2, 3: only (0,0) is at or below the threshold
    pred = p.predict(X2)
    assert pred.device == device and pred.dtype == tg.int64 and pred.tolist() == [0, 1, 1, 1]


def _problem(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.3 > 0).astype(np.int64)
    return X, y


EPOCH_CASES = [(9, 5, np.float32), (12, 70, np.float64), (1, 1, np.float64), (0, 3, np.float32)]  # 70 > 32 threads


@pytest.mark.parametrize("n,d,dtype", EPOCH_CASES)
def test_epochs_match_reference(n, d, dtype, device):
    """Epoch by epoch, continuing from the weights with a new learning rate each time: the mistakes, w and b of
    the plain-Python rule; no sample (n = 0) is an epoch without mistakes."""
    _epochs_match_reference(n, d, dtype, device)


@pytest.mark.parametrize("n,d,dtype", [(n, d, dt) for n, d in ((50, 4), (9, 5), (1, 1), (12, 70), (0, 3))
                                       for dt in (np.float32, np.float64) if (n, d, dt) not in EPOCH_CASES])
def test_epochs_match_reference_more(n, d, dtype):
    """More samples and the other dtypes: on the CPU only (a device epoch walks the samples one by one, slow under
    the simulator)."""
    _epochs_match_reference(n, d, dtype, "cpu")


def _epochs_match_reference(n, d, dtype, device):
    X, y = _problem(n, d)
    X = X.astype(dtype)
    p = Perceptron(d, dtype=dtype, device=device)
    rw, rb = np.zeros(d), 0.0
    for lr in (1.0, 0.5, 0.25):
        fit = p.fit(tg.tensor(X, device=device), tg.tensor(y, device=device), lr=lr, epochs=1)
        rw, rb, rm = ref_epoch(rw, rb, X.astype(np.float64), y, lr)
        assert fit.mistakes == [rm] and fit.converged == (rm == 0)
        assert p.weight.dtype == dtype and p.weight.device == device and p.bias.shape == (1,)
        np.testing.assert_allclose(p.weight.numpy(), rw, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(p.bias.numpy(), [rb], rtol=1e-6, atol=1e-6)
    pred = p.predict(X)
    assert pred.dtype == tg.int64 and pred.shape == (n,) and pred.device == device
    np.testing.assert_array_equal(pred.numpy(), (X.astype(np.float64) @ rw + rb > 0).astype(np.int64))


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
@pytest.mark.parametrize("n,d", [(45, 6), (1, 1), (0, 3)])   # 45 > 32 threads: the grid-stride loop
def test_predict_is_the_threshold_of_the_score(n, d, dtype, device):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, d))
    w, b = rng.normal(size=d), rng.normal(size=1)
    p = Perceptron(d, dtype=dtype, device=device)
    p.weight.copy_(tg.tensor(w))                          # a CPU tensor, cast and copied to the device
    p.bias.copy_(tg.tensor(b))
    pred = p.predict(X)
    assert pred.dtype == tg.int64 and pred.shape == (n,) and pred.device == device
    w, b = p.weight.numpy().astype(np.float64), p.bias.numpy().astype(np.float64)
    np.testing.assert_array_equal(pred.numpy(), (X.astype(np.dtype(dtype)).astype(np.float64) @ w + b > 0))


GATES = {"AND": (X2, [0, 0, 0, 1]), "OR": (X2, [0, 1, 1, 1]), "NAND": (X2, [1, 1, 1, 0]),
         "NOT": (np.array([[0.0], [1.0]]), [1, 0])}


@pytest.mark.parametrize("name", ["AND", "NOT"])
def test_learns_linearly_separable_gates(name, device):
    _learns(*GATES[name], device)


@pytest.mark.parametrize("name", ["OR", "NAND"])
def test_learns_linearly_separable_gates_more(name):
    """The same fit on other labels: on the CPU only, to keep the simulator's time."""
    _learns(*GATES[name], "cpu")


def _learns(X, y, device):
    p = Perceptron(X.shape[1], device=device)
    fit = p.fit(X, y)
    assert isinstance(fit, PerceptronFit)
    assert fit.converged and fit.mistakes[-1] == 0 and fit.epochs == len(fit.mistakes) < 100
    pred = p.predict(X)
    assert pred.dtype == tg.int64 and pred.tolist() == y
    # refitting a converged perceptron converges in its first epoch
    assert p.fit(X, y).epochs == 1


def test_fails_honestly_on_xor(device):
    p = Perceptron(2, device=device)
    fit = p.fit(X2, [0, 1, 1, 0], epochs=12)
    assert not fit.converged and fit.epochs == 12 and len(fit.mistakes) == 12 and min(fit.mistakes) > 0
    assert p.predict(X2).tolist() != [0, 1, 1, 0]


def test_fit_matches_reference_and_accepts_tensors_and_bool_labels(device):
    X = tg.tensor(X2, dtype=tg.float32, device=device)
    p = Perceptron(2, device=device)
    fit = p.fit(X, tg.tensor([False, True, True, True], device=device), lr=0.5, epochs=20)
    w, b, ms = np.zeros(2), 0.0, []
    for _ in range(20):
        w, b, m = ref_epoch(w, b, X2, [0, 1, 1, 1], 0.5)
        ms.append(m)
        if m == 0:
            break
    assert fit.mistakes == ms and fit.converged
    np.testing.assert_allclose(p.weight.numpy(), w)
    np.testing.assert_allclose(p.bias.numpy(), [b])
    assert set(p.state_dict()) == {"weight", "bias"} and not p.weight.requires_grad
    score = p(X)                                          # forward gives the score w·x + b
    assert score.device == device
    np.testing.assert_allclose(score.numpy(), X2 @ w + b)


def test_converges_on_separable_data_from_a_cpu_array(device):
    X = np.array([[2, 1], [-1, -2], [1, 2], [-2, -1], [3, 3], [-3, -3]], np.float64)
    y = np.array([1, 0, 1, 0, 1, 0], np.int64)
    p = Perceptron(2, dtype=tg.float64, device=device)
    fit = p.fit(tg.tensor(X), y, epochs=10)              # a CPU tensor and a NumPy array move to the device
    assert fit.converged and fit.mistakes[0] > 0 and fit.mistakes[-1] == 0
    np.testing.assert_array_equal(p.predict(X).numpy(), y)


def test_bad_inputs(device):
    p = Perceptron(2, device=device)
    with pytest.raises(ValueError, match=r"labels must be 0 or 1, got 1 other value\(s\) \(e.g. -1\)"):
        p.fit(X2, [0, 1, -1, 0])
    with pytest.raises(ValueError, match=r"labels must be 0 or 1, got 1 other value\(s\) \(e.g. 0.5\)"):
        p.fit(X2, [0.0, 1.0, 0.5, 0.0])
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\), got \(4, 3\)"):
        p.fit(np.zeros((4, 3)), [0, 1, 1, 0])
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\), got \(2,\)"):
        p.predict([0.0, 1.0])
    with pytest.raises(ValueError, match=r"y must have shape \(4,\)"):
        p.fit(X2, [0, 1])
    with pytest.raises(ValueError, match="lr must be a number > 0, got 0"):
        p.fit(X2, [0, 1, 1, 0], lr=0)
    with pytest.raises(ValueError, match="epochs must be an int >= 1, got 0"):
        p.fit(X2, [0, 1, 1, 0], epochs=0)
    with pytest.raises(ValueError, match="n_features must be a positive int, got 0"):
        Perceptron(0, device=device)
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got int64"):
        Perceptron(2, dtype=tg.int64, device=device)
    np.testing.assert_array_equal(p.weight.numpy(), [0.0, 0.0])  # nothing was trained by the failed calls
