"""Training throughput (texts/s) on the tokenlearn road: fastpool's ``fit`` step vs the
``tokenlearn`` package's (model2vec's pre-training trainer, 0.2.1) on the same texts and
teacher targets, start table, batch size and threads.

    HF_HUB_OFFLINE=1 python benchmarks/bench_tokenlearn.py FEATURES/chunk-00000.npz [--batch 256]

FEATURES is a ``fastpool.train.featurize`` folder (texts + the teacher's sentence vectors).
Each side is timed over ``--steps`` steps after one warm-up step, its own one-off tokenization
counted in (tokenlearn tokenizes the corpus when its dataset is built, fastpool once up front).
The losses are each project's own: tokenlearn regresses a linear map of the mean onto the
raw targets with MSE and AdamW over the dense table; fastpool regresses the mean onto the
targets reduced by PCA to the table's width (``fit(loss="mse")``) with lazy row Adam.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("chunk")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with np.load(args.chunk) as z:
        blob, offs, targets = z["text_bytes"].tobytes(), z["text_offsets"], z["sentence"]
    n = min(len(offs) - 1, args.batch * (args.steps + 1))
    texts = [blob[offs[i] : offs[i + 1]].decode("utf-8", "surrogatepass") for i in range(n)]
    y = targets[:n]

    import fastpool
    from fastpool.train._bag import StaticBag, rows_per_id, sparse_optimizer
    from fastpool.train._data import Tokenized
    from fastpool.train._losses import regression
    from fastpool.train.fit import pca_targets

    model = fastpool.load()
    start = time.perf_counter()
    data = Tokenized(model, texts)
    bag = StaticBag(rows_per_id(model))
    target = torch.from_numpy(pca_targets(y, bag.dim, np.arange(n)))
    setup_s = time.perf_counter() - start
    opt = sparse_optimizer(bag, 1e-3)

    def fp_step(i: int) -> None:
        r = np.arange(i * args.batch, (i + 1) * args.batch)
        opt.zero_grad()
        regression("mse", bag(*data.gather(r)), target[torch.from_numpy(r)]).backward()
        opt.step()

    fp_step(0)
    start = time.perf_counter()
    for i in range(1, args.steps + 1):
        fp_step(i)
    fp = (
        args.batch
        * args.steps
        / (time.perf_counter() - start + setup_s * args.steps / (args.steps + 1))
    )

    from model2vec import StaticModel
    from tokenlearn.pretrain import StaticModelFineTuner, TextDataset

    from fastpool._api import default_model_path

    m2v = StaticModel.from_pretrained(str(default_model_path()))
    start = time.perf_counter()
    dataset = TextDataset(texts, torch.from_numpy(y), m2v.tokenizer)
    tune = StaticModelFineTuner(
        torch.from_numpy(m2v.embedding.astype(np.float32)), out_dim=y.shape[1],
        pad_id=m2v.tokenizer.token_to_id("[PAD]"),
    )  # fmt: skip
    tl_setup_s = time.perf_counter() - start
    tl_opt = torch.optim.AdamW(tune.parameters(), lr=1e-3)
    batches = list(dataset.to_dataloader(shuffle=False, batch_size=args.batch))
    mse = torch.nn.MSELoss()

    def tl_step(i: int) -> None:
        x, target_i = batches[i]
        tl_opt.zero_grad()
        mse(tune(x)[0], target_i).backward()
        tl_opt.step()

    tl_step(0)
    start = time.perf_counter()
    for i in range(1, args.steps + 1):
        tl_step(i)
    tl = (
        args.batch
        * args.steps
        / (time.perf_counter() - start + tl_setup_s * args.steps / (args.steps + 1))
    )
    print(json.dumps({"threads": args.threads, "batch": args.batch, "steps": args.steps,
                      "fastpool_texts_s": round(fp), "tokenlearn_texts_s": round(tl),
                      "ratio": round(fp / tl, 2)}))  # fmt: skip


if __name__ == "__main__":
    main()
