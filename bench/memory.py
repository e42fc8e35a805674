"""Peak RSS of one benchmark family and one side, in a fresh process (bench/run.py calls it once per family and
side). ``python bench/memory.py FAMILY SIDE [--quick]`` with SIDE ``tinygradnb`` (its kernel- and op-level cases),
``torch`` or ``numpy``; runs each case of the family three times and prints the peak RSS in MiB
(VmHWM of /proc/self/status on Linux, else ``resource.getrusage(RUSAGE_SELF).ru_maxrss``), which includes the
interpreter and the imported libraries."""
import os
import resource
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from cases import all_cases

SIDES = {"tinygradnb": ("tg-kernel", "tg"), "torch": ("torch",), "numpy": ("numpy",)}


def peak_rss_mib():
    # Linux: VmHWM, this process image's own high-water mark. ru_maxrss is not used there because exec keeps the
    # parent's high-water mark in it (a child of a big parent reports the parent's peak).
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024 * 1024) if sys.platform == "darwin" else r / 1024  # bytes on macOS, KiB on Linux


def main():
    family, side = sys.argv[1], sys.argv[2]
    quick = "--quick" in sys.argv
    cases = [c for c in all_cases(quick) if c.family == family and c.impl in SIDES[side]]
    if not cases:
        print("nan")
        return
    for c in cases:
        fn = c.make()
        for _ in range(3):
            fn()
        del fn
    print(f"{peak_rss_mib():.1f}")


if __name__ == "__main__":
    main()
