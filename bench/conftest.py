"""pytest configuration of the benchmark suite: bench/ on sys.path, and the mode (quick or full) from the
environment variable TGNB_BENCH_QUICK that bench/run.py sets (``1``: quick, the default when pytest is run by hand)."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
