"""Optimizers, their fused kernels and clip_grad_norm_ on every device, and the LR schedulers, against NumPy
float64 references written here."""
import math

import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb import nn
from tinygradnb.optim import SGD, Adam, AdamW, Optimizer
from tinygradnb.optim.lr_scheduler import StepLR, CosineAnnealingLR, LambdaLR
from tinygradnb.serialization import save, load
from tinygradnb.utils import clip_grad_norm_

# A quadratic-plus-linear loss whose gradient depends on θ, so trajectories (not single steps) are compared:
# L(θ) = ½ Σ c·θ² + a·θ, ∇L = c·θ + a.
C = np.array([[0.5, 2.0, 1.0], [3.0, 0.1, 1.5]])
A = np.array([[0.3, -1.0, 0.2], [0.7, -0.4, 0.0]])
P0 = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.5]])


def grad_of(theta, c=C, a=A):
    return c * theta + a


# The same loss over 301 elements: more than the simulator's 2 blocks × 16 threads, so the kernels' grid-stride
# loops run.
_R = np.random.default_rng(11)
BIG = dict(p0=_R.standard_normal(301), c=_R.uniform(0.1, 3.0, 301), a=_R.standard_normal(301))


def run_tg(opt_cls, steps, dtype=np.float64, device="cpu", p0=P0, c=C, a=A, **kw):
    p = nn.Parameter(tg.tensor(p0.astype(dtype), device=device))
    opt = opt_cls([p], **kw)
    traj = []
    for _ in range(steps):
        g = grad_of(p.numpy().astype(np.float64), c, a).astype(dtype)
        p.grad = tg.tensor(g, device=device)
        opt.step()
        assert p.device == p.grad.device == device and p.dtype == dtype
        np.testing.assert_array_equal(p.grad.numpy(), g)        # a step never writes the gradient
        traj.append(p.numpy().copy())
    return traj, opt, p


def ref_sgd(steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, p0=P0, c=C, a=A):
    theta, buf, traj = p0.copy(), None, []
    for _ in range(steps):
        d = grad_of(theta, c, a)
        if weight_decay:
            d = d + weight_decay * theta
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        theta = theta - lr * d
        traj.append(theta.copy())
    return traj, buf


def ref_adam(steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False, p0=P0, c=C, a=A):
    theta, m, v, traj = p0.copy(), np.zeros_like(p0), np.zeros_like(p0), []
    b1, b2 = betas
    for t in range(1, steps + 1):
        g = grad_of(theta, c, a)
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        traj.append(theta.copy())
    return traj, m, v


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.03, momentum=0.5, weight_decay=0.1, nesterov=True),
]


@pytest.mark.parametrize("kw", SGD_CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_sgd_matches_reference(kw, device):
    traj, opt, p = run_tg(SGD, 6, device=device, **kw)
    ref, buf = ref_sgd(6, **kw)
    for got, want in zip(traj, ref):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)
    if kw.get("momentum"):
        np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), buf, rtol=1e-13, atol=1e-14)
    else:
        assert "momentum_buffer" not in opt.state[p]


def test_sgd_first_steps_by_hand(device):
    # One element, g = 2 (constant): plain θ1 = 1 − 0.1·2 = 0.8; momentum 0.9: buf1 = 2, θ1 = 0.8,
    # buf2 = 0.9·2 + 2 = 3.8, θ2 = 0.8 − 0.38 = 0.42; nesterov: d1 = 2 + 0.9·2 = 3.8, θ1 = 0.62.
    for kw, want in [(dict(), [0.8, 0.6]), (dict(momentum=0.9), [0.8, 0.42]),
                     (dict(momentum=0.9, nesterov=True), [0.62, 0.62 - 0.1 * (2 + 0.9 * 3.8)])]:
        p = nn.Parameter(tg.tensor([1.0], dtype=tg.float64, device=device))
        opt = SGD([p], lr=0.1, **kw)
        for w in want:
            p.grad = tg.tensor([2.0], dtype=tg.float64, device=device)
            opt.step()
            assert p.item() == pytest.approx(w, rel=1e-14)


def test_sgd_float32_close_to_float64_reference(device):
    traj, _, p = run_tg(SGD, 5, dtype=np.float32, device=device, lr=0.05, momentum=0.9)
    assert p.dtype == tg.float32
    ref, _ = ref_sgd(5, lr=0.05, momentum=0.9)
    np.testing.assert_allclose(traj[-1], ref[-1], rtol=1e-5, atol=1e-6)


def test_adam_bias_correction_steps_1_to_3(device):
    lr = 0.01
    traj, opt, p = run_tg(Adam, 3, device=device, lr=lr)
    # Step 1 by hand: m̂1 = g, v̂1 = g², so θ1 = θ0 − lr·g/(|g| + ε): every coordinate moves by ~lr.
    g0 = grad_of(P0)
    np.testing.assert_allclose(traj[0], P0 - lr * g0 / (np.abs(g0) + 1e-8), rtol=1e-13, atol=1e-15)
    ref, m, v = ref_adam(3, lr)
    for got, want in zip(traj, ref):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    assert opt.state[p]["step"] == 3 and opt.state[p]["exp_avg"].device == device
    np.testing.assert_allclose(opt.state[p]["exp_avg"].numpy(), m, rtol=1e-13)
    np.testing.assert_allclose(opt.state[p]["exp_avg_sq"].numpy(), v, rtol=1e-13)
    # Without bias correction the first step would be lr·(1 − β1)/√(1 − β2) ≈ 3.16·lr: check we are not that.
    assert np.all(np.abs(traj[0] - P0) < 1.01 * lr)


@pytest.mark.parametrize("betas,eps", [((0.9, 0.999), 1e-8), ((0.5, 0.9), 1e-3), ((0.0, 0.99), 0.1)])
def test_adam_hyper_parameters(betas, eps, device):
    traj, _, _ = run_tg(Adam, 5, device=device, lr=0.02, betas=betas, eps=eps)
    ref, _, _ = ref_adam(5, 0.02, betas=betas, eps=eps)
    np.testing.assert_allclose(traj[-1], ref[-1], rtol=1e-13, atol=1e-15)


def test_adam_l2_weight_decay(device):
    traj, _, _ = run_tg(Adam, 4, device=device, lr=0.01, weight_decay=0.1)
    ref, _, _ = ref_adam(4, 0.01, weight_decay=0.1)
    np.testing.assert_allclose(traj[-1], ref[-1], rtol=1e-13, atol=1e-15)


def test_adamw_decoupled_decay(device):
    traj, opt, _ = run_tg(AdamW, 4, device=device, lr=0.01, weight_decay=0.1)
    ref, _, _ = ref_adam(4, 0.01, weight_decay=0.1, decoupled=True)
    np.testing.assert_allclose(traj[-1], ref[-1], rtol=1e-13, atol=1e-15)
    l2, _, _ = ref_adam(4, 0.01, weight_decay=0.1)
    assert not np.allclose(traj[-1], l2[-1], rtol=1e-9, atol=0)  # decoupled ≠ L2 in Adam
    assert opt.param_groups[0]["weight_decay"] == 0.1
    assert AdamW([nn.Parameter(tg.zeros(1))]).defaults["weight_decay"] == 1e-2
    # With a zero gradient AdamW's step is pure decay: θ·(1 − lr·wd).
    p = nn.Parameter(tg.tensor([2.0], dtype=tg.float64, device=device))
    o = AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = tg.tensor([0.0], dtype=tg.float64, device=device)
    o.step()
    assert p.item() == pytest.approx(2.0 * (1 - 0.05), rel=1e-15)


def test_adam_float32(device):
    traj, opt, p = run_tg(Adam, 3, dtype=np.float32, device=device, lr=0.01)
    ref, _, _ = ref_adam(3, 0.01)
    assert opt.state[p]["exp_avg"].dtype == tg.float32
    np.testing.assert_allclose(traj[-1], ref[-1], rtol=1e-6, atol=1e-6)


def test_training_through_backward_matches_manual_gradient(device="cpu"):   # CPU only: autograd above the seam
    p = nn.Parameter(tg.tensor(P0, device=device))
    opt = SGD([p], lr=0.1, momentum=0.9)
    c, a = tg.tensor(C, device=device), tg.tensor(A, device=device)
    for _ in range(4):
        opt.zero_grad()
        loss = (0.5 * c * p * p + a * p).sum()
        loss.backward()
        opt.step()
    ref, _ = ref_sgd(4, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(p.numpy(), ref[-1], rtol=1e-13)


def test_param_groups_with_different_lrs(device):
    p1 = nn.Parameter(tg.tensor([1.0, 2.0], dtype=tg.float64, device=device))
    p2 = nn.Parameter(tg.tensor([3.0], dtype=tg.float64, device=device))
    opt = SGD([{"params": [p1]}, {"params": p2, "lr": 0.01, "momentum": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.5]
    assert opt.param_groups[0]["dampening"] == 0 and opt.param_groups[1]["nesterov"] is False
    for _ in range(2):
        p1.grad = tg.tensor([1.0, 1.0], dtype=tg.float64, device=device)
        p2.grad = tg.tensor([1.0], dtype=tg.float64, device=device)
        opt.step()
    # Constant g = 1: buf1 = 1, buf2 = μ + 1; moved by lr·(1 + μ + 1).
    np.testing.assert_allclose(p1.numpy(), [1.0 - 0.1 * 2.9, 2.0 - 0.1 * 2.9], rtol=1e-15)
    np.testing.assert_allclose(p2.numpy(), [3.0 - 0.01 * 2.5], rtol=1e-15)


def test_add_param_group_and_skip_params_without_grad(device):
    p1, p2 = nn.Parameter(tg.ones(2, device=device)), nn.Parameter(tg.ones(3, device=device))
    opt = Adam([p1], lr=0.1)
    opt.add_param_group({"params": [p2], "lr": 0.5})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["lr"] == 0.5
    p1.grad = tg.ones(2, device=device)
    opt.step()  # p2 has no grad: untouched, no state
    np.testing.assert_array_equal(p2.numpy(), np.ones(3, np.float32))
    assert p2 not in opt.state and opt.state[p1]["step"] == 1
    assert not np.allclose(p1.numpy(), 1.0)
    with pytest.raises(ValueError, match="more than one param group"):
        opt.add_param_group({"params": [p1]})


def test_zero_grad(device):
    p = nn.Parameter(tg.ones(3, device=device))
    opt = SGD([p], lr=0.1)
    p.grad = tg.ones(3, device=device)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and g.device == device
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(3, np.float32))
    opt.zero_grad()
    assert p.grad is None


def test_non_contiguous_parameter_is_updated_in_place():
    # CPU only: a device array is always C-contiguous (a transpose there is a copy)
    base = np.arange(12, dtype=np.float64).reshape(3, 4)
    p = nn.Parameter(tg.from_numpy(base.T))  # a transposed view: not C-contiguous
    assert not p.numpy().flags.c_contiguous
    opt = SGD([p], lr=0.5)
    p.grad = tg.tensor(np.ones((4, 3)))
    opt.step()
    np.testing.assert_array_equal(base, np.arange(12).reshape(3, 4) - 0.5)


def test_closure_is_called_and_its_loss_returned(device):
    p = nn.Parameter(tg.tensor([2.0], dtype=tg.float64, device=device))
    opt = SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0 and p.item() == 2.0 - 0.25 * 4.0


def _make_model():
    tg.manual_seed(7)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def _train(model, opt, sched, x, t, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - t) ** 2).mean()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()


@pytest.mark.parametrize("make", [
    lambda ps: (Adam(ps, lr=0.05), None),
    lambda ps: (AdamW(ps, lr=0.05, weight_decay=0.1), None),
    lambda ps: (SGD(ps, lr=0.1, momentum=0.9, nesterov=True), None),
    lambda ps: (o := SGD(ps, lr=0.1, momentum=0.9), StepLR(o, step_size=2, gamma=0.5)),
    lambda ps: (o := Adam(ps, lr=0.05), CosineAnnealingLR(o, T_max=5, eta_min=0.001)),
], ids=["adam", "adamw", "sgd-nesterov", "sgd-steplr", "adam-cosine"])
def test_state_dict_round_trip_continues_the_same_trajectory(tmp_path, make):
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.normal(size=(8, 3)).astype(np.float32))
    t = tg.tensor(rng.normal(size=(8, 2)).astype(np.float32))
    model = _make_model()
    opt, sched = make(list(model.parameters()))
    _train(model, opt, sched, x, t, 3)
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}
    if sched is not None:
        ckpt["scheduler"] = sched.state_dict()
    save(ckpt, tmp_path / "ckpt.npz")
    _train(model, opt, sched, x, t, 4)  # the uninterrupted run

    model2 = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))  # other initial weights
    opt2, sched2 = make(list(model2.parameters()))
    back = load(tmp_path / "ckpt.npz")
    assert back["epoch"] == 3
    model2.load_state_dict(back["model"])
    opt2.load_state_dict(back["optimizer"])
    if sched2 is not None:
        sched2.load_state_dict(back["scheduler"])
    _train(model2, opt2, sched2, x, t, 4)
    for (k, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]
    if sched is not None:
        assert sched.get_last_lr() == sched2.get_last_lr() and sched.last_epoch == sched2.last_epoch == 7


def test_optimizer_state_dict_structure_and_in_memory_load(device):
    p1, p2 = nn.Parameter(tg.ones(2, device=device)), nn.Parameter(tg.ones(3, device=device))
    opt = Adam([{"params": [p1]}, {"params": [p2], "lr": 0.1}], lr=0.01)
    p1.grad = tg.ones(2, device=device)
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert set(sd["state"]) == {0} and sd["state"][0]["step"] == 1
    assert sd["param_groups"][1]["lr"] == 0.1
    q1, q2 = nn.Parameter(tg.ones(2, device=device)), nn.Parameter(tg.ones(3, device=device))
    opt2 = Adam([{"params": [q1]}, {"params": [q2]}], lr=0.5)
    opt2.load_state_dict(sd)
    assert [g["lr"] for g in opt2.param_groups] == [0.01, 0.1] and opt2.state[q1]["exp_avg"].device == device
    # loaded state is a copy: stepping the original does not change it
    before = opt2.state[q1]["exp_avg"].numpy().copy()
    opt.step()
    np.testing.assert_array_equal(opt2.state[q1]["exp_avg"].numpy(), before)
    with pytest.raises(ValueError, match=r"param group sizes \[2\] in the state dict, \[1\] in this"):
        Adam([q1]).load_state_dict(Adam([p1, p2]).state_dict())
    with pytest.raises(ValueError, match="has 2 param groups, this optimizer has 1"):
        Adam([q1]).load_state_dict(sd)
    sd_bad = opt.state_dict()
    r1, r2 = nn.Parameter(tg.ones(5, device=device)), nn.Parameter(tg.ones(3, device=device))
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 0 has shape \(2,\), the parameter has shape "
                                         r"\(5,\)"):
        Adam([{"params": [r1]}, {"params": [r2]}]).load_state_dict(sd_bad)


def test_mlp_with_adam_solves_xor():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = Adam(model.parameters(), lr=0.05)
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    pred = (model(x).numpy() > 0).astype(int).ravel()
    assert pred.tolist() == [0, 1, 1, 0]
    assert loss.item() < 0.05


# ---------------------------------------------------------------------------------------------------- schedulers
def _opt(lr=0.1, n_groups=1):
    return SGD([{"params": [nn.Parameter(tg.ones(1))]} for _ in range(n_groups)], lr=lr)


def test_step_lr_closed_form():
    opt = _opt(0.1)
    s = StepLR(opt, step_size=3, gamma=0.5)
    got = [s.get_last_lr()[0]]
    for _ in range(10):
        opt.step()
        s.step()
        got.append(s.get_last_lr()[0])
    want = [0.1 * 0.5 ** (e // 3) for e in range(11)]
    np.testing.assert_allclose(got, want, rtol=1e-15)
    assert opt.param_groups[0]["lr"] == got[-1] and opt.param_groups[0]["initial_lr"] == 0.1


def test_cosine_annealing_closed_form():
    opt = _opt(0.2, n_groups=2)
    opt.param_groups[1]["lr"] = 0.05
    s = CosineAnnealingLR(opt, T_max=8, eta_min=0.01)
    got = [s.get_last_lr()]
    for _ in range(12):
        s.step()
        got.append(s.get_last_lr())
    for e, lrs in enumerate(got):
        for base, lr in zip((0.2, 0.05), lrs):
            assert lr == pytest.approx(0.01 + (base - 0.01) * (1 + math.cos(math.pi * e / 8)) / 2, rel=1e-14)
    assert got[8] == pytest.approx([0.01, 0.01]) and got[0] == pytest.approx([0.2, 0.05])


def test_lambda_lr_and_scheduler_state_dict():
    opt = _opt(1.0)
    s = LambdaLR(opt, lambda e: 0.9 ** e)
    for _ in range(4):
        s.step()
    assert s.get_last_lr()[0] == pytest.approx(0.9 ** 4)
    sd = s.state_dict()
    assert "lr_lambdas" not in sd and sd["last_epoch"] == 4
    opt2 = _opt(1.0)
    s2 = LambdaLR(opt2, lambda e: 0.9 ** e)
    s2.load_state_dict(sd)
    s2.step()
    assert s2.last_epoch == 5 and opt2.param_groups[0]["lr"] == pytest.approx(0.9 ** 5)
    st = StepLR(_opt(), step_size=2)
    st.step()
    st.step()
    st3 = StepLR(_opt(), step_size=7, gamma=0.9)
    st3.load_state_dict(st.state_dict())
    assert (st3.step_size, st3.gamma, st3.last_epoch, st3.get_last_lr()) == (2, 0.1, 2, st.get_last_lr())


def test_scheduler_bad_arguments():
    with pytest.raises(ValueError, match="step_size must be a positive int, got 0"):
        StepLR(_opt(), step_size=0)
    with pytest.raises(ValueError, match="T_max must be a positive int"):
        CosineAnnealingLR(_opt(), T_max=-1)
    with pytest.raises(TypeError, match="optimizer must be an Optimizer, got list"):
        StepLR([], step_size=1)
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        LambdaLR(_opt(n_groups=2), [lambda e: 1.0])


# ---------------------------------------------------------------------------------------------------- validation
# torch 2.13: ValueError "Invalid learning rate: -0.1", "Invalid momentum value: -0.5", "Invalid weight_decay value",
# "Invalid beta parameter at index 0: 1.0", "Invalid epsilon value: -1.0", "optimizer got an empty parameter list"
@pytest.mark.parametrize("make,match", [
    (lambda ps: SGD(ps, lr=-0.1), "SGD: Invalid learning rate: lr must be >= 0, got -0.1"),
    (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "Invalid momentum value: momentum must be >= 0, got -0.5"),
    (lambda ps: SGD(ps, lr=0.1, nesterov=True), "nesterov requires momentum > 0 and dampening = 0"),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov requires"),
    (lambda ps: SGD(ps, weight_decay=-1), "Invalid weight_decay value: weight_decay must be >= 0"),
    (lambda ps: Adam(ps, lr=-1e-3), "Adam: Invalid learning rate: lr must be >= 0"),
    (lambda ps: Adam(ps, lr=float("nan")), r"Adam: lr must not be NaN \(Invalid learning rate: nan\)"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)),
     r"Invalid beta parameter at index 0: betas\[0\] must be in \[0, 1\), got 1.0"),
    (lambda ps: Adam(ps, betas=(0.9, -0.1)), r"betas\[1\] must be in \[0, 1\), got -0.1"),
    (lambda ps: AdamW(ps, betas=(0.9,)), "betas must be a pair"),
    (lambda ps: Adam(ps, eps=-1.0), "Adam: Invalid epsilon value: eps must be >= 0"),
    (lambda ps: AdamW(ps, weight_decay=-1.0), "AdamW: Invalid weight_decay value"),
    (lambda ps: Adam([{"params": ps, "lr": -2.0}]), "lr must be >= 0, got -2.0"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_bad_hyper_parameters(make, match, device):
    with pytest.raises(ValueError, match=match):
        make([nn.Parameter(tg.ones(2, device=device))])


def test_bad_params(device):
    with pytest.raises(ValueError, match="SGD: optimizer got an empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Adam: optimizer got an empty parameter list"):
        Adam(nn.Sequential().parameters())
    with pytest.raises(TypeError, match="SGD: params must be an iterable of Tensors or of dicts, got NoneType"):
        SGD(None, lr=0.1)
    with pytest.raises(TypeError, match="SGD: a param group's 'params' must be a Tensor or an iterable of Tensors, "
                                        "got int"):
        SGD([{"params": 5}], lr=0.1)
    with pytest.raises(TypeError, match="got a Tensor; wrap it in a list"):
        SGD(nn.Parameter(tg.ones(2, device=device)), lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] must be a Tensor, got int"):
        SGD([nn.Parameter(tg.ones(2, device=device)), 3], lr=0.1)
    with pytest.raises(TypeError, match="got a set"):
        SGD({nn.Parameter(tg.ones(2, device=device))}, lr=0.1)
    x = tg.ones(2, requires_grad=True, device=device)
    with pytest.raises(ValueError, match=r"params\[0\] must be a leaf tensor"):
        SGD([x * 2], lr=0.1)
    with pytest.raises(TypeError, match="float32 or float64, got int64"):
        SGD([tg.tensor([1, 2], device=device)], lr=0.1)
    p = nn.Parameter(tg.ones(2, device=device))
    with pytest.raises(ValueError, match="appears twice"):
        SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match="lr must be a real number, got str"):
        SGD([p], lr="0.1")
    with pytest.raises(ValueError, match="expected a dict with 'state' and 'param_groups'"):
        SGD([p], lr=0.1).load_state_dict({"state": {}})
    opt = SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="SGD.load_state_dict: expected a dict with 'state' and 'param_groups', got "
                                        "NoneType"):
        opt.load_state_dict(None)
    group = {"params": [0], "lr": 0.1, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False}
    with pytest.raises(ValueError, match="'param_groups' must be a list of dicts each with a 'params' list"):
        opt.load_state_dict({"state": {}, "param_groups": [5]})
    with pytest.raises(ValueError, match="'state' must be a dict from parameter indices to dicts"):
        opt.load_state_dict({"state": {0: 5}, "param_groups": [group]})
    with pytest.raises(ValueError, match="'state' keys must be parameter indices, got 'x'"):
        opt.load_state_dict({"state": {"x": {}}, "param_groups": [group]})
    with pytest.raises(ValueError, match="SGD: Invalid learning rate: lr must be >= 0, got -1"):
        opt.load_state_dict({"state": {}, "param_groups": [{**group, "lr": -1}]})
    assert opt.param_groups[0]["lr"] == 0.1  # a rejected state dict leaves the optimizer as it was
    with pytest.raises(TypeError, match="SGD.step: closure must be a callable that returns the loss, got int"):
        opt.step(5)
    assert isinstance(SGD([p]), Optimizer)


# ---------------------------------------------------------------------------------------------------- many elements
SGD_BIG = [dict(lr=0.05), dict(lr=0.05, weight_decay=0.01), dict(lr=0.05, momentum=0.9),
           dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
           dict(lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_steps_over_more_elements_than_threads(dtype, device):
    """Every SGD variant, Adam (L2 and no decay) and AdamW over 301 elements, three steps each, against the float64
    references; the gradient is never written (run_tg checks it)."""
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
    for kw in SGD_BIG:
        traj, opt, p = run_tg(SGD, 3, dtype=dtype, device=device, **BIG, **kw)
        ref, buf = ref_sgd(3, **BIG, **kw)
        np.testing.assert_allclose(np.array(traj), np.array(ref), err_msg=str(kw), **tol)
        if kw.get("momentum"):
            np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), buf, err_msg=str(kw), **tol)
    for cls, kw, decoupled in [(Adam, dict(lr=1e-2), False), (Adam, dict(lr=1e-2, weight_decay=0.05), False),
                               (AdamW, dict(lr=1e-2, weight_decay=0.05), True)]:
        traj, opt, p = run_tg(cls, 3, dtype=dtype, device=device, **BIG, **kw)
        ref, m, v = ref_adam(3, **BIG, **kw, decoupled=decoupled)
        np.testing.assert_allclose(np.array(traj), np.array(ref), err_msg=cls.__name__, **tol)
        np.testing.assert_allclose(opt.state[p]["exp_avg"].numpy(), m, err_msg=cls.__name__, **tol)
        np.testing.assert_allclose(opt.state[p]["exp_avg_sq"].numpy(), v, err_msg=cls.__name__, **tol)


def test_state_dict_loads_onto_the_parameters_device(device):
    """An Adam state saved on the CPU continues the same trajectory on the device it is loaded onto."""
    traj, opt, p = run_tg(Adam, 2, lr=0.05)
    q = nn.Parameter(tg.tensor(p.numpy(), device=device))
    opt2 = Adam([q], lr=0.5)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.state[q]["exp_avg"].device == opt2.state[q]["exp_avg_sq"].device == device
    assert opt2.state[q]["step"] == 2 and opt2.param_groups[0]["lr"] == 0.05
    for _ in range(2):
        for param, o in ((p, opt), (q, opt2)):
            param.grad = tg.tensor(grad_of(param.numpy()), device=param.device)
            o.step()
    ref, _, _ = ref_adam(4, 0.05)
    np.testing.assert_allclose(q.numpy(), ref[-1], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------------------------------------------- clip_grad_norm_
ORDS = [2.0, math.inf, 3.0, 0.5, 1.0]
# empty, one element, fewer than a block's threads, several per thread, and beyond one chunk of 256 partial sums
# (a second pass) under the simulator
CLIP_SHAPES = [(0,), (1,), (7, 5), (300,), (3, 4, 2)]


def _grads(shapes, dtype, device, scale=3.0, seed=30):
    rng = np.random.default_rng(seed)
    ps = []
    for shape in shapes:
        p = nn.Parameter(tg.zeros(*shape, dtype=dtype, device=device))
        p.grad = tg.tensor((rng.standard_normal(shape) * scale).astype(dtype), device=device)
        ps.append(p)
    return ps


def ref_clip(grads, max_norm, ord):
    """The total norm of every gradient's elements (float64) and the gradients scaled by min(1, τ/(‖g‖ + 1e-6))."""
    flat = np.abs(np.concatenate([np.asarray(g, np.float64).ravel() for g in grads]))
    norm = flat.max(initial=0.0) if ord == math.inf else np.sum(flat ** ord) ** (1.0 / ord)
    coef = min(1.0, max_norm / (norm + 1e-6))
    return norm, [np.asarray(g, np.float64) * coef for g in grads]


@pytest.mark.parametrize("dtype,ord", [(np.float64, o) for o in ORDS] + [(np.float32, 2.0), (np.float32, math.inf)])
def test_clip_grad_norm_matches_reference(dtype, ord, device):
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-15)
    for max_norm in (1.0, 1e9) if ord == 2.0 else (1.0,):
        ps = _grads(CLIP_SHAPES, dtype, device)
        grads = [p.grad.numpy().copy() for p in ps]
        norm = clip_grad_norm_(ps, max_norm, norm_type=ord)
        assert norm.device == device and norm.shape == () and norm.dtype == dtype and not norm.requires_grad
        want, scaled = ref_clip(grads, max_norm, ord)
        np.testing.assert_allclose(norm.item(), want, rtol=1e-7 if dtype == np.float32 else 1e-12)
        for p, g, w in zip(ps, grads, scaled):
            assert p.grad.device == device and p.grad.dtype == dtype
            if max_norm == 1e9:
                np.testing.assert_array_equal(p.grad.numpy(), g)          # a factor ≥ 1 leaves them untouched
            else:
                np.testing.assert_allclose(p.grad.numpy(), w, **tol)


def test_clip_grad_norm_of_many_parameters(device):
    """19 gradients: more partial norms than the simulator's 16 threads, so threads combine two, in both ways
    partial norms combine (a sum for every finite order, a maximum for inf)."""
    for ord in (2.0, math.inf):
        ps = _grads([(2,)] * 18 + [(2, 2)], np.float64, device, scale=10.0, seed=7)
        grads = [p.grad.numpy().copy() for p in ps]
        norm = clip_grad_norm_(ps, 1.0, norm_type=ord)
        want, scaled = ref_clip(grads, 1.0, ord)
        np.testing.assert_allclose(norm.item(), want, rtol=1e-12)
        for p, w in zip(ps, scaled):
            np.testing.assert_allclose(p.grad.numpy(), w, rtol=1e-12, atol=1e-15)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf·0 in the simulator's kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_nan_and_inf(dtype, device):
    """An infinite element makes every norm infinite and the factor 0 (inf·0 = NaN there, 0 elsewhere, as PyTorch);
    a NaN anywhere (the first element, another block, the last chunk) makes the norm and every gradient NaN."""
    for ord in (2.0, math.inf, 3.0):
        ps = _grads([(300,), (3,)], dtype, device, seed=4)
        g = ps[0].grad.numpy().copy()
        g[150] = np.inf if ord != math.inf else -np.inf
        ps[0].grad = tg.tensor(g, device=device)
        assert clip_grad_norm_(ps, 1.0, norm_type=ord).item() == math.inf
        got = ps[0].grad.numpy()
        assert np.isnan(got[150]) and not got[:150].any() and not got[151:].any() and not ps[1].grad.numpy().any()
    for pos, ord in zip((0, 150, 270), (2.0, math.inf, 0.5)):   # 270: in the second chunk of 256
        ps = _grads([(300,), (3,)], dtype, device, seed=4)
        g = ps[0].grad.numpy().copy()
        g[pos] = np.nan
        g[pos // 2 + 1] = np.inf                                 # NaN wins over inf
        ps[0].grad = tg.tensor(g, device=device)
        assert math.isnan(clip_grad_norm_(ps, 1.0, norm_type=ord).item())
        assert np.isnan(ps[0].grad.numpy()).all() and np.isnan(ps[1].grad.numpy()).all()


def test_clip_grad_norm_edge_cases(device):
    p = nn.Parameter(tg.ones(3, device=device))
    zero = clip_grad_norm_([p], 1.0)                         # no gradients: tensor(0.) on the CPU, as PyTorch
    assert zero.item() == 0.0 and zero.device == "cpu"
    p.grad = tg.tensor([np.inf, 1.0, 0.0], device=device)
    with pytest.raises(RuntimeError, match="total norm .* is inf"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad.numpy(), [np.inf, 1.0, 0.0])     # nothing scaled
    p.grad = tg.tensor([np.nan, 1.0, 0.0], device=device)
    assert math.isnan(clip_grad_norm_([p], 1.0).item()) and np.isnan(p.grad.numpy()).all()
    q = nn.Parameter(tg.ones(2, dtype=tg.float64, device=device))
    q.grad = tg.tensor([3.0, 4.0], dtype=tg.float64, device=device)   # with float32: the promoted dtype
    p.grad = tg.zeros(3, device=device)
    norm = clip_grad_norm_([p, q], 1e9)
    assert norm.dtype == tg.float64 and norm.item() == 5.0
    assert clip_grad_norm_([p, q], 0.0).item() == 5.0                     # max_norm 0: a factor of 0
    np.testing.assert_array_equal(q.grad.numpy(), [0.0, 0.0])
    if device != "cpu":
        r = nn.Parameter(tg.ones(2))
        r.grad = tg.ones(2)
        with pytest.raises(ValueError, match=f"one device, got '{device}' and 'cpu'"):
            clip_grad_norm_([p, r], 1.0)


def test_clip_grad_norm_copies_nothing_to_the_host(monkeypatch, device):
    """The whole clipping (norms, factor, scaling, the returned norm) stays on the device: nothing is read back.
    Reading the returned norm, or error_if_nonfinite (which reads it, as PyTorch), is the copy."""
    from tinygradnb.device import backend
    b = backend(device)
    calls = []
    to_numpy = b.to_numpy
    monkeypatch.setattr(b, "to_numpy", lambda a: calls.append("to_numpy") or to_numpy(a))
    if device == "cuda":
        from numba import config
        if config.ENABLE_CUDASIM:
            from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray as DeviceArray
        else:
            from numba.cuda.cudadrv.devicearray import DeviceNDArray as DeviceArray
        copy_to_host = DeviceArray.copy_to_host
        monkeypatch.setattr(DeviceArray, "copy_to_host",
                            lambda self, *a, **k: calls.append("copy_to_host") or copy_to_host(self, *a, **k))
    ps = _grads([(7, 5), (300,)], np.float32, device)
    for ord in (2.0, math.inf):
        for max_norm in (1.0, 1e9):
            norm = clip_grad_norm_(ps, max_norm, norm_type=ord)
            assert calls == [], calls
            assert norm.device == device
    norm.item()                                              # reading the value is the (one) copy
    assert calls
    calls.clear()
    clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert calls


def test_clip_grad_norm_does_not_depend_on_the_launch_shape(monkeypatch, device):
    """The partial norms are added in a fixed order per block: one block gives the same bits as several."""
    if device == "cpu":
        pytest.skip("a launch shape is a GPU matter")
    from tinygradnb.kernels.cuda import _launch
    ps = _grads([(300,), (40,)], np.float32, device, seed=5)
    grads = [p.grad.numpy() for p in ps]

    def norms():
        out = []
        for ord in (2.0, math.inf, 3.0):
            for p, g in zip(ps, grads):
                p.grad = tg.tensor(g, device=device)
            out.append(clip_grad_norm_(ps, 1e9, norm_type=ord).item())
        return out
    ref = norms()
    monkeypatch.setattr(_launch, "MAX_BLOCKS", 1)
    assert norms() == ref
