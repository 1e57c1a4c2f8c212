"""Whole training runs against model2vec 0.10's own trainers (``model2vec.train``), both roads:
texts/s (or pairs/s) of one ``fit`` call each, end to end, on the same data, batch size,
held-out fraction, start model (the bundled default) and threads.

    HF_HUB_OFFLINE=1 python benchmarks/bench_m2v_trainer.py FEATURES PAIRS.jsonl [--threads 1]

FEATURES: a ``fastpool.train.featurize`` folder (its complete chunks are read: texts and the
teacher's sentence vectors); PAIRS.jsonl: ``{"query", "document"}`` rows
(``scripts/debian_pairs.py``). model2vec's trainers need ``datasets`` (``model2vec[train]``).

- tokenlearn road: ``fastpool.train.fit.fit(loss="cosine")`` (targets PCA'd to the table's
  width, lazy row Adam) against ``StaticModelForSimilarity.fit`` (a linear head onto the raw
  targets, cosine loss, dense Adam over the table). One epoch each, no early stopping.
- contrastive road: ``train_contrastive`` (MNRL, one Matryoshka dimension: the full width)
  against ``StaticModelForPairSimilarity.fit`` (InfoNCE with in-batch negatives). One epoch.

Each run includes its own tokenization, split and held-out evaluation, as a user's call does;
model2vec tokenizes per batch, fastpool once up front. torch's one-off import of its
compiler on the first optimizer is paid before either side is timed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch


def _features(folder: Path, limit: int) -> tuple[list[str], np.ndarray]:
    texts: list[str] = []
    vectors = []
    for chunk in sorted(folder.glob("chunk-*.npz")):
        with np.load(chunk) as z:
            blob, offsets = z["text_bytes"].tobytes(), z["text_offsets"]
            texts += [blob[a:b].decode("utf-8", "surrogatepass") for a, b in
                      zip(offsets[:-1], offsets[1:], strict=True)]  # fmt: skip
            vectors.append(z["sentence"])
        if len(texts) >= limit:
            break
    return texts[:limit], np.concatenate(vectors)[:limit]


def _timed(run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("features", type=Path)
    parser.add_argument("pairs", type=Path)
    parser.add_argument("--texts", type=int, default=8192)
    parser.add_argument("--pairs-count", type=int, default=16384)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--pair-batch", type=int, default=512)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from model2vec import StaticModel as M2VModel
    from model2vec.train import StaticModelForPairSimilarity, StaticModelForSimilarity

    import fastpool
    from fastpool._api import default_model_path
    from fastpool.train.contrastive import train_contrastive
    from fastpool.train.fit import fit

    texts, y = _features(args.features, args.texts)
    rows = [json.loads(x) for x in args.pairs.open(encoding="utf-8")][: args.pairs_count]
    queries, docs = [r["query"] for r in rows], [r["document"] for r in rows]
    # torch imports torch._dynamo on the first optimizer a process builds (seconds under
    # load): pay it here so it falls on neither side.
    torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])
    model = fastpool.load()
    m2v = M2VModel.from_pretrained(str(default_model_path()))
    common = {"show_progress_bar": False, "patience": None, "n_threads": args.threads}

    results: dict[str, object] = {"threads": args.threads, "texts": len(texts),
                                  "pairs": len(queries)}  # fmt: skip
    fp_fit = _timed(lambda: fit(texts, y, model=model, loss="cosine", epochs=1,
                                batch_size=args.batch, heldout=0.1, **common))  # fmt: skip
    sim = StaticModelForSimilarity.from_static_model(model=m2v, n_layers=0)
    m2v_fit = _timed(lambda: sim.fit(texts, torch.from_numpy(y), batch_size=args.batch,
                                     min_epochs=1, max_epochs=1, early_stopping_patience=None,
                                     test_size=0.1, device="cpu"))  # fmt: skip
    results["tokenlearn"] = {"fastpool_texts_s": round(len(texts) / fp_fit),
                             "model2vec_texts_s": round(len(texts) / m2v_fit),
                             "ratio": round(m2v_fit / fp_fit, 2)}  # fmt: skip

    fp_pairs = _timed(lambda: train_contrastive(queries, docs, model=model, epochs=1,
                                                batch_size=args.pair_batch, heldout=0.1,
                                                **common))  # fmt: skip
    pair = StaticModelForPairSimilarity.from_static_model(model=m2v)
    m2v_pairs = _timed(lambda: pair.fit(queries, docs, batch_size=args.pair_batch,
                                        min_epochs=1, max_epochs=1,
                                        early_stopping_patience=None, test_size=0.1,
                                        device="cpu"))  # fmt: skip
    results["contrastive"] = {"fastpool_pairs_s": round(len(queries) / fp_pairs),
                              "model2vec_pairs_s": round(len(queries) / m2v_pairs),
                              "ratio": round(m2v_pairs / fp_pairs, 2)}  # fmt: skip
    print(json.dumps(results))


if __name__ == "__main__":
    main()
