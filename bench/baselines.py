"""NumPy baselines for the benchmark suite, written as a careful NumPy user would: vectorised over elements, BLAS
for products, in-place ``out=`` updates where they avoid temporaries. Each forward returns what its backward
needs (as a kernel pair does), so ``fwd`` + ``bwd`` is compared with the tinygradnb kernel pair of the same family.
Not part of the library."""
import numpy as np


# ----------------------------------------------------------------------------- matmul
def matmul(a, b):
    return a @ b


# ----------------------------------------------------------------------------- activations
def relu_fwd(x):
    return np.maximum(x, 0)


def relu_bwd(x, g):
    return g * (x > 0)


def sigmoid_fwd(x):
    # 0.5·(tanh(x/2) + 1): overflow-free for any x, one transcendental per element.
    y = np.multiply(x, 0.5)
    np.tanh(y, out=y)
    y += 1
    y *= 0.5
    return y


def sigmoid_bwd(y, g):
    return g * y * (1 - y)


def tanh_fwd(x):
    return np.tanh(x)


def tanh_bwd(y, g):
    return g * (1 - y * y)


ACTIVATIONS = {"relu": (relu_fwd, relu_bwd, "x"), "sigmoid": (sigmoid_fwd, sigmoid_bwd, "y"),
               "tanh": (tanh_fwd, tanh_bwd, "y")}


# ----------------------------------------------------------------------------- softmax cross-entropy (mean)
def cross_entropy_fwd(z, y):
    """Mean over rows of logsumexp(z_i) − z_{i,y_i}; returns (loss, p) with p = softmax(z) for the backward."""
    m = z.max(axis=1, keepdims=True)
    e = np.subtract(z, m)
    np.exp(e, out=e)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(z.shape[0])
    loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, y]))
    e /= s
    return loss, e


def cross_entropy_bwd(p, y):
    dz = p.copy()
    dz[np.arange(p.shape[0]), y] -= 1
    dz *= 1.0 / p.shape[0]
    return dz


# ----------------------------------------------------------------------------- norms over (N, D)
def layer_norm_fwd(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    xh = xc
    xh *= rstd
    return xh * gamma + beta, xh, rstd


def layer_norm_bwd(g, xh, rstd, gamma):
    dgamma = np.einsum("ij,ij->j", g, xh)
    dbeta = g.sum(axis=0)
    dxh = g * gamma
    a = dxh.mean(axis=1, keepdims=True)
    b = np.einsum("ij,ij->i", dxh, xh)[:, None] / xh.shape[1]
    dx = dxh - a - xh * b
    dx *= rstd
    return dx, dgamma, dbeta


def rms_norm_fwd(x, gamma, eps=1.1920929e-07):
    rrms = 1.0 / np.sqrt(np.einsum("ij,ij->i", x, x)[:, None] / x.shape[1] + eps)
    xh = x * rrms
    return xh * gamma, xh, rrms


def rms_norm_bwd(g, xh, rrms, gamma):
    dgamma = np.einsum("ij,ij->j", g, xh)
    dxh = g * gamma
    b = np.einsum("ij,ij->i", dxh, xh)[:, None] / xh.shape[1]
    dx = dxh - xh * b
    dx *= rrms
    return dx, dgamma


def batch_norm_fwd(x, gamma, beta, eps=1e-5):
    """Training mode over the batch axis (running statistics left out: O(C) work)."""
    mu = x.mean(axis=0)
    xc = x - mu
    var = np.einsum("ij,ij->j", xc, xc) / x.shape[0]
    rstd = 1.0 / np.sqrt(var + eps)
    xh = xc
    xh *= rstd
    return xh * gamma + beta, xh, rstd


def batch_norm_bwd(g, xh, rstd, gamma):
    m = g.shape[0]
    dbeta = g.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", g, xh)
    dx = g - dbeta / m - xh * (dgamma / m)
    dx *= gamma * rstd
    return dx, dgamma, dbeta


# ----------------------------------------------------------------------------- embedding
def embedding_fwd(w, idx):
    return w[idx]


def embedding_bwd(g, idx, num_embeddings):
    dw = np.zeros((num_embeddings, g.shape[1]), g.dtype)
    np.add.at(dw, idx, g)  # unbuffered scatter-add, fast since NumPy 1.25
    return dw


# ----------------------------------------------------------------------------- Adam
def adam_step_(p, g, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, tmp=None):
    """One Adam step in place, as PyTorch evaluates it; ``tmp`` is a scratch array like p (avoids allocations)."""
    bc1 = 1.0 - beta1 ** step
    bc2_sqrt = np.sqrt(1.0 - beta2 ** step)
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    tmp = np.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    v += tmp
    np.sqrt(v, out=tmp)
    tmp /= bc2_sqrt
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= lr / bc1
    p -= tmp
    return p
