"""The bundled default model's card (README.md), from scripts/train_default_model.py's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TEACHER = "sentence-transformers/all-MiniLM-L6-v2"


def _row(name: str, r: dict[str, Any]) -> str:
    deb, doc = r["debian"], r["stdlib_docstrings"]
    sp_d = f"{r['spearman_debian']:.3f}" if "spearman_debian" in r else "—"
    sp_s = f"{r['spearman_stdlib']:.3f}" if "spearman_stdlib" in r else "—"
    return (f"| {name} | {deb['recall@10']:.3f} | {deb['mrr@10']:.3f} | {doc['recall@10']:.3f} "
            f"| {doc['mrr@10']:.3f} | {sp_d} | {sp_s} |")  # fmt: skip


def model_card(model: Any, result: dict[str, Any], distill: dict[str, Any], out: Path) -> str:
    setup = result["setup"]
    recipe = setup["recipe"]
    n, dim = model.table.shape
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file() and p.name != "README.md")
    dims = "/".join(str(d) for d in recipe["matryoshka_dims"])
    held = round(setup.get("train_pairs", 0) * recipe["heldout"])
    trained_pairs = setup.get("train_pairs", 0) - held
    distill_args = "\n".join(f"| `{k}` | `{v!r}` |" for k, v in distill.items())
    train_args = "\n".join(f"| `{k}` | `{v!r}` |" for k, v in recipe.items())
    d, t = result["distilled"], result["trained"]
    gain = t["debian"]["recall@10"] / d["debian"]["recall@10"] - 1
    gain_doc = t["stdlib_docstrings"]["recall@10"] / d["stdlib_docstrings"]["recall@10"] - 1
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
        f"Static embeddings made from [{TEACHER}](https://huggingface.co/{TEACHER}) in two "
        "stages: distilled by `fastpool.distill` (model2vec 0.10's recipe), then trained on the "
        "contrastive road of `fastpool.train` on real (query, document) pairs. "
        "`fastpool.load()` with no path loads it; model2vec and sentence-transformers load the "
        "folder too (a plain float16 table: the learned token weights are folded into the rows).",
        "",
        "## Recipe",
        "",
        "**Stage 1, distillation.** Every token of the teacher's WordPiece vocabulary, minus its "
        "added tokens other than `[PAD]`/`[UNK]` and the `[unused*]` tokens, goes through the "
        "teacher as `[CLS] token [SEP]`; the attention-masked mean of the last hidden states is "
        "its vector. The vectors are reduced by PCA and weighted by SIF with Zipf-rank "
        "frequencies (`scripts/make_default_model.py` makes this stage alone).",
        "",
        "| argument | value |",
        "|---|---|",
        distill_args,
        "",
        "**Stage 2, contrastive training** (`fastpool.train.contrastive.train_contrastive`): "
        "MultipleNegativesRankingLoss with in-batch negatives (scale 20) inside a Matryoshka "
        f"loss over the prefixes {dims}, lazy Adam on the rows each step touches, and one "
        f"learned weight per token. Data: {trained_pairs:,} English Debian package "
        "(synopsis, long description) pairs from apt's `Translation-en` files "
        f"(`scripts/debian_pairs.py`; {held:,} more kept out for the loss, and a held-out "
        "split of whole description groups, about 10%, never seen). "
        f"{setup.get('steps', '?')} steps, {setup.get('train_seconds', '?')} s at "
        f"{setup['threads']} threads.",
        "",
        "| argument | value |",
        "|---|---|",
        train_args,
        "",
        "Re-make it (both stages, a few minutes at 2 threads; the data needs `apt-get update -o "
        "Acquire::Languages=en` once, as root):",
        "",
        "```",
        "python scripts/debian_pairs.py DATA",
        "HF_HUB_OFFLINE=1 python scripts/train_default_model.py DATA",
        "```",
        "",
        "## Size",
        "",
        f"{n:,} tokens x {dim} dimensions, `{model.table.dtype.name}`: "
        f"{size / 1e6:.1f} MB on disk without this card ({size:,} bytes).",
        "",
        "## Measured quality",
        "",
        "Retrieval: each query against all the documents of its set, by cosine. **Debian**: "
        f"{setup['debian_pairs']:,} held-out (synopsis -> long description) pairs, one per "
        "description group. **stdlib docstrings**: text unlike the training data, "
        f"{setup['docstring_pairs']:,} (first sentence -> rest of the docstring) pairs of "
        "public objects of Python standard-library modules. **Spearman**: correlation of the "
        "model's cosine similarities with the teacher's over "
        f"{setup['similarity_pairs']:,} random pairs of the Debian held-out texts, and of "
        f"{setup['stdlib_sentences']:,} first sentences of stdlib docstrings.",
        "",
        "| model | Debian recall@10 | Debian MRR@10 | docstrings recall@10 | docstrings MRR@10 "
        "| Spearman Debian | Spearman stdlib |",
        "|---|---|---|---|---|---|---|",
        _row("teacher (all-MiniLM-L6-v2)", result["teacher"]),
        _row("stage 1 (distilled)", d),
        _row("**this model**", t),
        "",
        f"Relative recall@10 gain over the distilled stage: {gain:+.1%} on Debian, "
        f"{gain_doc:+.1%} on the docstrings. `train_eval.json` beside this card holds the "
        "figures; `scripts/train_default_model.py DATA --eval-only` re-measures them.",
        "",
        "## License",
        "",
        "The teacher, all-MiniLM-L6-v2, is Copyright the sentence-transformers authors and is "
        "licensed under the Apache License 2.0; this model is derived from its weights and "
        "tokenizer and is distributed under the same license (see LICENSE in this folder). "
        "Changes: the teacher's token embeddings were recomputed and reduced as described "
        "above, then trained on Debian package descriptions, and its tokenizer's vocabulary "
        "was pruned.",
        "",
    ]
    return "\n".join(lines)
