"""Training throughput (pairs/s): fastpool's contrastive road vs sentence-transformers'
``StaticEmbedding`` with the same loss (MNRL in Matryoshka), batch, data, start table, threads.

    HF_HUB_OFFLINE=1 python benchmarks/bench_train.py DATA/train.jsonl [--batch 512] [--steps 20]

Both loops are timed from the first step (tokenization included: sentence-transformers
tokenizes each batch, fastpool once up front, and that one-off cost is counted) after one
warm-up step each; the optimiser is Adam (sentence-transformers: ``torch.optim.Adam`` on its
dense table gradient; fastpool: lazy row Adam on its row-sparse one). fastpool is timed twice:
with its native row kernels (the default) and with the torch formulas they replace
(``fastpool.train._rows.USE_NATIVE = False``).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [json.loads(x) for x in open(args.data, encoding="utf-8")]
    n = args.batch * (args.steps + 1)
    q, p = [r["query"] for r in rows[:n]], [r["document"] for r in rows[:n]]
    dims = [256, 128, 64]

    import fastpool
    from fastpool._api import default_model_path
    from fastpool.train import _rows
    from fastpool.train._bag import StaticBag, rows_per_id, sparse_optimizer
    from fastpool.train._data import Tokenized
    from fastpool.train._losses import matryoshka

    model = fastpool.load()
    start = time.perf_counter()
    tq, tp = Tokenized(model, q), Tokenized(model, p)
    tok_s = time.perf_counter() - start

    def fastpool_pairs_s(native: bool) -> float:
        _rows.USE_NATIVE = native
        bag = StaticBag(rows_per_id(model))
        opt = sparse_optimizer(bag, 0.01)

        def fp_step(i: int) -> None:
            r = np.arange(i * args.batch, (i + 1) * args.batch)
            opt.zero_grad()
            matryoshka(bag(*tq.gather(r)), bag(*tp.gather(r)), dims).backward()
            opt.step()

        fp_step(0)
        start = time.perf_counter()
        for i in range(1, args.steps + 1):
            fp_step(i)
        seconds = time.perf_counter() - start + tok_s * args.steps / (args.steps + 1)
        return args.batch * args.steps / seconds

    fp_torch = fastpool_pairs_s(native=False)
    fp = fastpool_pairs_s(native=True)

    from sentence_transformers import SentenceTransformer
    from sentence_transformers.losses import MatryoshkaLoss, MultipleNegativesRankingLoss
    from sentence_transformers.models import StaticEmbedding

    emb = StaticEmbedding.from_model2vec(str(default_model_path()))
    emb.embedding.weight.data = torch.from_numpy(rows_per_id(model).copy())
    st = SentenceTransformer(modules=[emb], device="cpu")
    loss = MatryoshkaLoss(st, MultipleNegativesRankingLoss(st), dims)
    st_opt = torch.optim.Adam(st.parameters(), lr=0.01)

    def st_step(i: int) -> None:
        a = st.tokenize(q[i * args.batch : (i + 1) * args.batch])
        b = st.tokenize(p[i * args.batch : (i + 1) * args.batch])
        st_opt.zero_grad()
        loss([a, b], None).backward()
        st_opt.step()

    st_step(0)
    start = time.perf_counter()
    for i in range(1, args.steps + 1):
        st_step(i)
    sts = args.batch * args.steps / (time.perf_counter() - start)
    print(
        json.dumps(
            {
                "threads": args.threads,
                "batch": args.batch,
                "steps": args.steps,
                "fastpool_pairs_s": round(fp),
                "fastpool_torch_rows_pairs_s": round(fp_torch),
                "st_pairs_s": round(sts),
                "ratio": round(fp / sts, 2),
                "ratio_torch_rows": round(fp_torch / sts, 2),
                "fastpool_tokenize_s": round(tok_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
