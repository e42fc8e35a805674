"""Convolution and pooling modules over (N, C, L) sequences: ``Conv1d``, ``MaxPool1d``, ``AvgPool1d``,
``AdaptiveMaxPool1d``, ``AdaptiveAvgPool1d`` (``torch.nn``'s, with its arguments, defaults and initialisation)."""
import math

from .. import creation
from ..ops import conv as C
from ..ops.shape import pad as _pad
from . import init
from .layers import _factory, _size
from .module import Module, Parameter


class Conv1d(Module):
    """y[n, o, t] = b[o] + Σ_c Σ_k W[o, c, k] · x[n, c, t·stride + k·dilation − padding], W (out_channels,
    in_channels/groups, kernel_size). Initialised as PyTorch: W and b ~ U(−1/√fan_in, 1/√fan_in) with fan_in =
    in_channels/groups · kernel_size. ``padding_mode`` 'zeros', 'reflect', 'replicate' or 'circular'."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        cls = "Conv1d"
        in_channels, out_channels = _size(in_channels, cls, "in_channels"), _size(out_channels, cls, "out_channels")
        self.kernel_size = (C._int(kernel_size, cls, "kernel_size", 1),)
        self.stride = (C._int(stride, cls, "stride", 1),)
        self.dilation = (C._int(dilation, cls, "dilation", 1),)
        self.groups = C._int(groups, cls, "groups", 1)
        if in_channels % self.groups or out_channels % self.groups:
            raise ValueError(f"{cls}: in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                             f"divisible by groups ({self.groups})")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"{cls}: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', got "
                             f"{padding_mode!r}")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{cls}: padding must be an int, 'valid' or 'same', got {padding!r}")
            if padding == "same" and self.stride[0] != 1:
                raise ValueError(f"{cls}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = (C._int(padding, cls, "padding"),)
        self.in_channels, self.out_channels, self.padding_mode = in_channels, out_channels, padding_mode
        k = self.kernel_size[0]
        self.weight = Parameter(creation.empty(out_channels, in_channels // self.groups, k,
                                               **_factory(dtype, device)))
        self.bias = Parameter(creation.empty(out_channels, **_factory(dtype, device))) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.weight.shape[2]
            bound = 1 / math.sqrt(fan_in) if fan_in else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        if self.padding_mode != "zeros" and padding != "valid":
            if padding == "same":
                total = self.dilation[0] * (self.kernel_size[0] - 1)
                left, right = total // 2, total - total // 2
            else:
                left = right = padding
            x = _pad(x, (left, right), mode=self.padding_mode)
            padding = 0
        return C.conv1d(x, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class MaxPool1d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        return C.max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad

    def forward(self, x):
        return C.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size=({self.kernel_size},), stride=({self.stride},), padding=({self.padding},)"


class AdaptiveMaxPool1d(Module):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        return C.adaptive_max_pool1d(x, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return C.adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
