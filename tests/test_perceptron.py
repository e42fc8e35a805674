"""Rosenblatt's perceptron: the rule by hand, AND/OR/NOT learnt, XOR honestly not, bad inputs."""
import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.device import backend
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


def test_epoch_kernel_by_hand_on_and():
    # Epoch 1 from w = 0, b = 0: only (1,1) is wrong (score 0 → ŷ = 0): w = (1, 1), b = 1.
    # Epoch 2: (0,0) scores 1 → w unchanged, b = 0; (0,1) scores 1 → w = (1, 0), b = −1; (1,0) scores 0 → right;
    # (1,1) scores 0 → w = (2, 1), b = 0. Three mistakes.
    k = backend("cpu")
    w, b = np.zeros(2), np.zeros(1)
    y = np.array([0, 0, 0, 1], np.int64)
    assert k.perceptron_epoch_(w, b, X2, y, 1.0) == 1
    np.testing.assert_array_equal(w, [1.0, 1.0])
    np.testing.assert_array_equal(b, [1.0])
    assert k.perceptron_epoch_(w, b, X2, y, 1.0) == 3
    np.testing.assert_array_equal(w, [2.0, 1.0])
    np.testing.assert_array_equal(b, [0.0])
    # scores w·x + b = 0, 1, 2, 3: only (0,0) is at or below the threshold
    np.testing.assert_array_equal(k.perceptron_predict(w, b, X2), [0, 1, 1, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_epoch_kernel_matches_reference_on_random_data(dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4)).astype(dtype)
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) > 0.3).astype(np.int64)
    w, b = np.zeros(4, dtype), np.zeros(1, dtype)
    rw, rb = np.zeros(4), 0.0
    for _ in range(5):
        m = backend("cpu").perceptron_epoch_(w, b, X, y, 0.5)
        rw, rb, rm = ref_epoch(rw, rb, X.astype(np.float64), y, 0.5)
        assert m == rm
        np.testing.assert_allclose(w, rw, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(b, [rb], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name,X,y", [
    ("AND", X2, [0, 0, 0, 1]),
    ("OR", X2, [0, 1, 1, 1]),
    ("NAND", X2, [1, 1, 1, 0]),
    ("NOT", np.array([[0.0], [1.0]]), [1, 0]),
])
def test_learns_linearly_separable_gates(name, X, y):
    p = Perceptron(X.shape[1])
    fit = p.fit(X, y)
    assert isinstance(fit, PerceptronFit)
    assert fit.converged and fit.mistakes[-1] == 0 and fit.epochs == len(fit.mistakes) < 100
    pred = p.predict(X)
    assert pred.dtype == tg.int64 and pred.tolist() == y
    # refitting a converged perceptron converges in its first epoch
    assert p.fit(X, y).epochs == 1


def test_fails_honestly_on_xor():
    p = Perceptron(2)
    fit = p.fit(X2, [0, 1, 1, 0], epochs=50)
    assert not fit.converged and fit.epochs == 50 and len(fit.mistakes) == 50 and min(fit.mistakes) > 0
    assert p.predict(X2).tolist() != [0, 1, 1, 0]


def test_fit_matches_reference_and_accepts_tensors_and_bool_labels():
    X = tg.tensor(X2, dtype=tg.float32)
    p = Perceptron(2)
    fit = p.fit(X, tg.tensor([False, True, True, True]), lr=0.5, epochs=20)
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
    np.testing.assert_allclose(p(X).numpy(), X2 @ w + b)  # forward gives the score w·x + b


def test_bad_inputs():
    p = Perceptron(2)
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
        Perceptron(0)
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got int64"):
        Perceptron(2, dtype=tg.int64)
    np.testing.assert_array_equal(p.weight.numpy(), [0.0, 0.0])  # nothing was trained by the failed calls
