#!/usr/bin/env bash
# tinygradnb CUDA backend: the one-command device check for a lent NVIDIA GPU (an H200 so far), <= 8 minutes, on a
# bare machine with python, numba and numba-cuda but no registry access. Written from a paper audit of kernels/cuda;
# it runs end to end under the simulator (DRY=1) but has not yet run on a GPU: record what it prints in bench/RESULTS.md.
#
# What it does, in order, each phase under a hard time limit and a global deadline (START + 465 s):
#   env    nvidia-smi, python/numba/numba-cuda versions, install the project (no registry there: --no-index,
#          --no-deps, --no-build-isolation; fallback: a symlink tinygradnb/kernels -> ../kernels + PYTHONPATH),
#          a smoke launch, and a launch-overhead microbenchmark (empty kernels with 0/4/8 array args, the
#          project's own add op, cuda.device_array)
#   bench  (b) python bench/gpu.py --out /tmp/tgnb_gpu.md             (matmul vs cuBLAS, softmax-CE, LayerNorm),
#          then python bench/launches.py (launches, allocations and copies of a tagger step, by the profiler)
#   pos    (c)+(d) examples/pos_tagger.py default model (B=32, H=128, word_dim 100): per-step wall on cuda
#          (normal, and with Numba's deallocation flushes deferred), a launch profile with CUDA events
#          (per-kernel GPU time measured with the queue pre-filled behind a spin kernel, so that the events
#          time the GPU and not the host's launch gaps), host time spent inside launch calls, then the same
#          batches on the CPU
#   tests  (a) TGNB_TEST_DEVICES=cuda python -m pytest tests -x -q: the op suite on the device, and tests/cuda
#          (with -n 8 when pytest-xdist is there; TESTS_PATH picks files)
#   ncu    optional: Nsight Compute on _mm_f32 / _ce_* / _ln_* / _col_sum at the bench sizes (if time is left)
#   san    optional: compute-sanitizer initcheck on a tiny BiLSTM-tagger step + LayerNorm + matmul, racecheck on
#          `bench/gpu.py --quick` (block reductions, matmul tiles), if time is left
#
# Use (from the caller's repository root; the device tool sends only that checkout):
#   run(command="OUT=$OUT bash bench/gpu_check.sh", timeout_s=540)
# A second, shorter call on the still-warm machine may pick phases:  PHASES="bench pos" bash bench/gpu_check.sh
# Local dry run without a GPU (simulator, tiny sizes):
#   DRY=1 OUT=/tmp/gpu_check_out TESTS_PATH=tests/test_loss.py bash bench/gpu_check.sh
# CI runs a short dry run of the env and pos phases (tests/cuda/test_bench_gpu.py).
set -u
START=$(date +%s)
DEADLINE=$((START + ${BUDGET_S:-465}))
OUT=${OUT:-/tmp/gpu_check_out}
mkdir -p "$OUT"
PHASES=${PHASES:-"env bench pos tests ncu san"}
PY=${PY:-python3}
export PYTHONUNBUFFERED=1 OPENBLAS_NUM_THREADS=1
export NUMBA_CACHE_DIR=/tmp/tgnb_numba_cache      # CPU @njit cache (the CUDA kernels have no disk cache)
DRY=${DRY:-0}
if [ "$DRY" = 1 ]; then export NUMBA_ENABLE_CUDASIM=1; fi
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
left() { echo $((DEADLINE - $(date +%s))); }
note() { echo "$*" | tee -a "$SUMMARY"; }
phase_on() { case " $PHASES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
budget() {  # budget NAME WANT MIN -> seconds to give the phase, 0 when it must be skipped
  local l; l=$(left); local b=$2; [ "$b" -gt $((l - 5)) ] && b=$((l - 5))
  if [ "$b" -lt "$3" ]; then echo "[$1] skipped: ${l}s left" | tee -a "$SUMMARY" >&2; echo 0; else echo "$b"; fi
}
H=/tmp/tgnb_helpers; mkdir -p $H

# ----------------------------------------------------------------------------------------------- helpers
cat > $H/micro.py <<'EOF'
"""Launch and allocation overhead of numba-cuda on this machine (host wall per call, GPU idle)."""
import time, statistics
import numpy as np
from numba import cuda
from numba import config
N = 20 if config.ENABLE_CUDASIM else 2000
@cuda.jit
def k0():
    pass
@cuda.jit
def k4(a, b, c, d):
    pass
@cuda.jit
def k8(a, b, c, d, e, f, g, h):
    pass
@cuda.jit
def kt(p, g, m, v):
    pass
arrs = [cuda.device_array(1024, np.float32) for _ in range(8)]
tup = tuple(cuda.device_array(1024, np.float32) for _ in range(16))
def per_call(fn, n=N):
    fn(); cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    t1 = time.perf_counter(); cuda.synchronize()
    return (t1 - t0) / n * 1e6
print(f"launch, 0 array args : {per_call(lambda: k0[1, 32]()):7.1f} us/launch")
print(f"launch, 4 array args : {per_call(lambda: k4[1, 32](*arrs[:4])):7.1f} us/launch")
print(f"launch, 8 array args : {per_call(lambda: k8[1, 32](*arrs)):7.1f} us/launch")
print(f"launch, 4 tuples of 16 arrays (a multi-tensor Adam's arguments): {per_call(lambda: kt[1, 32](tup, tup, tup, tup)):7.1f} us/launch")
print(f"cuda.device_array(1024) (alloc; frees flushed every 11) : {per_call(lambda: cuda.device_array(1024, np.float32)):7.1f} us/call")
from tinygradnb.kernels import cuda as K
a = cuda.to_device(np.ones((64, 32), np.float32)); b = cuda.to_device(np.ones(32, np.float32))
print(f"backend K.add(a(64,32), b(32,)) alloc+launch+glue        : {per_call(lambda: K.add(a, b)):7.1f} us/op")
import tinygradnb as tg
x = tg.tensor(np.ones((64, 32), np.float32), device="cuda"); y = tg.tensor(np.ones(32, np.float32), device="cuda")
print(f"Tensor x + y (op layer, no grad)                        : {per_call(lambda: x + y):7.1f} us/op")
sizes = (40,) * 11 if config.ENABLE_CUDASIM else (320000, 32768, 65536, 512, 512) * 2 + (4352,)   # the tagger's
ps = [cuda.to_device(np.zeros(n, np.float32)) for n in sizes]
st = [[cuda.to_device(np.zeros(p.size, np.float32)) for p in ps] for _ in range(3)]
print(f"K.adam_step_ over 11 parameters (one multi-tensor launch)  : "
      f"{per_call(lambda: K.adam_step_(ps, *st, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1, False), max(2, N // 10)):7.1f} us/step")
EOF

cat > $H/pos_step.py <<'EOF'
"""examples/pos_tagger.py training step (default model) on cuda and cpu; launch profile with CUDA events."""
import collections, importlib, json, os, pkgutil, statistics, sys, time
ROOT = os.getcwd()
sys.path.insert(0, os.path.join(ROOT, "examples"))
import numpy as np
from numba import cuda
import tinygradnb as tg
from tinygradnb import nn, optim
from tinygradnb.utils import clip_grad_norm_
import tinygradnb.kernels.cuda as K
from tinygradnb.kernels.cuda import _launch
import pos_tagger as pos
from datasets import load_pos

DRY = os.environ.get("DRY") == "1"
DEADLINE = float(os.environ.get("PY_DEADLINE", time.time() + 150))
OUT = os.environ.get("OUT", "/tmp")
left = lambda: DEADLINE - time.time()
res = {}
t_load = time.time()
train_s = load_pos("train")
if DRY:                                      # the simulator runs every thread in Python: 60 sentences of 4 words
    train_s = [s for s in train_s if len(s) == 4][:60]
features = pos.Features.build(train_s)
train = [features.encode(s) for s in train_s]
lengths = [len(y) for _, y in train]
n_tags = len(features.tags)
B, HID, WD = (4, 4, 4) if DRY else (32, 128, 100)
tg.manual_seed(0)
batches = pos.bucket_batches(lengths, B, shuffle=True)[: (4 if DRY else 40)]
Ts = [int(max(lengths[j] for j in idx)) for idx in batches]
print(f"data+features {time.time() - t_load:.1f} s; {len(batches)} batches, T (max len per batch) "
      f"mean {np.mean(Ts):.1f} min {min(Ts)} max {max(Ts)}", flush=True)
crit = nn.CrossEntropyLoss(ignore_index=pos.IGNORE)

def make(device):
    tg.manual_seed(0)
    model = pos.BiLSTMTagger(features, word_dim=WD, hidden=HID, dropout=0.25).to(device)
    return model, optim.Adam(model.parameters(), lr=2e-3)

def step(model, opt, idx, device, read=True, data=None):
    feats, labels, lens = data if data is not None else pos.collate([train[j] for j in idx], features, 0.25, device)
    logits = model(feats, lens)
    loss = crit(logits.reshape(-1, n_tags), labels.reshape(-1))
    opt.zero_grad()
    loss.backward()
    clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    return loss.item() if read else loss

def timed(model, opt, device, k, wrap=None):
    ms, tt = [], []
    for idx in batches[:k]:
        if left() < 8:
            break
        t0 = time.perf_counter()
        if wrap is None:
            step(model, opt, idx, device)
        else:
            with wrap():
                step(model, opt, idx, device)
        ms.append((time.perf_counter() - t0) * 1e3)
        tt.append(max(lengths[j] for j in idx))
    return ms, tt

def fit(ms, tt):
    if len(set(tt)) < 2:
        return None
    slope, icpt = np.polyfit(tt, ms, 1)
    return round(float(slope), 3), round(float(icpt), 2)

# ---- cuda: compile (warm-up), then the plain step time
model, opt = make("cuda")
t0 = time.time()
for idx in batches[:1 if DRY else 2]:
    step(model, opt, idx, "cuda")
res["cuda_warmup_s"] = round(time.time() - t0, 1)
print(f"cuda warm-up (JIT of every kernel the step uses): {res['cuda_warmup_s']} s", flush=True)
ms, tt = timed(model, opt, "cuda", 1 if DRY else 30)
res["cuda_step_ms_median"] = round(statistics.median(ms), 2)
res["cuda_step_ms_mean"] = round(statistics.mean(ms), 2)
res["cuda_ms_per_T_and_fixed"] = fit(ms, tt)
print(f"cuda step: median {res['cuda_step_ms_median']} ms, mean {res['cuda_step_ms_mean']} ms over {len(ms)} "
      f"steps; fit ms = a*T + b: {res['cuda_ms_per_T_and_fixed']}", flush=True)
ms2, tt2 = timed(model, opt, "cuda", 1 if DRY else 15, wrap=cuda.defer_cleanup)
if ms2:
    res["cuda_step_ms_median_defer_cleanup"] = round(statistics.median(ms2), 2)
    print(f"cuda step with deallocation flushes deferred (cuda.defer_cleanup): median "
          f"{res['cuda_step_ms_median_defer_cleanup']} ms", flush=True)

# ---- launch instrumentation: counts and host time inside launch calls (normal mode)
orig = {"launch": _launch.launch, "launch_rows": _launch.launch_rows}
mods = [importlib.import_module(f"tinygradnb.kernels.cuda.{m.name}") for m in pkgutil.iter_modules(K.__path__)]
stats = collections.defaultdict(lambda: [0, 0.0, 0.0])   # name -> [count, host s in launch call, gpu ms]
mode = {"events": False, "pairs": []}
name_of = lambda k: _launch._names.get(id(k), "?").replace("tinygradnb.kernels.cuda.", "")

def wrapper(kind):
    f = orig[kind]
    def w(kernel, n, *args):
        if n <= 0:
            return f(kernel, n, *args)
        nm = name_of(kernel)
        if mode["events"]:
            e0 = cuda.event(); e0.record()
        t0 = time.perf_counter()
        r = f(kernel, n, *args)
        stats[nm][1] += time.perf_counter() - t0
        stats[nm][0] += 1
        if mode["events"]:
            e1 = cuda.event(); e1.record()
            mode["pairs"].append((nm, e0, e1))
        return r
    return w

def patch(on):
    for m in mods:
        for kind in ("launch", "launch_rows"):
            if hasattr(m, kind):
                setattr(m, kind, wrapper(kind) if on else orig[kind])

patch(True)
prof_batches = batches[:1 if DRY else 3]
stats.clear()
t0 = time.perf_counter()
for idx in prof_batches:
    step(model, opt, idx, "cuda")
wall = (time.perf_counter() - t0) * 1e3 / len(prof_batches)
n_launch = sum(v[0] for v in stats.values()) / len(prof_batches)
host_in_launch = sum(v[1] for v in stats.values()) * 1e3 / len(prof_batches)
res.update(launches_per_step=round(n_launch, 1), host_ms_in_launch_calls=round(host_in_launch, 2),
           profiled_wall_ms=round(wall, 2))
print(f"per step (mean T {np.mean([max(lengths[j] for j in i) for i in prof_batches]):.1f}): {n_launch:.0f} launches, "
      f"{host_in_launch:.2f} ms of host time inside launch calls, {wall:.2f} ms wall", flush=True)

# ---- GPU time per step: launches queued behind a spin kernel (no host gaps), deallocation flushes deferred
@cuda.jit
def _spin(out, n):
    x = np.float32(1.0)
    for i in range(n):
        x = x * np.float32(0.9999999) + np.float32(1e-7)
    out[0] = x
sbuf = cuda.device_array(1, np.float32)
_spin[1, 1](sbuf, 10); cuda.synchronize()
a, b = cuda.event(), cuda.event(); a.record(); _spin[1, 1](sbuf, 1_000_000); b.record(); b.synchronize()
per_iter_ms = max(a.elapsed_time(b), 1e-3) / 1_000_000
n_spin = 10 if DRY else int(min(max(6 * wall / per_iter_ms, 1000), 2e9))
gpu_ms, per_kernel, ok = [], collections.defaultdict(lambda: [0, 0.0]), []
for idx in prof_batches:
    if left() < 10:
        break
    feats, labels, lens = pos.collate([train[j] for j in idx], features, 0.25, "cuda")
    data = (feats, labels, lens.to("cuda"))   # lengths on the device: no stream-synchronising upload in the step
    cuda.synchronize()
    mode["events"], mode["pairs"] = True, []
    with cuda.defer_cleanup():
        s0, s1, e_end = cuda.event(), cuda.event(), cuda.event()
        s0.record(); _spin[1, 1](sbuf, n_spin); s1.record()
        th = time.perf_counter()
        loss = step(model, opt, idx, "cuda", read=False, data=data)
        e_end.record()
        host_ms = (time.perf_counter() - th) * 1e3
        e_end.synchronize()
        spin_ms = s0.elapsed_time(s1)
        gpu_ms.append(s1.elapsed_time(e_end))
        ok.append(host_ms < spin_ms)
        for nm, e0, e1 in mode["pairs"]:
            per_kernel[nm][0] += 1
            per_kernel[nm][1] += e0.elapsed_time(e1)
    mode["events"] = False
    loss.item()
patch(False)
if gpu_ms:
    k = len(gpu_ms)
    res["gpu_busy_ms_per_step"] = round(statistics.mean(gpu_ms), 3)
    res["queue_stayed_full"] = all(ok)
    top = sorted(per_kernel.items(), key=lambda kv: -kv[1][1])
    res["top_kernels_gpu_ms_per_step"] = [(nm, c // k, round(t / k, 3)) for nm, (c, t) in top[:15]]
    print(f"GPU time per step with the queue full (events; spin kernel ahead, queue stayed full: {all(ok)}): "
          f"{res['gpu_busy_ms_per_step']} ms vs {wall:.2f} ms wall -> GPU busy "
          f"{100 * res['gpu_busy_ms_per_step'] / wall:.0f} % of a step", flush=True)
    print("top kernels by GPU time per step (name, launches, ms):")
    for row in res["top_kernels_gpu_ms_per_step"]:
        print(f"   {row[0]:28s} {row[1]:5d} {row[2]:8.3f}")

# ---- cpu: same batches
if left() > 40:
    model_c, opt_c = make("cpu")
    t0 = time.time()
    step(model_c, opt_c, batches[0], "cpu")
    res["cpu_warmup_s"] = round(time.time() - t0, 1)
    msc, ttc = timed(model_c, opt_c, "cpu", 2 if DRY else 12)
    if msc:
        res["cpu_step_ms_median"] = round(statistics.median(msc), 2)
        res["cpu_ms_per_T_and_fixed"] = fit(msc, ttc)
        # the same batches on cuda for a like-for-like ratio
        same = [m for m, t in zip(ms, tt)][: len(msc)]
        res["cuda_over_cpu_same_batches"] = round(statistics.median(same) / statistics.median(msc), 3)
        print(f"cpu step: median {res['cpu_step_ms_median']} ms over {len(msc)} steps (warm-up {res['cpu_warmup_s']} s);"
              f" cuda/cpu time ratio on the same batches {res['cuda_over_cpu_same_batches']}", flush=True)
else:
    print("cpu timing skipped (deadline)")
json.dump(res, open(os.path.join(OUT, "pos_step.json"), "w"), indent=1)
print("POS_RESULT " + json.dumps({k: v for k, v in res.items() if k != "top_kernels_gpu_ms_per_step"}))
EOF

cat > $H/san_target.py <<'EOF'
"""Small run for compute-sanitizer initcheck: two BiLSTM-tagger steps (B=4, H=8), a LayerNorm and a matmul."""
import os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "examples"))
import numpy as np
import tinygradnb as tg
from tinygradnb import nn, optim
from tinygradnb.utils import clip_grad_norm_
import pos_tagger as pos
from datasets import load_pos
tg.manual_seed(0)
train_s = load_pos("train")[:40]
features = pos.Features.build(train_s)
train = [features.encode(s) for s in train_s]
model = pos.BiLSTMTagger(features, word_dim=8, suffix_dim=(4, 4, 4), shape_dim=4, hidden=8).to("cuda")
opt = optim.Adam(model.parameters(), lr=2e-3)
crit = nn.CrossEntropyLoss(ignore_index=pos.IGNORE)
for idx in ([0, 1, 2, 3], [4, 5, 6, 7]):
    feats, labels, lens = pos.collate([train[j] for j in idx], features, 0.25, "cuda")
    loss = crit(model(feats, lens).reshape(-1, len(features.tags)), labels.reshape(-1))
    opt.zero_grad(); loss.backward(); clip_grad_norm_(model.parameters(), 5.0); opt.step()
    print("loss", loss.item())
x = tg.randn(37, 33).to("cuda")
x.requires_grad = True
ln = tg.nn.LayerNorm(33).to("cuda")
ln(x).sum().backward()
a = tg.randn(3, 70, 45).to("cuda"); b = tg.randn(3, 45, 66).to("cuda")
print("matmul", float((a @ b).sum().item()))
EOF

cat > $H/ncu_target.py <<'EOF'
"""One matmul (n=4096), one softmax-CE and one LayerNorm fwd+bwd (bench sizes) inside cuProfilerStart/Stop."""
import numpy as np
from numba import cuda
import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb.kernels import cuda as K
rng = np.random.default_rng(0)
da = cuda.to_device(rng.standard_normal((1, 4096, 4096)).astype(np.float32))
db = cuda.to_device(rng.standard_normal((1, 4096, 4096)).astype(np.float32))
z = tg.tensor(rng.standard_normal((16384, 1000)).astype(np.float32), device="cuda", requires_grad=True)
y = tg.tensor(rng.integers(0, 1000, 16384), device="cuda")
x = tg.tensor(rng.standard_normal((16384, 1024)).astype(np.float32), device="cuda", requires_grad=True)
ln = tg.nn.LayerNorm(1024).to("cuda")
g = tg.tensor(rng.standard_normal((16384, 1024)).astype(np.float32), device="cuda")
def once():
    K.matmul(da, db)
    z.grad = None
    F.cross_entropy(z, y).backward()
    x.grad = None
    ln(x).backward(g)
once(); cuda.synchronize()                      # compile outside the profiled range
getattr(cuda, "profile_start", lambda: None)(); once(); cuda.synchronize(); getattr(cuda, "profile_stop", lambda: None)()
print("ncu target done")
EOF

# ----------------------------------------------------------------------------------------------- env
if phase_on env; then
  {
    echo "== env ($(date -u +%FT%TZ))"
    if [ "$DRY" != 1 ]; then
      nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,power.draw,temperature.gpu --format=csv 2>&1
    fi
    $PY -c "import sys, numba, numpy; print('python', sys.version.split()[0], sys.executable); print('numba', numba.__version__, 'numpy', numpy.__version__)"
    $PY -c "import numba_cuda; print('numba-cuda', numba_cuda.__version__)" 2>&1 | tail -1
    $PY -m pip list 2>/dev/null | grep -i -E "^(nvidia-nvvm|nvidia-nvjitlink|nvidia-cuda-nvrtc|cuda-core|cuda-bindings|cupy|torch|pytest-xdist|pytest-timeout) " || true
    echo "-- install"
    if $PY -c "import tinygradnb.kernels.cuda" 2>/dev/null; then echo "tinygradnb already importable";
    elif timeout 90 $PY -m pip install -q --no-deps --no-build-isolation --no-index -e . 2>&1 | tail -3 && $PY -c "import tinygradnb.kernels"; then
      echo "installed: pip -e . (no deps, no index)"
    else
      [ -e tinygradnb/kernels ] || ln -s ../kernels tinygradnb/kernels
      export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
      $PY -c "import tinygradnb.kernels" && echo "installed: symlink tinygradnb/kernels -> ../kernels + PYTHONPATH"
    fi
    echo "-- smoke"
    timeout 90 $PY - <<'EOF'
import time, numpy as np
from numba import cuda
print("cuda.is_available", cuda.is_available())
from numba import config
if not config.ENABLE_CUDASIM:
    d = cuda.get_current_device()
    print("device", d.name, "cc", d.compute_capability, "SMs", d.MULTIPROCESSOR_COUNT)
    try:
        from numba.cuda.cudadrv import nvvm, driver
        print("NVVM", nvvm.NVVM().get_version(), "| nvJitLink used for linking:", driver._have_nvjitlink())
    except Exception as e:
        print("nvvm/nvjitlink query:", e)
t = time.time()
import tinygradnb as tg
x = tg.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), device="cuda")
print("smoke (x*2).sum() =", float((x * 2).sum().item()), "expected 30.0;", f"{time.time() - t:.1f} s incl. JIT")
EOF
    echo "-- launch overhead"
    timeout 60 $PY $H/micro.py
  } 2>&1 | tee "$OUT/p0_env.log"
  grep -E "^NVIDIA|smoke|launch, 8|tuples of 16|K.add|Tensor x|adam_step_|NVVM|installed" "$OUT/p0_env.log" | sed 's/^/[env] /' >> "$SUMMARY"
  # the install fallback's PYTHONPATH must survive the subshell of the pipe above
  $PY -c "import tinygradnb.kernels" 2>/dev/null || { [ -e tinygradnb/kernels ] || ln -s ../kernels tinygradnb/kernels; export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}; }
fi

# ----------------------------------------------------------------------------------------------- (b) bench
if phase_on bench; then
  b=$(budget bench 100 30)
  if [ "$b" -gt 0 ]; then
    Q=""; [ "$DRY" = 1 ] && Q="--quick"
    timeout -k 10 "$b" $PY bench/gpu.py $Q --out /tmp/tgnb_gpu.md 2>&1 | tee "$OUT/p1_bench.log"
    echo "[bench] rc=${PIPESTATUS[0]} (124 = timed out after ${b}s)" >> "$SUMMARY"
    grep "^|" "$OUT/p1_bench.log" | sed 's/^/[bench] /' >> "$SUMMARY"
  fi
  b=$(budget launches 60 20)   # launches, allocations and copies of a tagger step (tinygradnb.profiler)
  if [ "$b" -gt 0 ]; then
    L=""; [ "$DRY" = 1 ] && L="--lengths 2,3"     # the simulator runs every thread in Python: short sequences
    timeout -k 10 "$b" $PY bench/launches.py $L --out "$OUT/launches.md" > "$OUT/p1_launches.log" 2>&1
    echo "[launches] rc=$? (124 = timed out after ${b}s)" >> "$SUMMARY"
    grep "^|" "$OUT/p1_launches.log" | sed 's/^/[launches] /' >> "$SUMMARY"
  fi
fi

# ----------------------------------------------------------------------------------------------- (c)+(d) pos step
if phase_on pos; then
  b=$(budget pos ${POS_BUDGET:-160} 45)
  if [ "$b" -gt 0 ]; then
    PY_DEADLINE=$(( $(date +%s) + b - 5 )) OUT="$OUT" DRY="$DRY" timeout -k 10 "$b" $PY $H/pos_step.py 2>&1 | tee "$OUT/p2_pos.log"
    echo "[pos] rc=${PIPESTATUS[0]}" >> "$SUMMARY"
    grep -E "cuda step|cpu step|per step|GPU time per step|warm-up|POS_RESULT" "$OUT/p2_pos.log" | sed 's/^/[pos] /' >> "$SUMMARY"
  fi
fi

# ----------------------------------------------------------------------------------------------- (a) tests
if phase_on tests; then
  b=$(budget tests 180 45)
  if [ "$b" -gt 0 ]; then
    X=""; $PY -c "import xdist" 2>/dev/null && [ "$DRY" != 1 ] && X="-n 8"
    T=""; $PY -c "import pytest_timeout" 2>/dev/null && T="--timeout $((b - 10))"
    TGNB_TEST_DEVICES=cuda timeout -s INT -k 15 "$b" $PY -m pytest ${TESTS_PATH:-tests} -x -q -p no:cacheprovider $X $T 2>&1 | tee "$OUT/p3_tests.log" | tail -40
    echo "[tests] rc=${PIPESTATUS[0]} (124 = timed out after ${b}s; options: $X $T)" >> "$SUMMARY"
    tail -3 "$OUT/p3_tests.log" | sed 's/^/[tests] /' >> "$SUMMARY"
  fi
fi

# ----------------------------------------------------------------------------------------------- ncu (optional)
if phase_on ncu && [ "$DRY" != 1 ]; then
  NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
  b=$(budget ncu 75 50)
  if [ -n "$NCU" ] && [ "$b" -gt 0 ]; then
    timeout -k 10 "$b" "$NCU" --clock-control none --profile-from-start off --target-processes all \
      --kernel-name-base mangled -k "regex:3_mmB|7_ce_fwd|7_ce_bwd|7_ln_fwd|12_ln_bwd_rows|12_ln_bwd_cols|8_col_sum" -c 8 \
      --section SpeedOfLight --section Occupancy --section LaunchStats \
      --metrics gpu__time_duration.sum,l1tex__data_bank_conflicts_pipe_lsu_mem_shared_op_st.sum,l1tex__data_bank_conflicts_pipe_lsu_mem_shared_op_ld.sum,smsp__inst_executed_pipe_fma.sum,smsp__inst_executed.sum,dram__bytes.sum \
      $PY $H/ncu_target.py > "$OUT/p4_ncu.log" 2>&1
    echo "[ncu] rc=$? ($NCU)" >> "$SUMMARY"
    grep -E "Context 1|Duration|DRAM Throughput|Compute \(SM\) Throughput|Achieved Occupancy|Theoretical Occupancy|Registers Per|bank_conflicts|inst_executed|dram__bytes|gpu__time_duration|==PROF==|==ERROR==" "$OUT/p4_ncu.log" | cut -c1-170 | head -100 | sed 's/^/[ncu] /' >> "$SUMMARY"
  elif [ -z "$NCU" ]; then note "[ncu] not found"; fi
fi

# ----------------------------------------------------------------------------------------------- compute-sanitizer (optional)
if phase_on san && [ "$DRY" != 1 ]; then
  CS=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null | head -1)
  for tool in initcheck racecheck; do
    b=$(budget "san-$tool" 50 35)
    if [ -n "$CS" ] && [ "$b" -gt 0 ]; then
      TGT="bench/gpu.py --quick"; [ $tool = initcheck ] && TGT="$H/san_target.py"
      echo "== $tool: $TGT" >> "$OUT/p5_sanitizer.log"
      timeout -k 10 "$b" "$CS" --tool $tool --print-limit 20 $PY $TGT >> "$OUT/p5_sanitizer.log" 2>&1
      echo "[san] $tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/p5_sanitizer.log" | tail -1)" >> "$SUMMARY"
    fi
  done
fi

[ "$DRY" != 1 ] && nvidia-smi --query-gpu=clocks.sm,clocks.mem,power.draw,temperature.gpu,memory.used --format=csv,noheader 2>&1 | sed 's/^/[end] /' >> "$SUMMARY"
echo
echo "================ summary ($(( $(date +%s) - START )) s) ================"
cat "$SUMMARY"
