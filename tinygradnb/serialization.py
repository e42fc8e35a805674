"""Checkpoints: ``save(obj, path)`` and ``load(path)`` for state dicts (of a model, an optimizer, a scheduler, or a
dict holding several with scalars such as the epoch) as one ``.npz`` file.

Format: every array (tensor or NumPy array) is one entry ``a0``, ``a1``, … of the archive, stored with its dtype
and bytes unchanged; the entry ``__meta__`` holds UTF-8 JSON (as uint8) describing the structure: dicts (with
their key types, so an optimizer's integer parameter indices stay ints), lists, tuples, tensors (device,
requires_grad, Parameter or not) and the scalars (None, bool, int, float, str) in place. Loading uses
``allow_pickle=False``: no code is ever run from a checkpoint. Python floats go through JSON's shortest
round-trip repr, so a round trip is bit-exact for arrays and scalars alike.

Writing is atomic: the archive goes to a temporary file in the target's folder, is flushed and ``fsync``-ed,
then ``os.replace``-d over the target (and the folder is ``fsync``-ed where the OS allows). An interrupted or
failing save leaves the previous checkpoint intact and removes its temporary file.
"""
import json
import math
import os
import tempfile
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from . import device as _device
from .tensor import Tensor, as_dtype

__all__ = ["save", "load"]

_FORMAT = "tinygradnb.checkpoint"
_VERSION = 1
_META = "__meta__"


def _c_order(a):
    """``a`` in C order, keeping its shape (``np.ascontiguousarray`` would turn a 0-d array into shape (1,))."""
    a = np.asarray(a)
    return a if a.flags.c_contiguous else a.copy(order="C")


def _encode(obj, arrays, where):
    """The JSON-able description of ``obj``; its arrays are appended to ``arrays``."""
    if isinstance(obj, np.generic):  # before the Python scalars: np.float64 is a float subclass
        return _encode(np.asarray(obj), arrays, where) | {"scalar": True}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return {"int": str(obj)} if abs(obj) >= 2 ** 53 else obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return {"float": repr(obj)}
    if isinstance(obj, Tensor):
        name = f"a{len(arrays)}"
        arrays[name] = _c_order(_device.read(obj.device, obj._data))
        from .nn.module import Parameter
        return {"tensor": name, "device": obj.device, "requires_grad": bool(obj.requires_grad),
                "parameter": isinstance(obj, Parameter)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject or obj.dtype.kind not in "biufc":
            raise TypeError(f"save: {where} is a NumPy array of dtype {obj.dtype}; only numeric and bool arrays "
                            f"can be saved without pickle")
        name = f"a{len(arrays)}"
        arrays[name] = _c_order(obj)
        return {"ndarray": name}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not (k is None or isinstance(k, (bool, int, float, str)) or
                    (isinstance(k, tuple) and all(isinstance(x, (bool, int, float, str)) for x in k))):
                raise TypeError(f"save: {where} has a key {k!r} of type {type(k).__name__}; keys must be str, "
                                f"int, float, bool, None or tuples of those")
            items.append([_encode(k, arrays, where), _encode(v, arrays, f"{where}[{k!r}]")])
        return {"dict": items, "ordered": isinstance(obj, OrderedDict)}
    if isinstance(obj, list):
        return {"list": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, tuple):
        return {"tuple": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    raise TypeError(f"save: {where} is a {type(obj).__name__}; expected Tensors, NumPy arrays, dicts, lists, "
                    f"tuples, None, bool, int, float or str (save a module's or an optimizer's state_dict(), "
                    f"not the object)")


class _Malformed(ValueError):
    """A checkpoint whose structure or arrays are not what ``save`` writes; ``load`` names the file."""


def _decode(node, arrays, map_location, where):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict):
        raise _Malformed(f"malformed checkpoint structure at {where}: a {type(node).__name__}")
    try:
        if "int" in node:
            return int(node["int"])
        if "float" in node:
            return float(node["float"])
        if "tensor" in node:
            arr = _array(arrays, node["tensor"], where)
            as_dtype(arr.dtype, where)
            dev = map_location if map_location is not None else _saved_device(node.get("device"), where)
            t = Tensor._wrap(_device.backend(dev).asarray(arr), dev, False, None)
            if node.get("parameter"):
                from .nn.module import Parameter
                return Parameter(t, requires_grad=bool(node.get("requires_grad")))
            return t.requires_grad_(True) if node.get("requires_grad") else t
        if "ndarray" in node:
            arr = _array(arrays, node["ndarray"], where)
            return arr[()] if node.get("scalar") else arr
        if "dict" in node:
            out = OrderedDict() if node.get("ordered") else {}
            for k, v in _items(node["dict"], where):
                key = _decode(k, arrays, map_location, where)
                if isinstance(key, list):
                    key = tuple(key)
                out[key] = _decode(v, arrays, map_location, f"{where}[{key!r}]")
            return out
        if "list" in node:
            return [_decode(v, arrays, map_location, f"{where}[{i}]") for i, v in enumerate(_seq(node["list"], where))]
        if "tuple" in node:
            return tuple(_decode(v, arrays, map_location, f"{where}[{i}]")
                         for i, v in enumerate(_seq(node["tuple"], where)))
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        if isinstance(e, _Malformed):
            raise
        raise _Malformed(f"malformed checkpoint structure at {where}: {type(e).__name__}: {e}") from e
    raise _Malformed(f"malformed checkpoint structure at {where}: {sorted(node)}")


def _seq(v, where):
    if not isinstance(v, list):
        raise _Malformed(f"malformed checkpoint structure at {where}: expected a list, got {type(v).__name__}")
    return v


def _items(v, where):
    for item in _seq(v, where):
        if not isinstance(item, list) or len(item) != 2:
            raise _Malformed(f"malformed checkpoint structure at {where}: a dict entry is not a [key, value] pair")
        yield item


def _saved_device(dev, where):
    """The device a tensor was saved on; an unknown name means a damaged file (a known device that is not
    available here, such as 'cuda' without a GPU, raises the device's own error: pass ``map_location``)."""
    if not isinstance(dev, str):
        raise _Malformed(f"malformed checkpoint structure at {where}: device {dev!r}")
    try:
        return _device.normalize(dev)
    except ValueError as e:
        raise _Malformed(f"malformed checkpoint structure at {where}: {e}") from e


def _array(arrays, name, where):
    if not isinstance(name, str) or name not in arrays:
        raise _Malformed(f"the checkpoint lists array {name!r} at {where} but does not hold it")
    return arrays[name]


def save(obj, path, compress=False):
    """Write ``obj`` (a state dict, or a dict/list holding several plus scalars) to ``path`` as one ``.npz``
    archive, atomically: the previous file at ``path`` is replaced only once the new one is complete on disk.
    The file is written at exactly ``path`` (no suffix is added). ``compress`` uses zip deflate."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"save: path must be a str or os.PathLike, got {type(path).__name__}")
    path = os.fspath(path)
    arrays = {}
    meta = {"format": _FORMAT, "version": _VERSION, "root": _encode(obj, arrays, "obj")}
    arrays[_META] = np.frombuffer(json.dumps(meta, allow_nan=False).encode("utf-8"), dtype=np.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(2, "save: the folder to write the checkpoint into does not exist", folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            (np.savez_compressed if compress else np.savez)(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# What NumPy's reader raises on a file that is not a complete .npz archive readable without pickle: a truncated
# or damaged zip (BadZipFile, EOFError, zlib.error, or OSError from a seek past its end), an empty file
# (EOFError), pickled or unknown data (ValueError, UnpicklingError).
_READ_ERRORS = (zipfile.BadZipFile, EOFError, ValueError, zlib.error, OSError, KeyError, UnicodeDecodeError)


def _not_a_checkpoint(path, why):
    return ValueError(f"load: {path!r} is not a valid tinygradnb checkpoint ({why})")


def load(path, map_location=None):
    """Read a checkpoint written by ``save``: the same structure, with Tensors (on their saved device, or on
    ``map_location``), NumPy arrays and scalars. Load a model's part with ``model.load_state_dict(...)``, which
    checks names, shapes and dtypes.

    A missing file raises ``FileNotFoundError`` (a folder ``IsADirectoryError``); a file that is not a complete
    checkpoint written by ``save`` (empty, truncated, damaged, another program's ``.npz`` or ``.npy``) raises
    ``ValueError`` naming the file, with the reader's own error as ``__cause__``."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"load: path must be a str or os.PathLike, got {type(path).__name__}")
    path = os.fspath(path)
    if map_location is not None:
        try:
            map_location = _device.normalize(map_location)
        except (ValueError, TypeError) as e:
            raise type(e)(f"load: map_location: {e}") from e
    if os.path.isdir(path):
        raise IsADirectoryError(21, "load: is a folder, not a checkpoint file", path)
    try:
        npz = np.load(path, allow_pickle=False)
    except _READ_ERRORS as e:
        if isinstance(e, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        empty = os.path.getsize(path) == 0
        why = "the file is empty" if empty else f"not a complete .npz archive readable without pickle: " \
                                                f"{type(e).__name__}: {e}"
        raise _not_a_checkpoint(path, why) from e
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {path!r} is a single .npy array, not a valid tinygradnb checkpoint")
    with npz:
        if _META not in npz.files:
            raise _not_a_checkpoint(path, f"no {_META!r} entry; holds {npz.files[:5]}")
        try:
            meta = json.loads(npz[_META].tobytes().decode("utf-8"))
        except _READ_ERRORS as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise _not_a_checkpoint(path, f"its {_META!r} entry is unreadable: {type(e).__name__}: {e}") from e
        if not isinstance(meta, dict):
            raise _not_a_checkpoint(path, f"its {_META!r} entry is a JSON {type(meta).__name__}, not an object")
        if meta.get("format") != _FORMAT:
            raise _not_a_checkpoint(path, f"format {meta.get('format')!r}, expected {_FORMAT!r}")
        version = meta.get("version", 0)
        if isinstance(version, bool) or not isinstance(version, int) or "root" not in meta:
            raise _not_a_checkpoint(path, f"malformed header: version {version!r}, "
                                          f"{'a' if 'root' in meta else 'no'} 'root' entry")
        if version > _VERSION:
            raise ValueError(f"load: {path!r} is checkpoint version {version}, this tinygradnb reads up to "
                             f"{_VERSION}")
        try:
            arrays = {name: npz[name] for name in npz.files if name != _META}
        except _READ_ERRORS as e:
            raise _not_a_checkpoint(path, f"an array is damaged: {type(e).__name__}: {e}") from e
    try:
        return _decode(meta["root"], arrays, map_location, "obj")
    except _Malformed as e:
        raise _not_a_checkpoint(path, str(e)) from (e.__cause__ or e)
