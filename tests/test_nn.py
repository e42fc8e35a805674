"""nn.Module machinery, layers against NumPy references and gradcheck, initialisers."""
import math

import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb import nn
import tinygradnb.nn.functional as F


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(tg.ones(1))

    def forward(self, x):
        return self.fc2(F.relu(self.norm(self.fc1(x)))) * self.scale


def test_registration_names_and_modes():
    m = TwoLayer()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "norm.weight", "norm.bias", "fc2.weight"]
    assert list(m.state_dict()) == names[:1] + ["fc1.weight", "fc1.bias", "norm.weight", "norm.bias",
                                                "norm.running_mean", "norm.running_var", "fc2.weight"]
    assert [n for n, _ in m.named_children()] == ["fc1", "norm", "fc2"]
    assert all(p.requires_grad for p in m.parameters())
    m.eval()
    assert not m.training and not m.norm.training
    m.train()
    assert m.fc2.training
    with pytest.raises(TypeError, match="expected a Parameter"):
        m.scale = tg.ones(1)


def test_shared_parameter_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2 and len(seq) == 3 and seq[2] is lin
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2


def test_zero_grad_and_backward_through_module():
    m = TwoLayer()
    m(tg.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(float(np.abs(p.grad.numpy()).sum()) == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_state_dict_round_trip_is_bit_exact():
    tg.manual_seed(0)
    a = TwoLayer()
    a(tg.randn(8, 3))  # updates running statistics
    tg.manual_seed(1)
    b = TwoLayer()
    weight = b.fc1.weight
    b.load_state_dict(a.state_dict())
    assert b.fc1.weight is weight  # loaded in place: optimizers keep their references
    for (k, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert va.numpy().tobytes() == vb.numpy().tobytes(), k
    x = tg.randn(2, 3)
    a.eval(), b.eval()
    assert a(x).numpy().tobytes() == b(x).numpy().tobytes()


def test_load_state_dict_errors_name_what_differs():
    # torch 2.13: RuntimeError "Error(s) in loading state_dict for ..." for every mismatch
    m = TwoLayer()
    sd = m.state_dict()
    missing = {k: v for k, v in sd.items() if k != "fc1.bias"}
    with pytest.raises(RuntimeError, match="missing keys: fc1.bias"):
        m.load_state_dict(missing)
    with pytest.raises(RuntimeError, match="unexpected keys: extra"):
        m.load_state_dict({**sd, "extra": tg.ones(1)})
    res = m.load_state_dict({**missing, "extra": tg.ones(1)}, strict=False)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["extra"]
    with pytest.raises(RuntimeError, match=r"fc1.weight: shape \(3, 4\) in the state dict, \(4, 3\) in the model"):
        m.load_state_dict({**sd, "fc1.weight": tg.ones(3, 4)})
    with pytest.raises(RuntimeError, match="fc2.weight: dtype float64 in the state dict, float32 in the model"):
        m.load_state_dict({**sd, "fc2.weight": tg.ones(2, 4, dtype=tg.float64)})
    with pytest.raises(RuntimeError, match="Error.s. in loading state_dict for TwoLayer: fc1.weight: expected a Tensor "
                                           "or a NumPy array in the state dict, got NoneType"):
        m.load_state_dict({**sd, "fc1.weight": None})
    with pytest.raises(RuntimeError,
                       match="fc1.weight: expected a Tensor or a NumPy array in the state dict, got list"):
        m.load_state_dict({**sd, "fc1.weight": [[1.0] * 3] * 4})
    with pytest.raises(RuntimeError, match="unexpected keys: 1"):
        m.load_state_dict({**sd, 1: tg.ones(1)})


@pytest.mark.parametrize("bad", [None, [1, 2], "weights.npz", 3, ("fc1.weight", None)])
def test_load_state_dict_of_a_non_mapping_is_a_type_error(bad):
    # torch 2.13: TypeError "Expected state_dict to be dict-like, got <class 'NoneType'>."
    with pytest.raises(TypeError, match=r"load_state_dict: Expected state_dict to be dict-like, got <class '"):
        TwoLayer().load_state_dict(bad)


def test_load_state_dict_accepts_strided_and_numpy_values():
    m = TwoLayer()
    sd = {k: v.detach() for k, v in m.state_dict().items()}
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    m.load_state_dict({**sd, "fc1.weight": tg.tensor(w).T, "fc1.bias": np.ones(4, np.float32)})
    assert m.fc1.weight.numpy().tolist() == w.T.tolist() and m.fc1.bias.tolist() == [1.0] * 4
    m.load_state_dict({**sd, "fc1.bias": tg.ones(1).expand(4) * 2})
    assert m.fc1.bias.tolist() == [2.0] * 4




def test_double_converts_parameters_and_buffers():
    m = TwoLayer().double()
    assert all(t.dtype == tg.float64 for t in m.state_dict().values())
    assert m(tg.randn(2, 3, dtype=tg.float64)).dtype == tg.float64


def test_linear_matches_reference_and_gradcheck():
    lin = nn.Linear(4, 3).double()
    x = np.random.default_rng(0).standard_normal((2, 5, 4))
    ref = x @ lin.weight.numpy().T + lin.bias.numpy()
    np.testing.assert_allclose(lin(tg.tensor(x)).numpy(), ref, rtol=1e-12)
    assert tg.gradcheck(F.linear, [tg.tensor(x, requires_grad=True), lin.weight, lin.bias])
    assert tg.gradcheck(F.linear, [tg.tensor(x[0], requires_grad=True), lin.weight])
    # torch 2.13: RuntimeError "mat1 and mat2 shapes cannot be multiplied (2x5 and 4x3)"
    with pytest.raises(RuntimeError, match=r"linear: input of shape \(2, 5\) needs a last dimension of in_features=4.*"
                                           r"mat1 and mat2 shapes cannot be multiplied \(2x5 and 4x3\)"):
        lin(tg.ones(2, 5, dtype=tg.float64))


def test_layer_default_inits_follow_pytorch():
    tg.manual_seed(0)
    lin = nn.Linear(400, 300)
    w = lin.weight.numpy()
    bound = 1 / math.sqrt(400)
    assert np.abs(w).max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(lin.bias.numpy()).max() <= bound
    emb = nn.Embedding(1000, 64, padding_idx=3)
    e = emb.weight.numpy()
    assert abs(e.std() - 1) < 0.02 and not e[3].any()


@pytest.mark.parametrize("fn,var", [
    (nn.init.xavier_uniform_, lambda i, o: 2 / (i + o)),
    (nn.init.xavier_normal_, lambda i, o: 2 / (i + o)),
    (lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"), lambda i, o: 2 / i),
    (lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu"), lambda i, o: 2 / i),
])
def test_init_variances(fn, var):
    tg.manual_seed(3)
    t = fn(tg.empty(300, 500))
    assert abs(t.numpy().var() / var(500, 300) - 1) < 0.03
    assert abs(t.numpy().mean()) < 0.01


def test_init_zeros_normal_constant():
    t = tg.empty(100, 100)
    assert not nn.init.zeros_(t).numpy().any()
    assert (nn.init.constant_(t, 2.5).numpy() == 2.5).all()
    x = nn.init.normal_(t, 1.0, 0.5).numpy()
    assert abs(x.mean() - 1) < 0.02 and abs(x.std() - 0.5) < 0.02
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(tg.empty(3))


def test_modules_match_functional():
    x = tg.randn(6, 4, dtype=tg.float64)
    np.testing.assert_allclose(nn.LayerNorm(4).double()(x).numpy(), F.layer_norm(x, (4,)).numpy())
    np.testing.assert_allclose(nn.RMSNorm(4).double()(x).numpy(), F.rms_norm(x, (4,)).numpy())
    np.testing.assert_allclose(nn.GELU("tanh")(x).numpy(), F.gelu(x, approximate="tanh").numpy())
    for mod, fn in ((nn.ReLU(), F.relu), (nn.Sigmoid(), F.sigmoid), (nn.Tanh(), F.tanh),
                    (nn.Softmax(1), lambda t: F.softmax(t, 1)), (nn.LogSoftmax(-1), F.log_softmax),
                    (nn.LeakyReLU(0.2), lambda t: F.leaky_relu(t, 0.2)), (nn.Identity(), lambda t: t)):
        np.testing.assert_allclose(mod(x).numpy(), fn(x).numpy())
    assert nn.Flatten()(tg.ones(2, 3, 4)).shape == (2, 12)


def test_batchnorm_module_train_eval():
    bn = nn.BatchNorm1d(3).double()
    x = np.random.default_rng(1).standard_normal((16, 3)) * 2 + 5
    y = bn(tg.tensor(x)).numpy()
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x.mean(0))
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1))
    bn.eval()
    np.testing.assert_allclose(bn(tg.tensor(x)).numpy(),
                               (x - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5))


def test_dropout_module_is_identity_in_eval():
    d = nn.Dropout(0.5)
    x = tg.ones(1000)
    assert 0.3 < (d(x).numpy() == 0).mean() < 0.7
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        nn.Dropout(1.5)


def test_residual_gradcheck():
    block = nn.Residual(nn.Sequential(nn.Linear(3, 3), nn.Tanh())).double()
    x = tg.randn(2, 3, dtype=tg.float64, requires_grad=True)
    np.testing.assert_allclose(block(x).numpy(), x.numpy() + block.fn(x).numpy())
    assert tg.gradcheck(block, [x])


def test_loss_modules():
    logits, y = tg.randn(4, 3), tg.tensor([0, 2, 1, 2])
    assert nn.CrossEntropyLoss()(logits, y).item() == pytest.approx(F.cross_entropy(logits, y).item())
    assert nn.CrossEntropyLoss(reduction="none")(logits, y).shape == (4,)
    a, b = tg.randn(5), tg.rand(5)
    assert nn.MSELoss()(a, b).item() == pytest.approx(F.mse_loss(a, b).item())
    assert nn.BCEWithLogitsLoss(reduction="sum")(a, b).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(a, b, reduction="sum").item())


def test_module_list_and_repr():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    holder = nn.Module()
    holder.layers = ml
    assert len(list(holder.parameters())) == 6 and len(ml) == 3
    assert "(layers): ModuleList(" in repr(holder) and "Linear(in_features=2, out_features=2, bias=True)" in repr(ml)
    # torch 2.13: NotImplementedError 'Module [Module] is missing the required "forward" function'
    with pytest.raises(NotImplementedError, match="defines no forward"):
        holder(tg.ones(1))


def test_torch_style_training_loop_mlp_xor():
    """The PyTorch idiom with only the imports changed: an MLP solves XOR with full-batch SGD."""
    tg.manual_seed(0)
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tg.tensor([0, 1, 1, 0])
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    criterion = nn.CrossEntropyLoss()
    for _ in range(500):
        model.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        with tg.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    assert model(x).argmax(dim=1).tolist() == [0, 1, 1, 0]


def test_module_argument_errors_name_the_argument():
    m = TwoLayer()
    # torch 2.13: Module.to(torch.int64) TypeError "nn.Module.to only accepts floating point or complex dtypes"
    with pytest.raises(TypeError, match="TwoLayer.to: nn.Module.to only accepts floating point dtypes, got int64"):
        m.to(tg.int64)
    assert m.fc1.weight.dtype == tg.float32
    with pytest.raises(ValueError, match=r"TwoLayer.to: expected a device \(cpu, cuda\) or a float dtype .*'tpu'"):
        m.to("tpu")
    with pytest.raises(TypeError, match=r"TwoLayer.to: expected a device .* got 5"):
        m.to(5)
    assert m.to(None) is m
    # torch 2.13: ValueError "training mode is expected to be boolean"
    with pytest.raises(ValueError, match="TwoLayer.train: training mode is expected to be boolean, got str"):
        m.train("no")
    # torch 2.13: TypeError for a non-str name, KeyError for a dotted one
    with pytest.raises(TypeError, match="register_buffer: buffer name should be a string, got int"):
        m.register_buffer(1, tg.ones(1))
    with pytest.raises(KeyError, match=r"register_buffer: buffer name can.+t be empty or contain"):
        m.register_buffer("a.b", tg.ones(1))
    with pytest.raises(KeyError, match="register_parameter: parameter name"):
        m.register_parameter("", nn.Parameter(tg.ones(1)))
    with pytest.raises(KeyError, match="add_module: module name"):
        m.add_module("x.y", nn.ReLU())
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    assert isinstance(seq[-1], nn.Tanh) and isinstance(seq[np.int64(0)], nn.ReLU)
    # torch 2.13: IndexError "index 3 is out of range", TypeError for a str index
    with pytest.raises(IndexError, match=r"Sequential: index 3 is out of range for 2 module\(s\)"):
        seq[3]
    with pytest.raises(TypeError, match="Sequential: index must be an int or a slice, got str"):
        seq["a"]
    with pytest.raises(IndexError, match=r"ModuleList: index -3 is out of range for 2 module\(s\)"):
        nn.ModuleList([nn.ReLU(), nn.ReLU()])[-3]


def test_init_errors_name_the_argument_and_empty_tensors_are_left_alone():
    from tinygradnb.nn import init
    for f in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.zeros_):
        with pytest.raises(TypeError, match=rf"{f.__name__}: tensor must be a Tensor, got NoneType"):
            f(None)
    with pytest.raises(TypeError, match="uniform_: tensor must be a float32 or float64 tensor"):
        init.uniform_(tg.zeros(3, dtype=tg.int64))
    with pytest.raises(TypeError, match="uniform_: a must be a real number, got str"):
        init.uniform_(tg.zeros(3), "x")
    with pytest.raises(TypeError, match="constant_: val must be a real number, got str"):
        init.constant_(tg.zeros(3), "a")
    with pytest.raises(ValueError, match="kaiming_uniform_: fan in and fan out need a tensor with at least 2"):
        init.kaiming_uniform_(tg.zeros(3))
    with pytest.raises(ValueError, match="kaiming_uniform_: mode: expected 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(tg.zeros(3, 3), mode="fan")
    with pytest.raises(ValueError, match="calculate_gain: unsupported nonlinearity"):
        init.calculate_gain(["relu"])
    with pytest.raises(TypeError, match="calculate_gain: param"):
        init.calculate_gain("leaky_relu", "x")
    # torch 2.13: kaiming on a zero-element tensor warns "Initializing zero-element tensors is a no-op"; xavier and
    # Linear(0, 5) work (weight (5, 0), bias U(0, 0) = zeros, the output the bias)
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        init.kaiming_uniform_(tg.zeros(5, 0))
    assert init.xavier_uniform_(tg.zeros(0, 0)).shape == (0, 0)
    with pytest.warns(UserWarning, match="zero-element"):
        lin = nn.Linear(0, 5)
    assert lin.weight.shape == (5, 0) and lin.bias.tolist() == [0.0] * 5
    assert lin(tg.ones(2, 0)).tolist() == [[0.0] * 5] * 2


def test_linear_argument_errors_match_torch_types():
    w = tg.ones(5, 4)
    # torch 2.13: RuntimeError "both arguments to linear need to be at least 1D", "t() expects a tensor with <= 2
    # dimensions", a bias that does not broadcast; TypeError for a non-tensor bias; a bool input does not multiply
    with pytest.raises(RuntimeError, match=r"linear: input must have at least 1 dimension"):
        F.linear(tg.tensor(1.0), w)
    with pytest.raises(RuntimeError, match=r"linear: weight must be 2-D \(out_features, in_features\), got shape"):
        F.linear(tg.ones(2, 4), tg.ones(1, 5, 4))
    with pytest.raises(RuntimeError, match=r"linear: bias must have shape \(5,\) \(out_features\), got \(4,\)"):
        F.linear(tg.ones(2, 4), w, tg.ones(4))
    with pytest.raises(TypeError, match=r"linear: bias must be a Tensor or None, got list"):
        F.linear(tg.ones(2, 4), w, [1.0] * 5)
    with pytest.raises(TypeError, match=r"linear: input has dtype bool"):
        nn.Linear(4, 5)(tg.ones(2, 4, dtype=tg.bool))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(6x3 and 4x5\)"):
        F.linear(tg.ones(2, 3, 3), w.T.T.reshape(5, 4))
    # torch 2.13: a transposed or expanded input multiplies as its values
    x = tg.tensor(np.arange(8.0).reshape(4, 2)).T
    np.testing.assert_allclose(F.linear(x, tg.ones(3, 4, dtype=tg.float64)).numpy(), [[12.0] * 3, [16.0] * 3])
    np.testing.assert_allclose(F.linear(tg.ones(1, 4).expand(2, 4), w).numpy(), [[4.0] * 5] * 2)


# torch 2.13: F.linear does not promote: "expected m1 and m2 to have the same dtype, but got: float != double" (input
# against weight, every rank), "self and mat2 must have the same dtype, but got Double and Float" (the bias), and
# nn.Linear on a float64 input "mat1 and mat2 must have the same dtype, but got Double and Float" — all RuntimeError.
@pytest.mark.parametrize("xd,wd", [("float32", "float64"), ("float64", "float32"), ("int64", "float32"),
                                   ("float32", "int64")])
@pytest.mark.parametrize("xshape", [(4,), (2, 4), (3, 2, 4)])
def test_linear_mixed_dtypes_raise(xd, wd, xshape):
    with pytest.raises(RuntimeError, match=rf"linear: input has dtype {xd} but weight has dtype {wd}; expected both "
                                           rf"to have the same dtype"):
        F.linear(tg.ones(*xshape, dtype=xd), tg.ones(5, 4, dtype=wd))


def test_linear_bias_and_module_dtype_mismatch():
    with pytest.raises(RuntimeError, match=r"linear: bias has dtype float64 but input and weight have dtype float32.*"
                                           r"self and mat2 must have the same dtype, but got double and float"):
        F.linear(tg.ones(2, 4), tg.ones(5, 4), tg.ones(5, dtype=tg.float64))
    with pytest.raises(RuntimeError, match=r"linear: input has dtype float64 but weight has dtype float32"):
        nn.Linear(4, 5)(tg.ones(2, 4, dtype=tg.float64))
    with pytest.raises(RuntimeError, match=r"linear: input has dtype int64 but weight has dtype float32"):
        nn.Linear(4, 5)(tg.ones(2, 4, dtype=tg.int64))
    assert nn.Linear(4, 5).double()(tg.ones(2, 4, dtype=tg.float64)).dtype == tg.float64


@pytest.mark.parametrize("dt", ["int32", "int64"])
def test_linear_integer_dtypes(dt):
    # torch 2.13 (CPU): F.linear of int64 (or int32) input, weight and bias is an exact product of that dtype
    x = np.arange(24).reshape(2, 3, 4).astype(dt)
    w = (np.arange(20).reshape(5, 4) - 7).astype(dt)
    b = np.arange(5).astype(dt)
    out = F.linear(tg.tensor(x), tg.tensor(w), tg.tensor(b))
    assert out.dtype == dt and out.shape == (2, 3, 5)
    np.testing.assert_array_equal(out.numpy(), x @ w.T + b)
    assert F.linear(tg.tensor(x[0, 0]), tg.tensor(w)).tolist() == (x[0, 0] @ w.T).tolist()
    with pytest.raises(RuntimeError, match=rf"linear: bias has dtype float32 but input and weight have dtype {dt}"):
        F.linear(tg.tensor(x), tg.tensor(w), tg.zeros(5))


def test_norm_layers_on_an_input_of_the_other_float_dtype():
    # torch 2.13: LayerNorm and BatchNorm1d (float32 parameters) on a float64 input raise RuntimeError ("mixed dtype
    # (CPU): all inputs must share same datatype."); RMSNorm accepts it and returns the input's dtype
    x64 = tg.tensor(np.random.default_rng(1).standard_normal((4, 3)))
    with pytest.raises(RuntimeError, match=r"layer_norm: weight has dtype float32 but the input has dtype float64"):
        nn.LayerNorm(3)(x64)
    with pytest.raises(RuntimeError, match=r"batch_norm: weight has dtype float32 but the input has dtype float64"):
        nn.BatchNorm1d(3)(x64)
    with pytest.raises(RuntimeError, match=r"batch_norm: running_mean has dtype float32 but the input has dtype "
                                           r"float64"):
        nn.BatchNorm1d(3, affine=False).eval()(x64)
    with pytest.raises(RuntimeError, match=r"layer_norm: weight has dtype float64 but the input has dtype float32"):
        nn.LayerNorm(3, dtype=tg.float64)(x64.float())
    y = nn.RMSNorm(3)(x64)
    assert y.dtype == tg.float64
    np.testing.assert_allclose(y.numpy(), nn.RMSNorm(3, dtype=tg.float64)(x64).numpy(), rtol=1e-15)
    assert nn.RMSNorm(3, dtype=tg.float64)(x64.float()).dtype == tg.float32


@pytest.mark.parametrize("make,exc,match", [
    # torch 2.13: TypeError for a non-int size, RuntimeError "Trying to create tensor with negative dimension"
    (lambda: nn.Linear(2.5, 3), TypeError, "Linear: in_features must be an int, got float 2.5"),
    (lambda: nn.Linear(2, "a"), TypeError, "Linear: out_features must be an int, got str"),
    (lambda: nn.Linear(-1, 3), RuntimeError, "Linear: in_features must be >= 0, got -1"),
    (lambda: nn.Embedding(2.5, 3), TypeError, "Embedding: num_embeddings must be an int"),
    (lambda: nn.Embedding(5, -3), RuntimeError, "Embedding: embedding_dim must be >= 0"),
    (lambda: nn.Embedding(5, 3, padding_idx=1.5), TypeError, "Embedding: padding_idx must be an int or None"),
    (lambda: nn.LayerNorm(2.5), TypeError, "LayerNorm: normalized_shape must be an int or a tuple of ints"),
    (lambda: nn.LayerNorm([2.0]), TypeError, "LayerNorm: normalized_shape must be an int, got float"),
    (lambda: nn.LayerNorm(-1), RuntimeError, "LayerNorm: normalized_shape must be >= 0"),
    (lambda: nn.RMSNorm("a"), TypeError, "RMSNorm: normalized_shape must be an int or a tuple of ints"),
    (lambda: nn.BatchNorm1d(2.5), TypeError, "BatchNorm1d: num_features must be an int"),
    (lambda: nn.BatchNorm1d(-1), RuntimeError, "BatchNorm1d: num_features must be >= 0"),
    (lambda: nn.BatchNorm1d(3, momentum=None), ValueError, "BatchNorm1d: momentum=None .* is not supported"),
    (lambda: nn.Dropout("a"), TypeError, "Dropout: p must be a number in \\[0, 1\\], got str"),
    (lambda: nn.Dropout(None), TypeError, "Dropout: p must be a number"),
    (lambda: nn.Dropout(1.5), ValueError, "Dropout: p must be in \\[0, 1\\], got 1.5"),
])
def test_layer_constructor_errors_name_the_argument(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_layers_on_wrong_input_name_the_argument_and_shape():
    # torch 2.13 types: RuntimeError for shapes that do not match, ValueError for the rank of BatchNorm1d's input
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        nn.Linear(4, 5)(tg.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"layer_norm: normalized_shape \(4,\) must match the trailing dimensions"):
        nn.LayerNorm(4)(tg.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"batch_norm: running_mean must have shape \(3,\)"):
        nn.BatchNorm1d(4)(tg.ones(2, 3))
    with pytest.raises(ValueError, match=r"batch_norm: expected a 2-D \(N, C\) or 3-D \(N, C, L\) input"):
        nn.BatchNorm1d(3)(tg.ones(2, 3, 4, 5))
    with pytest.raises(TypeError, match="layer_norm: input must be a Tensor, got NoneType"):
        nn.LayerNorm(3)(None)
    with pytest.raises(TypeError, match="batch_norm: input must be a float32 or float64 tensor, got int64"):
        nn.BatchNorm1d(3)(tg.ones(2, 3, dtype=tg.int64))
    # torch 2.13: an empty batch passes through BatchNorm1d in training, an empty layer output is (0, 5)
    assert nn.BatchNorm1d(3)(tg.ones(0, 3)).shape == (0, 3)
    assert nn.Linear(4, 5)(tg.ones(0, 4)).shape == (0, 5)
