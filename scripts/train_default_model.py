"""Train fastpool's bundled default model past its distilled start, and measure it.

    apt-get update -o Acquire::Languages=en          # root, once (see scripts/debian_pairs.py)
    python scripts/debian_pairs.py DATA              # DATA/train.jsonl, DATA/heldout.jsonl
    HF_HUB_OFFLINE=1 python scripts/train_default_model.py DATA [--out FOLDER] [--eval-only]

Recipe: the distilled default model (scripts/make_default_model.py) trained on the contrastive
road (``fastpool.train.contrastive``: MNRL in-batch negatives inside Matryoshka 256/128/64) on
Debian's (synopsis, long description) training pairs; nothing of the held-out split is seen.

Measured on the held-out split (a sample of ``--eval-pairs`` pairs, one per description):
recall@10 of synopsis -> description retrieval for the distilled model, the trained one and the
teacher (all-MiniLM-L6-v2), and the Spearman correlation of each static model's cosine
similarities with the teacher's over random pairs of held-out texts and of stdlib docstring
sentences (the model card's existing figure). Writes ``train_eval.json`` beside the model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
RECIPE = {"matryoshka_dims": [256, 128, 64], "batch_size": 512, "epochs": 1, "lr": 0.01,
          "heldout": 0.02, "seed": 0}  # fmt: skip


def read_pairs(path: Path) -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return [r["query"] for r in rows], [r["document"] for r in rows]


def recall_at_10(q: np.ndarray, d: np.ndarray) -> float:
    q = q / (np.linalg.norm(q, axis=1, keepdims=True) + 1e-32)
    d = d / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-32)
    scores = q @ d.T
    own = scores[np.arange(len(q)), np.arange(len(q))]
    rank = (scores > own[:, None]).sum(1)
    return float((rank < 10).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--out", type=Path, default=Path("trained-default"))
    parser.add_argument("--eval-pairs", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-only", action="store_true", help="measure --out as it is")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from make_default_model import (
        _teacher,
        pair_similarities,
        spearman,
        stdlib_sentences,
        teacher_embeddings,
    )

    import fastpool

    distilled = fastpool.load()
    if not args.eval_only:
        import torch

        from fastpool.train.contrastive import train_contrastive

        torch.set_num_threads(args.threads)
        queries, documents = read_pairs(args.data / "train.jsonl")
        start = time.perf_counter()
        run = train_contrastive(queries, documents, model=distilled, quantize_to="float16",
                                n_threads=args.threads, **RECIPE)  # fmt: skip
        seconds = time.perf_counter() - start
        run.model.save_pretrained(args.out, model_name="fastpool-default")
        print(f"trained {run.history.steps} steps in {seconds:.0f} s; held-out MNRL "
              f"{run.history.heldout_loss}")  # fmt: skip
    trained = fastpool.load(args.out)

    queries, documents = read_pairs(args.data / "heldout.jsonl")
    sample = np.random.default_rng(0).permutation(len(queries))[: args.eval_pairs]
    q = [queries[i] for i in sample]
    d = [documents[i] for i in sample]
    teacher = _teacher(None)
    t_q, t_d = teacher_embeddings(teacher, q), teacher_embeddings(teacher, d)
    stdlib = stdlib_sentences()
    t_s = teacher_embeddings(teacher, stdlib)
    rng = np.random.default_rng(1)
    texts = q + d
    t_texts = np.concatenate([t_q, t_d])
    pairs = rng.integers(0, len(texts), (20000, 2))
    s_pairs = rng.integers(0, len(stdlib), (20000, 2))
    result: dict[str, dict[str, float]] = {"teacher": {"recall@10": recall_at_10(t_q, t_d)}}
    for name, model in (("distilled", distilled), ("trained", trained)):
        emb_q, emb_d = model.encode(q), model.encode(d)
        result[name] = {
            "recall@10": recall_at_10(emb_q, emb_d),
            "spearman_debian": spearman(pair_similarities(np.concatenate([emb_q, emb_d]), pairs),
                                        pair_similarities(t_texts, pairs)),
            "spearman_stdlib": spearman(pair_similarities(model.encode(stdlib), s_pairs),
                                        pair_similarities(t_s, s_pairs)),
        }  # fmt: skip
    result["setup"] = {"eval_pairs": len(q), "recipe": RECIPE}  # type: ignore[dict-item]
    (args.out / "train_eval.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
