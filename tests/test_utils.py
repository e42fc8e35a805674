"""clip_grad_norm_, EarlyStopping, save/load checkpoints, and the clipping kernels against NumPy float64."""
import math
import os
from collections import OrderedDict

import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb import nn
from tinygradnb import serialization
from tinygradnb.device import backend
from tinygradnb.optim import Adam, SGD
from tinygradnb.serialization import save, load
from tinygradnb.utils import clip_grad_norm_, EarlyStopping

RNG = np.random.default_rng(3)
G1 = RNG.normal(size=(3, 4))
G2 = RNG.normal(size=(5,)) * 3


def _params(*grads, dtype=np.float64):
    ps = []
    for g in grads:
        p = nn.Parameter(tg.tensor(np.zeros(np.shape(g), dtype)))
        p.grad = None if g is None else tg.tensor(np.asarray(g, dtype))
        ps.append(p)
    return ps


# ---------------------------------------------------------------------------------------------------- kernels
ORDS = [2.0, math.inf, 3.0, 0.5]


def _norm_ref(arrays, ord):
    a64 = np.concatenate([np.asarray(a, np.float64).ravel() for a in arrays] + [np.zeros(0)])
    if ord == math.inf:
        return float(np.max(np.abs(a64))) if a64.size else 0.0
    return float(np.sum(np.abs(a64) ** ord)) ** (1.0 / ord)


# tensor sizes: one, several with empty ones among them, and more than a multi-tensor launch takes (16)
SIZES = [[0], [1], [1001], [3, 0, 7, 1, 700], [5 + 37 * k for k in range(19)]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: f"{len(s)}x")
@pytest.mark.parametrize("ord", ORDS)
def test_grad_norm_kernel_against_numpy(dtype, sizes, ord, device):
    b = backend(device)
    hosts = [RNG.normal(size=n).astype(dtype) for n in sizes]
    gs = [b.asarray(h) for h in hosts]
    coef, norm = b.asarray(np.full(2, -7.0)), b.asarray(np.full(1, -7.0, dtype))
    assert b.grad_norm(gs, ord, 2.5, coef, norm) is None
    total = _norm_ref(hosts, ord)
    c, nm = b.to_numpy(coef), b.to_numpy(norm)
    assert c[0] == pytest.approx(total, rel=1e-12, abs=0)
    assert c[1] == pytest.approx(2.5 / (total + 1e-6), rel=1e-12)
    assert nm.dtype == dtype and nm[0] == dtype(c[0])               # the norm rounded to the gradients' dtype
    for h, g in zip(hosts, gs):
        np.testing.assert_array_equal(b.to_numpy(g), h)             # the gradients are only read


def test_grad_norm_kernel_without_gradients(device):
    b = backend(device)
    coef, norm = b.asarray(np.full(2, -7.0)), b.asarray(np.full(1, -7.0, np.float32))
    b.grad_norm([], 2.0, 3.0, coef, norm)
    np.testing.assert_allclose(b.to_numpy(coef), [0.0, 3.0 / 1e-6])
    assert b.to_numpy(norm)[0] == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ord", ORDS)
def test_grad_norm_kernel_nan_and_inf(dtype, ord, device):
    b = backend(device)
    coef, norm = b.asarray(np.zeros(2)), b.asarray(np.zeros(1, dtype))
    for k, pos in ((0, 0), (1, 5), (2, 1000)):
        hosts = [RNG.normal(size=n).astype(dtype) for n in (3, 1001, 1001)]
        hosts[k][min(pos, hosts[k].size - 1)] = np.nan
        b.grad_norm([b.asarray(h) for h in hosts], ord, 1.0, coef, norm)
        c = b.to_numpy(coef)
        assert math.isnan(c[0]) and math.isnan(c[1])
    hosts = [RNG.normal(size=n).astype(dtype) for n in (3, 1001)]
    hosts[1][500] = -np.inf
    b.grad_norm([b.asarray(h) for h in hosts], ord, 1.0, coef, norm)
    assert list(b.to_numpy(coef)) == [math.inf, 0.0]
    b.grad_norm([b.asarray(np.zeros(4, dtype))], ord, 0.0, coef, norm)   # a zero norm and τ = 0: factor 0
    assert list(b.to_numpy(coef)) == [0.0, 0.0]


def test_grad_norm_kernel_rejects_mismatched_arrays(device):
    b = backend(device)
    coef, norm = b.asarray(np.zeros(2)), b.asarray(np.zeros(1))
    with pytest.raises(ValueError, match="one dtype"):
        b.grad_norm([b.asarray(np.zeros(3)), b.asarray(np.zeros(3, np.float32))], 2.0, 1.0, coef, norm)
    with pytest.raises(ValueError, match="matching sizes"):
        b.adam_step_([b.asarray(np.zeros(3))], [b.asarray(np.zeros(4))], [b.asarray(np.zeros(3))],
                     [b.asarray(np.zeros(3))], 0.1, 0.9, 0.999, 1e-8, 0.0, 1, False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: f"{len(s)}x")
def test_clip_scale_kernel_against_numpy(dtype, sizes, device):
    b = backend(device)
    before = [RNG.normal(size=n).astype(dtype) for n in sizes]
    gs = [b.asarray(h.copy()) for h in before]

    def scale(c):
        assert b.clip_scale_(gs, b.asarray(np.array([123.0, c]))) is None
        return [b.to_numpy(g) for g in gs]

    for c in (1.0, 1.5, math.inf):                       # factor >= 1: untouched
        for got, h in zip(scale(c), before):
            np.testing.assert_array_equal(got, h)
    c = 0.3172
    for got, h in zip(scale(c), before):                 # float64 product, rounded
        np.testing.assert_array_equal(got, (h.astype(np.float64) * c).astype(dtype))
        assert got.dtype == dtype
    for got in scale(np.nan):                            # a NaN factor poisons the gradients (as PyTorch)
        assert np.isnan(got).all()


# ---------------------------------------------------------------------------------------------------- clipping
def _is_norm(got, dtype, device="cpu"):
    return (isinstance(got, tg.Tensor) and got.shape == () and got.dtype == np.dtype(dtype)
            and got.device == device and not got.requires_grad)


def test_clip_grad_norm_returns_norm_and_clips():
    ps = _params(G1, G2, None)
    total = math.sqrt(np.sum(G1 ** 2) + np.sum(G2 ** 2))
    assert total > 1.0
    got = clip_grad_norm_(ps, max_norm=1.0)
    assert _is_norm(got, np.float64) and got.item() == pytest.approx(total, rel=1e-14)
    assert float(got) == got.item() and f"{got:.6f}" == f"{total:.6f}"
    coef = 1.0 / (total + 1e-6)
    np.testing.assert_allclose(ps[0].grad.numpy(), G1 * coef, rtol=1e-15)
    np.testing.assert_allclose(ps[1].grad.numpy(), G2 * coef, rtol=1e-15)
    new = math.sqrt(np.sum(ps[0].grad.numpy() ** 2) + np.sum(ps[1].grad.numpy() ** 2))
    assert new == pytest.approx(1.0, rel=1e-5) and new < 1.0
    assert ps[2].grad is None


def test_clip_grad_norm_below_max_is_a_no_op():
    ps = _params(G1, G2, dtype=np.float32)
    before = [p.grad.numpy().copy() for p in ps]
    grads = [p.grad for p in ps]
    total = clip_grad_norm_(ps, max_norm=100.0)
    want = math.sqrt(np.sum(before[0].astype(np.float64) ** 2) + np.sum(before[1].astype(np.float64) ** 2))
    assert _is_norm(total, np.float32)                   # the grads' dtype, as PyTorch
    assert total.item() == np.float32(want)              # the float64 norm, rounded once
    for p, g, want in zip(ps, grads, before):
        assert p.grad is g
        np.testing.assert_array_equal(p.grad.numpy(), want)


def test_clip_grad_norm_mixed_dtypes_return_the_promoted_dtype():
    ps = _params(G1, dtype=np.float32) + _params(G2, dtype=np.float64)
    total = clip_grad_norm_(ps, max_norm=1e9)
    assert _is_norm(total, np.float64)
    want = math.sqrt(np.sum(G1.astype(np.float32).astype(np.float64) ** 2) + np.sum(G2 ** 2))
    assert total.item() == pytest.approx(want, rel=1e-14)


def test_clip_grad_norm_inf_and_p_norms():
    ps = _params(G1, G2)
    inf = max(np.max(np.abs(G1)), np.max(np.abs(G2)))
    assert clip_grad_norm_(ps, 0.5, norm_type=float("inf")).item() == inf
    np.testing.assert_allclose(ps[1].grad.numpy(), G2 * 0.5 / (inf + 1e-6), rtol=1e-15)
    assert max(np.max(np.abs(p.grad.numpy())) for p in ps) == pytest.approx(0.5, rel=1e-5)
    ps = _params(G1, G2)
    assert clip_grad_norm_(ps, 1e9, norm_type="inf").item() == inf
    ps = _params(G1, G2)
    l1 = np.sum(np.abs(G1)) + np.sum(np.abs(G2))
    assert clip_grad_norm_(ps, 1e9, norm_type=1).item() == pytest.approx(l1, rel=1e-13)
    ps = _params(G1, G2)
    l3 = (np.sum(np.abs(G1) ** 3) + np.sum(np.abs(G2) ** 3)) ** (1 / 3)
    assert clip_grad_norm_(ps, 1e9, norm_type=3.0).item() == pytest.approx(l3, rel=1e-13)


def test_clip_grad_norm_non_contiguous_grad():
    p = nn.Parameter(tg.zeros(3, 2, dtype=tg.float64))
    base = np.arange(6.0).reshape(2, 3)
    p.grad = tg.from_numpy(base.T)                       # a strided view: clipped through a copy, written back
    total = clip_grad_norm_(p, 1.0)
    assert total.item() == pytest.approx(math.sqrt(55.0), rel=1e-14)
    want = np.arange(6.0).reshape(2, 3) / (math.sqrt(55.0) + 1e-6)
    np.testing.assert_allclose(p.grad.numpy(), want.T, rtol=1e-15)
    np.testing.assert_allclose(base, want, rtol=1e-15)   # in place: the view's base holds the clipped values


def test_clip_grad_norm_edge_cases():
    p = nn.Parameter(tg.ones(3))
    zero = clip_grad_norm_([p], 1.0)                     # no gradients at all: tensor(0.), as PyTorch
    assert _is_norm(zero, np.float32) and zero.item() == 0.0
    p.grad = tg.tensor([3.0, 4.0, 0.0])
    assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)  # a single tensor
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)
    p.grad = tg.tensor([np.inf, 1.0, 0.0])
    with pytest.raises(RuntimeError, match="total norm .* is inf"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad.numpy(), [np.inf, 1.0, 0.0])   # raised before scaling
    p.grad = tg.tensor([np.nan, 1.0, 0.0])
    with pytest.raises(RuntimeError, match="total norm .* is nan"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isnan(clip_grad_norm_([p], 1.0).item())  # without the check: NaN norm, NaN gradients
    assert np.isnan(p.grad.numpy()).all()
    p.grad = tg.tensor([3.0, 4.0, 0.0])
    assert clip_grad_norm_([p], 1.0, error_if_nonfinite=True).item() == pytest.approx(5.0)
    with pytest.raises(ValueError, match="max_norm must be >= 0, got -1"):
        clip_grad_norm_([p], -1)
    with pytest.raises(ValueError, match="norm_type must be a positive number or inf, got 0"):
        clip_grad_norm_([p], 1.0, norm_type=0)
    with pytest.raises(TypeError, match="max_norm must be a real number"):
        clip_grad_norm_([p], "1")
    with pytest.raises(TypeError, match=r"parameters\[0\] must be a Tensor, got ndarray"):
        clip_grad_norm_([np.ones(2)], 1.0)


def test_clip_then_step_in_a_training_loop():
    tg.manual_seed(1)
    model = nn.Linear(3, 2)
    x = tg.tensor(RNG.normal(size=(4, 3)).astype(np.float32) * 100)
    loss = (model(x) ** 2).mean()
    loss.backward()
    total = clip_grad_norm_(model.parameters(), 1.0)
    assert _is_norm(total, np.float32) and total > 1.0
    after = math.sqrt(sum(float(np.sum(p.grad.numpy().astype(np.float64) ** 2)) for p in model.parameters()))
    assert after == pytest.approx(1.0, rel=1e-5)


# ---------------------------------------------------------------------------------------------------- early stopping
def _set(model, value):
    for p in model.parameters():
        backend(p.device).setitem(p._data, Ellipsis, value)


def test_early_stopping_stops_after_patience_and_restores_best():
    model = nn.Linear(2, 2)
    es = EarlyStopping(patience=3)
    losses = [5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 1.0]
    stops = []
    for epoch, loss in enumerate(losses, start=1):
        _set(model, float(epoch))  # weights remember the epoch that produced them
        stops.append(es.step(loss, model))
        if stops[-1]:
            break
    assert stops == [False, False, False, False, False, True]
    assert es.best == 3.0 and es.best_epoch == 3 and es.num_bad_epochs == 3 and es.should_stop
    for p in model.parameters():
        np.testing.assert_array_equal(p.numpy(), 3.0)  # epoch 3's weights are back


def test_early_stopping_best_state_is_a_copy_and_restore():
    model = nn.Linear(2, 1)
    es = EarlyStopping(patience=10)
    _set(model, 1.0)
    es.step(tg.tensor(0.5), model)  # a one-element tensor works as the metric
    _set(model, 7.0)  # in-place training after the best epoch must not change the saved copy
    assert not es.step(0.6, model)
    es.restore(model)
    for p in model.parameters():
        np.testing.assert_array_equal(p.numpy(), 1.0)


def test_early_stopping_mode_max_min_delta_and_patience_zero():
    es = EarlyStopping(patience=2, mode="max", min_delta=0.1, restore_best_weights=False)
    # 0.5 improves on -inf; 0.55 is not > 0.5 + 0.1; 0.7 is; then two without improvement.
    assert [es.step(m) for m in (0.5, 0.55, 0.7, 0.75, 0.79)] == [False, False, False, False, True]
    assert es.best == 0.7
    es0 = EarlyStopping(patience=0, restore_best_weights=False)
    assert [es0.step(m) for m in (2.0, 1.0, 1.0)] == [False, False, True]
    esn = EarlyStopping(patience=1, restore_best_weights=False)
    assert [esn.step(m) for m in (1.0, float("nan"))] == [False, True]


def test_early_stopping_bad_arguments():
    with pytest.raises(ValueError, match="patience must be an int >= 0, got -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'low'"):
        EarlyStopping(mode="low")
    with pytest.raises(ValueError, match="min_delta must be a number >= 0"):
        EarlyStopping(min_delta=-0.1)
    with pytest.raises(RuntimeError, match="no best weights recorded yet"):
        EarlyStopping().restore(nn.Linear(1, 1))
    with pytest.raises(ValueError, match="model is required"):
        EarlyStopping().step(1.0)
    with pytest.raises(TypeError, match="metric must be a number"):
        EarlyStopping(restore_best_weights=False).step("1.0")


# ---------------------------------------------------------------------------------------------------- save / load
def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint8).tobytes(), a.dtype, a.shape


def _trained():
    tg.manual_seed(11)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = Adam(model.parameters(), lr=0.01)
    x = tg.tensor(RNG.normal(size=(5, 3)).astype(np.float32))
    for _ in range(2):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
    return model, opt


def test_save_load_bit_exact_model_and_optimizer(tmp_path):
    model, opt = _trained()
    path = tmp_path / "ckpt.npz"
    extra = {"epoch": 3, "best": 0.1 + 0.2, "nan": float("nan"), "inf": -math.inf, "big": 2 ** 70,
             "tags": ("a", None, True), "arr": np.arange(6, dtype=np.int32).reshape(2, 3), "f64": np.float64(1 / 3),
             "nested": [{"x": tg.tensor([1.5, -0.0], dtype=tg.float64)}, [], {}], 7: "int key",
             "flags": tg.tensor([True, False]),
             "scalar": tg.tensor(2.5, dtype=tg.float64), "strided": tg.from_numpy(np.arange(6.0).reshape(2, 3).T)}
    obj = {"model": model.state_dict(), "optimizer": opt.state_dict(), **extra}
    save(obj, path)
    back = load(path)
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == list(model.state_dict())
    for k, v in model.state_dict().items():
        assert isinstance(back["model"][k], tg.Tensor)
        assert _bits(back["model"][k].numpy()) == _bits(v.numpy()), k
    so, sb = opt.state_dict(), back["optimizer"]
    assert sb["param_groups"] == so["param_groups"] and isinstance(sb["param_groups"][0]["betas"], tuple)
    assert set(sb["state"]) == set(so["state"]) == {0, 1, 2, 3}
    for i, st in so["state"].items():
        assert sb["state"][i]["step"] == st["step"] == 2
        for k in ("exp_avg", "exp_avg_sq"):
            assert _bits(sb["state"][i][k].numpy()) == _bits(st[k].numpy())
    assert back["epoch"] == 3 and back["best"] == 0.1 + 0.2 and math.isnan(back["nan"])
    assert back["inf"] == -math.inf and back["big"] == 2 ** 70 and back["tags"] == ("a", None, True)
    assert back[7] == "int key" and back["f64"] == np.float64(1 / 3) and type(back["f64"]) is np.float64
    np.testing.assert_array_equal(back["arr"], extra["arr"])
    assert back["arr"].dtype == np.int32
    assert _bits(back["nested"][0]["x"].numpy()) == _bits(np.array([1.5, -0.0]))
    assert back["nested"][1:] == [[], {}]
    assert back["flags"].dtype == tg.bool_ and back["flags"].tolist() == [True, False]
    assert back["scalar"].shape == () and back["scalar"].item() == 2.5
    np.testing.assert_array_equal(back["strided"].numpy(), np.arange(6.0).reshape(2, 3).T)
    model2 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model2.load_state_dict(back["model"])
    for (k, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        assert _bits(a.numpy()) == _bits(b.numpy()), k
    assert not any(n.endswith(".tmp") for n in os.listdir(tmp_path))


def test_save_load_parameter_and_float64_and_compression(tmp_path):
    p = nn.Parameter(tg.tensor(RNG.normal(size=(2, 3))))
    save({"p": p, "t": tg.tensor([1.0], requires_grad=True)}, str(tmp_path / "a.ckpt"), compress=True)
    back = load(str(tmp_path / "a.ckpt"))
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad and back["p"].dtype == tg.float64
    assert _bits(back["p"].numpy()) == _bits(p.numpy())
    assert back["t"].requires_grad and not isinstance(back["t"], nn.Parameter)


class _Boom(Exception):
    pass


def test_interrupted_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    model, opt = _trained()
    save({"model": model.state_dict(), "epoch": 1}, path)
    old_bytes = path.read_bytes()

    def fail_replace(src, dst):
        raise _Boom("power cut before rename")

    monkeypatch.setattr(serialization.os, "replace", fail_replace)
    with pytest.raises(_Boom):
        save({"model": model.state_dict(), "epoch": 2}, path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes and load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ckpt.npz"]

    real_savez = np.savez

    def fail_mid_write(f, **arrays):  # writes part of an archive, then dies
        real_savez(f, **dict(list(arrays.items())[:2]))
        f.write(b"\0" * 100)
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.np, "savez", fail_mid_write)
    with pytest.raises(KeyboardInterrupt):
        save({"model": model.state_dict(), "epoch": 3}, path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes and load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    save({"epoch": 4}, path)  # a later save replaces it
    assert load(path) == {"epoch": 4} and os.listdir(tmp_path) == ["ckpt.npz"]


def test_loading_a_mismatched_state_dict_says_what_differs(tmp_path):
    model, _ = _trained()
    save(model.state_dict(), tmp_path / "m.npz")
    sd = load(tmp_path / "m.npz")
    with pytest.raises(RuntimeError, match=r"0.weight: shape \(4, 3\) in the state dict, \(5, 3\) in the model"):
        nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2)).load_state_dict(sd)
    with pytest.raises(RuntimeError, match="0.weight: dtype float32 in the state dict, float64 in the model"):
        nn.Sequential(nn.Linear(3, 4, dtype=tg.float64), nn.ReLU(), nn.Linear(4, 2)).load_state_dict(sd)
    with pytest.raises(RuntimeError, match="missing keys: 4.weight, 4.bias"):
        nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 2)).load_state_dict(sd)
    with pytest.raises(RuntimeError, match="unexpected keys: 2.weight, 2.bias"):
        nn.Sequential(nn.Linear(3, 4)).load_state_dict(sd)


def test_save_load_bad_inputs(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['model'\] is a Sequential; .*state_dict\(\)"):
        save({"model": nn.Sequential()}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dtype object"):
        save({"a": np.array([1, "x"], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="has a key"):
        save({frozenset({1}): 1}, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists() and os.listdir(tmp_path) == []
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(ValueError, match="plain.npz' is not a valid tinygradnb checkpoint"):
        load(tmp_path / "plain.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match="junk.npz' is not a valid tinygradnb checkpoint"):
        load(tmp_path / "junk.npz")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")
    with pytest.raises(TypeError, match="load: path must be a str or os.PathLike, got NoneType"):
        load(None)
    with pytest.raises(TypeError, match="save: path must be a str or os.PathLike, got NoneType"):
        save({}, None)
    with pytest.raises(FileNotFoundError, match="save: the folder .* does not exist"):
        save({}, tmp_path / "no_such_folder" / "x.npz")
    with pytest.raises(ValueError, match="load: map_location: device: expected one of"):
        load(tmp_path / "plain.npz", map_location="tpu")


def _damaged(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("compress", [False, True])
def test_load_of_a_damaged_checkpoint_names_the_file(tmp_path, compress):
    """Truncated, empty, random or overwritten files raise ValueError naming the file, never a raw zip, EOF,
    zlib, JSON or Unicode error; the reader's error stays as __cause__."""
    good = tmp_path / "good.npz"
    save({"w": tg.arange(500).float(), "meta": [1, 2.5, "x"]}, good, compress=compress)
    raw = good.read_bytes()
    rng = np.random.default_rng(0)
    cases = {"empty.npz": b"", "truncated_half.npz": raw[:len(raw) // 2], "truncated_1.npz": raw[:-1],
             "head.npz": raw[:10], "random.npz": rng.integers(0, 256, 600, dtype=np.uint8).tobytes()}
    for pos in (64, len(raw) // 3):  # damaged bytes inside the archive: a CRC or a deflate error on reading
        cases[f"flipped_{pos}.npz"] = raw[:pos] + b"\xff" * 8 + raw[pos + 8:]
    for name, data in cases.items():
        p = _damaged(tmp_path, name, data)
        with pytest.raises(ValueError, match=rf"load: '.*{name}' is not a valid tinygradnb checkpoint") as err:
            load(p)
        assert err.value.__cause__ is not None, name
    with pytest.raises(ValueError, match=r"empty.npz' is not a valid tinygradnb checkpoint \(the file is empty\)"):
        load(tmp_path / "empty.npz")
    assert load(good)["meta"] == [1, 2.5, "x"]


def test_load_of_a_malformed_header_or_structure_names_the_file(tmp_path):
    import json
    head = {"format": "tinygradnb.checkpoint", "version": 1}

    def ckpt(meta, raw=None, **arrays):
        p = tmp_path / f"m{len(list(tmp_path.iterdir()))}.npz"
        data = raw if raw is not None else json.dumps(meta).encode()
        np.savez(p, __meta__=np.frombuffer(data, np.uint8), **arrays)
        return p

    np.save(tmp_path / "single.npy", np.ones(3))
    cases = [
        (ckpt(None, raw=b"{not json"), r"'__meta__' entry is unreadable: JSONDecodeError"),
        (ckpt(None, raw=b"\xff\xfe"), r"'__meta__' entry is unreadable: UnicodeDecodeError"),
        (ckpt([1, 2]), r"'__meta__' entry is a JSON list"),
        (ckpt({"format": "other"}), r"format 'other'"),
        (ckpt(head), r"malformed header: version 1, no 'root' entry"),
        (ckpt(head | {"version": "1", "root": 1}), r"malformed header: version '1'"),
        (ckpt(head | {"root": {"list": 5}}), r"malformed checkpoint structure at obj: expected a list"),
        (ckpt(head | {"root": {"dict": [[1]]}}), r"not a \[key, value\] pair"),
        (ckpt(head | {"root": {"tensor": "a0", "device": "cpu"}}), r"lists array 'a0' at obj but does not hold it"),
        (ckpt(head | {"root": {"tensor": "a0", "device": "tpu"}}, a0=np.ones(2, np.float32)), r"device"),
        (ckpt(head | {"root": {"tensor": "a0", "device": "cpu"}}, a0=np.ones(2, np.float16)), r"float16"),
        (ckpt(head | {"root": {"int": "abc"}}), r"invalid literal for int"),
        (ckpt(head | {"root": {"zzz": 1}}), r"malformed checkpoint structure at obj: \['zzz'\]"),
    ]
    for p, why in cases:
        with pytest.raises(ValueError, match=rf"load: '.*{p.name}' is not a valid tinygradnb checkpoint \(.*{why}"):
            load(p)
    with pytest.raises(ValueError, match=r"single.npy' is a single .npy array, not a valid tinygradnb checkpoint"):
        load(tmp_path / "single.npy")
    with pytest.raises(ValueError, match=r"is checkpoint version 2, this tinygradnb reads up to 1"):
        load(ckpt(head | {"version": 2, "root": 1}))
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load(tmp_path)


def test_optimizer_checkpoint_with_sgd_momentum(tmp_path):
    p = nn.Parameter(tg.tensor([1.0, 2.0]))
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = tg.tensor([0.5, -0.5])
    opt.step()
    save(opt.state_dict(), tmp_path / "o.npz")
    q = nn.Parameter(tg.tensor([1.0, 2.0]))
    opt2 = SGD([q], lr=0.5)
    opt2.load_state_dict(load(tmp_path / "o.npz"))
    assert opt2.param_groups[0]["momentum"] == 0.9 and opt2.param_groups[0]["lr"] == 0.1
    assert _bits(opt2.state[q]["momentum_buffer"].numpy()) == _bits(opt.state[p]["momentum_buffer"].numpy())
