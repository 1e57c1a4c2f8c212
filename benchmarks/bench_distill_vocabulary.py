"""distill(vocabulary=...) with BPE and Unigram teachers: fastpool vs model2vec, one process.

    HF_HUB_OFFLINE=1 python benchmarks/bench_distill_vocabulary.py --threads 2

No BPE or Unigram sentence model can be downloaded here, so the teachers are built offline
at all-MiniLM-L6-v2's size (6 layers, hidden 384, 12 heads, random weights: the forward pass
costs what a trained model's does): RoBERTa with a byte-level BPE tokenizer and XLM-RoBERTa
with a SentencePiece Unigram model in XLM-R's tokenizer.json layout, both trained on the
standard-library docstrings (tests/subword_teachers.py). The vocabulary is the ``--words``
most frequent whitespace-split words of the same text (punctuation kept, so a share are
multi-word entries), shorter first (see ``_words``). Per teacher, model2vec then fastpool run
once, back to back, with the same torch thread count, ``pca_dims=256``, float32; the load
average is printed before each.
Agreement: same vocabulary in order, row cosine to model2vec's table.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from row_agreement import rotated_onto, row_cosine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from subword_teachers import sentences, write_teacher  # noqa: E402


def _words(n: int) -> list[str]:
    counts: dict[str, int] = {}
    for word in " ".join(sentences()).split():
        counts[word] = counts.get(word, 0) + 1
    top = sorted(counts, key=lambda w: -counts[w])[:n]
    # Shorter first: model2vec 0.10 crashes on a BPE teacher when an entry ("Pass") is an
    # intermediate piece an earlier entry's merges added ("Passing"); never when sorted.
    return sorted(top, key=lambda w: len(w.encode()))


def _vocab(tokenizer: object) -> list[str]:
    vocab = tokenizer.get_vocab()  # type: ignore[attr-defined]
    return sorted(vocab, key=vocab.__getitem__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--words", type=int, default=3000)
    parser.add_argument("--teacher-vocab", type=int, default=8000)
    parser.add_argument("--kinds", default="bpe,spm")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.disable(logging.WARNING)  # model2vec logs one line per entry
    import torch
    from model2vec.distill import distill as m2v_distill

    import fastpool

    torch.set_num_threads(args.threads)
    words = _words(args.words)
    print(f"torch {torch.__version__}, {args.threads} threads, {len(words)} entries")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            folder = write_teacher(
                Path(tmp) / kind, kind, hidden=384, layers=6, heads=12,
                vocab_size=args.teacher_vocab, n_sentences=len(sentences()),
            )  # fmt: skip
            common = {"pca_dims": 256, "quantize_to": "float32"}
            print(f"\n{kind}: load average {os.getloadavg()[0]:.2f}")
            start = time.perf_counter()
            theirs = m2v_distill(str(folder), vocabulary=words, device="cpu", **common)
            t_m2v = time.perf_counter() - start
            print(f"  model2vec {t_m2v:7.1f} s   load average {os.getloadavg()[0]:.2f}")
            start = time.perf_counter()
            ours = fastpool.distill(folder, vocabulary=words, show_progress_bar=False, **common)
            t_ours = time.perf_counter() - start
            print(f"  fastpool  {t_ours:7.1f} s   load average {os.getloadavg()[0]:.2f}")
            same = _vocab(ours.tokenizer) == _vocab(theirs.tokenizer)
            a, b = np.asarray(ours.table), np.asarray(theirs.embedding)
            cos, aligned = row_cosine(a, b), row_cosine(rotated_onto(a, b), b)
            print(
                f"  ratio model2vec/fastpool {t_m2v / t_ours:.2f}; {len(ours.tokens)} tokens, "
                f"same vocab: {same}; row cosine min {cos.min():.6f} mean {cos.mean():.6f} "
                f"(aligned: min {aligned.min():.6f}); "
                f"backend {ours.tokenizer_backend}"
            )


if __name__ == "__main__":
    main()
