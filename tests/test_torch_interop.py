"""torch and fastpool in one process, imported in either order: no abort, no thread pile-up.

Both ship an OpenMP runtime (torch's wheel bundles libgomp, fastpool's repaired
wheel bundles its own under a mangled name, an editable build links the
system's). Each case runs in a fresh subprocess, which imports torch; this test
process never does. Linux only (threads are counted in /proc/self/task).
Skipped when torch is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts /proc/self/task"),
]

_CHILD = r"""
import json, os, sys, time

def threads():
    return len(os.listdir("/proc/self/task"))

def gomp():
    with open("/proc/self/maps") as f:
        return sorted({os.path.basename(line.split()[-1]) for line in f if "gomp" in line})

base = threads()
if sys.argv[1] == "torch-first":
    import torch
    import fastpool
else:
    import fastpool
    import torch
import numpy as np

texts = [f"sentence number {i} about pooling static embeddings" for i in range(20000)]
model = fastpool.load()
torch.set_num_threads(2)
x = torch.randn(384, 384)
counts = {"imported": threads() - base}
reference = model.encode(texts, n_threads=1)
(x @ x).sum().item()
counts["after torch matmul"] = threads() - base
same = True
for _ in range(5):  # interleave the two runtimes' parallel regions
    v = model.encode(texts, n_threads=2)
    (x @ x).sum().item()
    same &= bool(np.array_equal(v, reference))
counts["after fastpool x5"] = threads() - base
cpu0, wall0 = time.process_time(), time.perf_counter()
for _ in range(5):
    model.encode(texts, n_threads=2)
    (x @ x).sum().item()
counts["after 5 more"] = threads() - base
cpu_per_wall = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
print(json.dumps({"counts": counts, "same": same, "gomp": gomp(),
                  "cpu_per_wall": cpu_per_wall, "fastpool": fastpool.__file__}))
"""


@pytest.mark.parametrize("order", ["torch-first", "fastpool-first"])
def test_torch_and_fastpool_share_a_process(order):
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, order], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(order, result)
    counts = result["counts"]
    assert result["same"]  # vectors unchanged by torch's runtime in the process
    # torch's pool (2 threads: 1 new) and fastpool's team (2 threads: 1 new) are
    # each started once and reused: no pool grows with more calls.
    assert counts["after 5 more"] == counts["after fastpool x5"], counts
    assert counts["after fastpool x5"] - counts["after torch matmul"] <= 1, counts
    # Never more runnable work than the 2 + 2 threads asked for (spin-waits included).
    assert result["cpu_per_wall"] <= 4.2, result
