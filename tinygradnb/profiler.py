"""``tinygradnb.profiler``: which kernels a block of code runs, how often and for how long, and what it allocates on
and copies to or from a GPU (``torch.profiler`` in small)::

    with tinygradnb.profiler.profile() as prof:
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

What is recorded, on both devices:

* every call through the device seam (``tinygradnb.device.backend``: the functions of ``tinygradnb.kernels.cpu``
  or ``tinygradnb.kernels.cuda``), by function name and device, with its count and host time. On the CPU the host
  time is the kernel's run time. On a GPU it is the time to queue the call's launches, since kernels run
  asynchronously; ``profile(sync=True)`` waits for the GPU after each call, so that its time includes the
  kernels' run time (and the queue no longer overlaps Python);
* on ``cuda``, every GPU kernel launch, by kernel name (rows of kind ``launch``), every device allocation
  (count and bytes: new memory from the driver) and every allocation served from the caching allocator's free
  blocks instead, every zero fill done by the driver's memset (no kernel launch), every host→device and
  device→host copy (count and bytes).

Calls are recorded for the ops run inside the block: ``backward()`` inside the block records the backward kernels
of a forward pass run before it. One profile at a time (a nested one raises ``RuntimeError``).
"""
import time

from . import device as _device

__all__ = ["profile", "EventList", "KernelAverage"]

_active = None      # the profile being recorded, if any


class KernelAverage:
    """One row of ``key_averages()``: ``key`` (the kernel's name), ``device`` ("cpu" or "cuda"), ``kind``
    ("kernel": a call through the device seam; "launch": a GPU kernel launch), ``count``, ``cpu_time_total`` and
    ``self_cpu_time_total`` (host microseconds; 0 for launches, whose time is in their seam call's row) and
    ``cpu_time`` (the mean per call)."""

    def __init__(self, key, device, kind):
        self.key, self.device, self.kind = key, device, kind
        self.count = 0
        self.cpu_time_total = 0.0

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self):
        return (f"<KernelAverage key={self.key!r} device={self.device!r} kind={self.kind!r} count={self.count} "
                f"cpu_time_total={self.cpu_time_total:.1f}us>")


class EventList(list):
    """The rows of ``profile.key_averages()`` (a list of ``KernelAverage``), with ``table()``."""

    _SORT = ("cpu_time_total", "self_cpu_time_total", "cpu_time", "count")

    def __init__(self, rows, totals):
        super().__init__(rows)
        self.totals = totals

    def table(self, sort_by="cpu_time_total", row_limit=100):
        """The rows as a text table, largest ``sort_by`` first (one of "cpu_time_total", "self_cpu_time_total",
        "cpu_time", "count"), at most ``row_limit`` of them (-1: all), then one line of totals per device."""
        if sort_by not in self._SORT:
            raise ValueError(f"table: sort_by must be one of {', '.join(self._SORT)}; got {sort_by!r}")
        rows = sorted(self, key=lambda r: (-getattr(r, sort_by), -r.count, r.key))
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total = sum(r.cpu_time_total for r in self) or 1.0
        width = max([len(r.key) for r in rows] + [4])
        head = (f"{'Name':<{width}}  {'Device':<6}  {'Kind':<6}  {'Calls':>7}  {'Total us':>10}  {'Mean us':>9}  "
                f"{'%':>6}")
        lines = [head, "-" * len(head)]
        for r in rows:
            lines.append(f"{r.key:<{width}}  {r.device:<6}  {r.kind:<6}  {r.count:>7}  {r.cpu_time_total:>10.1f}  "
                         f"{r.cpu_time:>9.2f}  {100 * r.cpu_time_total / total:>5.1f}%")
        lines.append("-" * len(head))
        for dev, t in sorted(self.totals.items()):
            line = f"{dev}: {t['calls']} kernel calls, {t['cpu_time_total'] / 1e3:.3f} ms"
            if dev != "cpu":
                line += (f"; {t['launches']} launches, {t['allocations']} device allocations "
                         f"({_bytes(t['allocated_bytes'])}) and {t['reuses']} served from the cache, "
                         f"{t['memsets']} memsets, {t['h2d']} host→device copies ({_bytes(t['h2d_bytes'])}), "
                         f"{t['d2h']} device→host copies ({_bytes(t['d2h_bytes'])})")
            lines.append(line)
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def _bytes(n):
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


class _Recorder:
    """Stands in for a device's kernel module while a profile is active: each function is timed and counted."""

    def __init__(self, mod, name):
        self._mod, self._name = mod, name

    def __getattr__(self, attr):
        fn = getattr(self._mod, attr)
        if not callable(fn) or isinstance(fn, type):
            return fn
        dev = self._name

        def call(*args, **kwargs):
            prof = _active
            if prof is None:
                return fn(*args, **kwargs)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                if prof.sync and dev != "cpu":
                    prof._synchronize()
                prof._add(attr, dev, "kernel", time.perf_counter() - t0)

        call.__name__ = attr
        self.__dict__[attr] = call
        return call


class profile:
    """Record the kernels run inside a ``with`` block (``torch.profiler.profile`` in small; see the module's
    docstring). ``sync``: on a GPU, wait for it after each kernel call so that times include the kernels' run
    time."""

    def __init__(self, sync=False):
        self.sync = bool(sync)
        self._rows = {}
        self._totals = {}
        self._launch = None

    def __enter__(self):
        global _active
        if _active is not None:
            raise RuntimeError("profile: another profile is already recording; nested profiles are not supported")
        _active = self
        _device.set_wrapper(_Recorder)
        if "cuda" in _device.loaded():
            self._hook_cuda()
        return self

    def __exit__(self, *exc):
        global _active
        _device.set_wrapper(None)
        if self._launch is not None:
            self._launch.observer = None
        _active = None
        return False

    # ------------------------------------------------------------------ recording
    def _hook_cuda(self):
        from .kernels.cuda import _launch
        self._launch = _launch
        _launch.observer = self._observe

    def _synchronize(self):
        from numba import cuda
        cuda.synchronize()

    def _device_totals(self, dev):
        t = self._totals.get(dev)
        if t is None:
            t = self._totals[dev] = dict(calls=0, cpu_time_total=0.0, launches=0, allocations=0, allocated_bytes=0,
                                         reuses=0, memsets=0, h2d=0, h2d_bytes=0, d2h=0, d2h_bytes=0)
        return t

    def _add(self, key, dev, kind, seconds):
        if dev == "cuda" and self._launch is None:       # the backend was loaded inside the block
            self._hook_cuda()
        row = self._rows.get((key, dev, kind))
        if row is None:
            row = self._rows[(key, dev, kind)] = KernelAverage(key, dev, kind)
        row.count += 1
        row.cpu_time_total += seconds * 1e6
        t = self._device_totals(dev)
        if kind == "kernel":
            t["calls"] += 1
            t["cpu_time_total"] += seconds * 1e6
        else:
            t["launches"] += 1

    def _observe(self, event, name, nbytes):
        if event == "launch":
            self._add(".".join(name.split(".")[-2:]), "cuda", "launch", 0.0)   # family.kernel
            return
        t = self._device_totals("cuda")
        if event == "alloc":
            t["allocations"] += 1
            t["allocated_bytes"] += nbytes
        elif event == "reuse":
            t["reuses"] += 1
        elif event == "memset":
            t["memsets"] += 1
        else:                                            # "h2d" / "d2h"
            t[event] += 1
            t[event + "_bytes"] += nbytes

    # ------------------------------------------------------------------ results
    def key_averages(self):
        """The recorded rows (an ``EventList`` of ``KernelAverage``), one per kernel name, device and kind."""
        return EventList(self._rows.values(), {d: dict(t) for d, t in self._totals.items()})

    def totals(self, device):
        """The counts for ``device`` ("cpu" or "cuda"): calls (through the seam), cpu_time_total (µs), launches,
        allocations and allocated_bytes (new device memory), reuses (allocations served by the caching allocator),
        memsets (zero fills by the driver, no kernel), h2d, h2d_bytes, d2h, d2h_bytes (all but the first two on a
        GPU only; 0 on the CPU)."""
        return dict(self._device_totals(_device.normalize(device)))

    def table(self, sort_by="cpu_time_total", row_limit=100):
        """``key_averages().table(...)``."""
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit)
