"""The bundled default model's card (README.md), from scripts/train_default_model.py's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sitepackages_docstrings import PER_PACKAGE

TEACHER = "sentence-transformers/all-MiniLM-L6-v2"


def _row(name: str, r: dict[str, Any]) -> str:
    deb, doc = r["debian"], r["stdlib_docstrings"]
    sp_d = f"{r['spearman_debian']:.3f}" if "spearman_debian" in r else "—"
    sp_s = f"{r['spearman_stdlib']:.3f}" if "spearman_stdlib" in r else "—"
    return (f"| {name} | {deb['recall@10']:.3f} | {deb['mrr@10']:.3f} | {doc['recall@10']:.3f} "
            f"| {doc['mrr@10']:.3f} | {sp_d} | {sp_s} |")  # fmt: skip


def _extra_text(setup: dict[str, Any]) -> str:
    total = setup.get("train_pairs", 0)
    extra = total - setup.get("debian_train_pairs", total)
    if not extra:
        return ""
    return (f", and {extra:,} extra pairs: (first sentence, rest) pairs of Python docstrings: "
            "the stdlib modules of the train half of `scripts/default_model_evals.py`'s split "
            "and a few third-party libraries (numpy, scipy, scikit-learn, pandas, torch), none "
            "of whose texts is in a dev or test task"
            + (", and (NAME summary, DESCRIPTION) pairs of the man pages of sections 2-8 (no "
               "text of a section-1 page, the man-page test task's pool)"
               if "other_man_sections" in setup.get("extra_pairs", []) else "")
            + (", and (first sentence, rest) pairs of the public functions, classes and methods "
               f"of every installed third-party package, at most {PER_PACKAGE:,} per package "
               "(`scripts/sitepackages_docstrings.py`)"
               if "sitepackages_docstrings" in setup.get("extra_pairs", []) else ""))  # fmt: skip


def _geometry_text(setup: dict[str, Any]) -> str:
    g = setup.get("geometry") or {}
    if not g.get("weight"):
        return ""
    return (
        f" Plus {g['weight']:g} x a geometry term that keeps the teacher's ranking of "
        "pairs: 1 - the per-row Pearson correlation of the model's in-batch cosine "
        "similarities with the teacher's (its sentence embeddings, "
        f"`fastpool.train.featurize`) over {g['batch']} texts per step of "
        f"{g.get('texts', 12288):,} Debian training texts (`scripts/geometry_corpus.py`)."
    )


def _test_row(name: str, r: dict[str, Any], tasks: list[str]) -> str:
    cells = []
    for task in tasks:
        cells += [f"{r[task]['recall@10']:.3f}", f"{r[task]['mrr@10']:.3f}"]
        sp = r.get(f"spearman_{task}")
        cells.append("—" if sp is None else f"{sp:.3f}")
    return f"| {name} | " + " | ".join(cells) + " |"


TEST_NAMES = {"test_docstrings": "test docstrings", "man_pages": "man pages"}


def _test_section(result: dict[str, Any]) -> list[str]:
    """The figures on the tasks the recipe was never tuned on (absent in older runs)."""
    d, t = result["distilled"], result["trained"]
    tasks = [task for task in TEST_NAMES if task in t]
    if not tasks:
        return []
    setup = result["setup"]
    head = " | ".join(
        f"{TEST_NAMES[k]} recall@10 | {TEST_NAMES[k]} MRR@10 | Spearman" for k in tasks
    )
    gains = ", ".join(
        f"{t[k]['recall@10'] / d[k]['recall@10'] - 1:+.1%} on the {TEST_NAMES[k]}" for k in tasks
    )
    sizes = ", ".join(f"{setup.get(f'{k}_pairs', '?'):,} {TEST_NAMES[k]} pairs" for k in tasks)
    return [
        "**Test tasks** (never used to choose anything in the recipe; "
        "`scripts/default_model_evals.py`): docstrings of the standard-library modules of "
        "the test half of a hash split of the modules not above (first sentence -> rest), "
        "and the system's manual pages (`/usr/share/man/man1`, the NAME line's summary -> "
        f"the DESCRIPTION section) -- {sizes}; Spearman over 20,000 random pairs of each "
        "task's texts.",
        "",
        f"| model | {head} |",
        "|---|" + "---|" * (3 * len(tasks)),
        _test_row("teacher (all-MiniLM-L6-v2)", result["teacher"], tasks),
        _test_row("stage 1 (distilled)", d, tasks),
        _test_row("**this model**", t, tasks),
        "",
        f"Relative recall@10 gain over the distilled stage: {gains}.",
        "",
    ]


def model_card(model: Any, result: dict[str, Any], distill: dict[str, Any], out: Path) -> str:
    setup = result["setup"]
    recipe = setup["recipe"]
    n, dim = model.table.shape
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file() and p.name != "README.md")
    dims = "/".join(str(d) for d in recipe["matryoshka_dims"])
    held = round(setup.get("train_pairs", 0) * recipe["heldout"])
    trained_pairs = setup.get("train_pairs", 0) - held
    debian = setup.get("debian_train_pairs", setup.get("train_pairs", 0))
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
        f"folder too (a plain {model.table.dtype.name} table: the learned token weights are "
        "folded into the rows).",
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
        f"MultipleNegativesRankingLoss with in-batch negatives (scale {recipe.get('scale', 20)}) "
        f"inside a Matryoshka loss over the prefixes {dims}, lazy Adam on the rows each step "
        f"touches, and one learned weight per token. Data: {debian:,} English Debian package "
        "(synopsis, long description) pairs from apt's `Translation-en` files "
        f"(`scripts/debian_pairs.py`; a held-out split of whole description groups, about 10%, "
        f"never seen){_extra_text(setup)}; {trained_pairs:,} of all of them trained on, "
        f"{held:,} kept out for the loss.{_geometry_text(setup)} "
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
        "description group. **stdlib docstrings**: "
        f"{setup['docstring_pairs']:,} (first sentence -> rest of the docstring) pairs of "
        "public objects of Python standard-library modules whose docstrings no training pair "
        "holds. **Spearman**: correlation of the "
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
        f"{gain_doc:+.1%} on the docstrings (the dev tasks: the recipe's settings were "
        "chosen on them). `train_eval.json` beside this card holds the figures; "
        "`scripts/train_default_model.py DATA --eval-only` re-measures them.",
        "",
        *_test_section(result),
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
