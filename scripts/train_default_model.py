"""Make fastpool's bundled default model: all-MiniLM-L6-v2 distilled, then trained on real pairs.

    apt-get update -o Acquire::Languages=en          # root, once (see scripts/debian_pairs.py)
    python scripts/debian_pairs.py DATA              # DATA/train.jsonl, DATA/heldout.jsonl
    HF_HUB_OFFLINE=1 python scripts/train_default_model.py DATA [--out FOLDER] [--eval-only]

Recipe, two stages, nothing of any held-out split seen:

1. ``fastpool.distill`` of the teacher with ``make_default_model.RECIPE`` (PCA 256, SIF 1e-4,
   float32 forward pass) -- the model ``scripts/make_default_model.py`` makes, so this script
   starts from the same point whatever model is bundled when it runs;
2. the contrastive road (``fastpool.train.contrastive``: MNRL in-batch negatives inside
   Matryoshka 256/128/64; ``RECIPE``) on Debian's (synopsis, long description) training pairs
   plus the ``EXTRA_PAIRS`` docstring pairs (``--no-extra-pairs``: Debian's alone), with
   ``GEOMETRY["weight"]`` x the geometry term (the teacher's ranking of pairs, on the
   teacher's sentence embeddings of ``geometry_corpus``'s 12,288 Debian training texts,
   featurized once into ``DATA/geometry-features``), saved as ``DTYPE`` into ``--out``
   (default: the bundled folder; its LICENSE, the teacher's Apache-2.0 text, is kept).

Stage 1 is cached in ``DATA/stage1-pca<width>`` (the distillation is deterministic). The
``--width``/``--dtype``/``--dims``/``--geometry-weight``/``--no-extra-pairs`` flags are the
variants tried (docs/train.md lists them with their figures); the defaults are the recipe.

Measured against the distilled stage-1 model and the teacher, for the model card. Dev tasks
(``RECIPE`` was chosen on these):

- Debian held-out split (``--eval-pairs`` pairs, one per description): recall@10 and MRR@10
  of synopsis -> description retrieval, and Spearman of the static cosine similarities with
  the teacher's over random pairs of those texts;
- text that is not Debian's: Python standard-library docstrings of
  ``make_default_model.STDLIB_MODULES``. Retrieval of a docstring's body from its first
  sentence (recall@10, MRR@10), and the Spearman correlation with the teacher over random
  pairs of docstring first sentences (the distilled card's figure).

Test tasks (never used to choose anything; ``default_model_evals``): docstrings of other stdlib
modules (``test_docstrings``) and manual pages, NAME summary -> DESCRIPTION (``man_pages``,
when ``/usr/share/man/man1`` is there), with recall@10, MRR@10 and Spearman with the teacher.

Writes ``train_eval.json`` and README.md (the model card) into ``--out``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
OUT = ROOT / "src" / "fastpool" / "models" / "default"
RECIPE = {"matryoshka_dims": [256, 128, 64], "batch_size": 2048, "epochs": 4, "lr": 0.01,
          "scale": 10.0, "heldout": 0.02, "seed": 0}  # fmt: skip
# Stage 1's width (make_default_model's PCA, 256 there) and the saved table's dtype: the
# distilled baseline is always make_default_model's own recipe.
WIDTH = 256
DTYPE = "float16"
# The geometry term (fastpool.train.contrastive's geometry_*): weight 0 leaves it out.
GEOMETRY = {"weight": 1.0, "batch": 512}
# Extra real training pairs beside Debian's: (first sentence, rest) of the docstrings of the
# stdlib modules of default_model_evals' train half and of a few third-party libraries, none
# of whose texts is in a dev or test task, and (NAME summary, DESCRIPTION) of the man pages
# of sections 2-8 (no text of a section-1 page, the man-page test task's pool), and the
# docstrings of every installed third-party package (scripts/sitepackages_docstrings.py).
EXTRA_PAIRS = ["stdlib_train_docstrings", "thirdparty_docstrings", "other_man_sections",
               "sitepackages_docstrings"]  # fmt: skip

# The "more_thirdparty_docstrings" pairs' modules: the ML and packaging libraries beside torch.
MORE_THIRDPARTY = (
    "transformers.modeling_utils transformers.tokenization_utils_base transformers.trainer "
    "transformers.training_args transformers.pipelines huggingface_hub requests "
    "safetensors.numpy sentence_transformers tokenizers pyarrow.compute model2vec"
).split()


def read_pairs(path: Path) -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return [r["query"] for r in rows], [r["document"] for r in rows]


def retrieval(q: np.ndarray, d: np.ndarray) -> dict[str, float]:
    """recall@10 and MRR@10 of q[i] -> d[i] among all of d (cosine)."""
    q = q / (np.linalg.norm(q, axis=1, keepdims=True) + 1e-32)
    d = d / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-32)
    scores = q @ d.T
    own = scores[np.arange(len(q)), np.arange(len(q))]
    rank = (scores > own[:, None]).sum(1)
    return {
        "recall@10": float((rank < 10).mean()),
        "mrr@10": float(np.where(rank < 10, 1.0 / (rank + 1), 0.0).mean()),
    }


def docstring_pairs(modules: list[str], limit: int) -> tuple[list[str], list[str]]:
    """(first sentence, rest of the docstring) of public stdlib objects: a retrieval task on
    text the training never saw. One pair per distinct first sentence and per distinct body."""
    from default_model_evals import docstring_items, unique_pairs

    return unique_pairs(docstring_items(modules), set(), limit)


def extra_pairs(n_pairs: int, site_counts: dict[str, int] | None = None
                ) -> tuple[list[str], list[str]]:  # fmt: skip
    """The ``EXTRA_PAIRS`` training pairs; no text of them is in a dev or test task.

    ``site_counts``, when given, receives the pairs per installed package of
    ``sitepackages_docstrings`` (the installation decides them)."""
    from default_model_evals import (
        docstring_items,
        docstring_splits,
        thirdparty_pairs,
        unique_pairs,
    )
    from make_default_model import STDLIB_MODULES

    splits = docstring_splits(list(STDLIB_MODULES), n_pairs)
    dev = docstring_pairs(STDLIB_MODULES, n_pairs)
    # every docstring text of a dev, test or train split: no later pair may repeat one
    held = {t for pair in (dev, splits["test"], splits["train"]) for side in pair for t in side}
    queries: list[str] = []
    documents: list[str] = []
    if "stdlib_train_docstrings" in EXTRA_PAIRS:
        queries, documents = list(splits["train"][0]), list(splits["train"][1])
    if "thirdparty_docstrings" in EXTRA_PAIRS:
        tq, td = thirdparty_pairs(held)
        queries, documents = queries + tq, documents + td
    if "more_thirdparty_docstrings" in EXTRA_PAIRS:
        seen = held | set(queries) | set(documents)
        mq, md = unique_pairs(docstring_items(MORE_THIRDPARTY), seen, None)
        queries, documents = queries + mq, documents + md
    if "other_man_sections" in EXTRA_PAIRS:
        queries, documents = _add_man_sections(queries, documents)
    if "sitepackages_docstrings" in EXTRA_PAIRS:
        from sitepackages_docstrings import sitepackages_pairs

        seen = held | set(queries) | set(documents)
        sq, sd = sitepackages_pairs(seen, counts=site_counts)
        queries, documents = queries + sq, documents + sd
    return queries, documents


def _add_man_sections(queries: list[str], documents: list[str]) -> tuple[list[str], list[str]]:
    """(NAME summary, DESCRIPTION) of the man pages of sections 2-8 (system calls, library
    functions, file formats, overviews, administration); no text of any section-1 page (the
    man-page test task's pool) and none already in the pairs."""
    from default_model_evals import MAN1, manpage_pairs

    seen = {t for side in manpage_pairs(10**9) for t in side} | set(queries) | set(documents)
    for section in ("man2", "man3", "man4", "man5", "man6", "man7", "man8"):
        for q, d in zip(*manpage_pairs(10**9, MAN1.parent / section), strict=True):
            if q not in seen and d not in seen:
                queries, documents = queries + [q], documents + [d]
                seen.update((q, d))
    return queries, documents


def cached_teacher(teacher: Path, texts: list[str], cache: Path) -> np.ndarray:
    """Teacher embeddings, cached by a hash of the texts (the teacher is the slow part)."""
    from make_default_model import teacher_embeddings

    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = cache / f"teacher-{key}.npy"
    if path.is_file():
        return np.load(path)
    emb = teacher_embeddings(teacher, texts)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, emb)
    return emb


def stage1(teacher: Path, width: int, data: Path) -> Any:
    """make_default_model's distilled model at ``width`` columns, cached in ``DATA`` (the
    distillation is deterministic; it takes minutes)."""
    from make_default_model import RECIPE as DISTILL

    import fastpool

    cache = data / f"stage1-pca{width}"
    if not (cache / "model.safetensors").is_file():
        recipe = {**DISTILL, "pca_dims": width}
        model = fastpool.distill(teacher, show_progress_bar=False, **recipe)
        model.save_pretrained(cache, model_name="stage1")
    return fastpool.load(cache)


def evaluate(models: dict[str, Any], data: Path, n_pairs: int, teacher: Path) -> dict:
    """Dev figures (``debian``, ``stdlib_docstrings``: the recipe was tuned on them) and test
    figures (``test_docstrings``, ``man_pages``: never used to choose anything), see
    ``default_model_evals``; Spearman with the teacher on each."""
    from default_model_evals import docstring_splits, manpage_pairs
    from make_default_model import STDLIB_MODULES, pair_similarities, spearman, stdlib_sentences

    cache = data / "teacher-cache"
    queries, documents = read_pairs(data / "heldout.jsonl")
    sample = np.random.default_rng(0).permutation(len(queries))[:n_pairs]
    q, d = [queries[i] for i in sample], [documents[i] for i in sample]
    sq, sd = docstring_pairs(STDLIB_MODULES, n_pairs)
    sentences = stdlib_sentences()
    tasks = {"test_docstrings": docstring_splits(list(STDLIB_MODULES), n_pairs)["test"],
             "man_pages": manpage_pairs(n_pairs)}  # fmt: skip
    tasks = {name: pair for name, pair in tasks.items() if pair[0]}  # man pages may be absent
    named = [("q", q), ("d", d), ("sq", sq), ("sd", sd), ("s", sentences)]
    named += [(f"{name}-{side}", pair[i]) for name, pair in tasks.items() for i, side in
              enumerate("qd")]  # fmt: skip
    t = {name: cached_teacher(teacher, texts, cache) for name, texts in named}
    rng = np.random.default_rng(1)
    pairs = rng.integers(0, 2 * len(q), (20000, 2))
    s_pairs = rng.integers(0, len(sentences), (20000, 2))
    t_debian = pair_similarities(np.concatenate([t["q"], t["d"]]), pairs)
    t_stdlib = pair_similarities(t["s"], s_pairs)
    task_pairs = {name: np.random.default_rng(2).integers(0, 2 * len(pair[0]), (20000, 2))
                  for name, pair in tasks.items()}  # fmt: skip
    t_tasks = {name: pair_similarities(np.concatenate([t[f"{name}-q"], t[f"{name}-d"]]),
                                       task_pairs[name]) for name in tasks}  # fmt: skip
    result: dict[str, Any] = {
        "teacher": {
            "debian": retrieval(t["q"], t["d"]),
            "stdlib_docstrings": retrieval(t["sq"], t["sd"]),
            **{name: retrieval(t[f"{name}-q"], t[f"{name}-d"]) for name in tasks},
        }
    }  # fmt: skip
    for name, model in models.items():
        emb_q, emb_d = model.encode(q), model.encode(d)
        result[name] = {
            "debian": retrieval(emb_q, emb_d),
            "stdlib_docstrings": retrieval(model.encode(sq), model.encode(sd)),
            "spearman_debian": spearman(
                pair_similarities(np.concatenate([emb_q, emb_d]), pairs), t_debian
            ),
            "spearman_stdlib": spearman(
                pair_similarities(model.encode(sentences), s_pairs), t_stdlib
            ),
        }  # fmt: skip
        for task, (tq, td) in tasks.items():
            eq, ed = model.encode(tq), model.encode(td)
            result[name][task] = retrieval(eq, ed)
            result[name][f"spearman_{task}"] = spearman(
                pair_similarities(np.concatenate([eq, ed]), task_pairs[task]), t_tasks[task]
            )
    sizes = {f"{task}_pairs": len(pair[0]) for task, pair in tasks.items()}
    result["setup"] = {"debian_pairs": len(q), "docstring_pairs": len(sq),
                       "stdlib_sentences": len(sentences), "similarity_pairs": 20000,
                       **sizes}  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--teacher", default=None)
    parser.add_argument("--eval-pairs", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-only", action="store_true", help="measure --out as it is")
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"], help="tuning only")
    parser.add_argument("--lr", type=float, default=RECIPE["lr"], help="tuning only")
    parser.add_argument("--batch-size", type=int, default=RECIPE["batch_size"], help="tuning only")
    parser.add_argument("--scale", type=float, default=RECIPE["scale"], help="tuning only")
    parser.add_argument("--no-extra-pairs", action="store_true", help="Debian's pairs alone")
    parser.add_argument("--no-sitepackages", action="store_true", help="tuning only")
    parser.add_argument("--more-docstrings", action="store_true", help="tuning only")
    parser.add_argument("--width", type=int, default=WIDTH, help="tuning only")
    parser.add_argument("--dtype", default=DTYPE, help="tuning only")
    parser.add_argument("--dims", default=None, help="tuning only: Matryoshka, e.g. 384,256,128")
    parser.add_argument("--geometry-weight", type=float, default=GEOMETRY["weight"],
                        help="tuning only")  # fmt: skip
    args = parser.parse_args()
    RECIPE.update(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, scale=args.scale)
    if args.dims:
        RECIPE["matryoshka_dims"] = [int(d) for d in args.dims.split(",")]
    GEOMETRY["weight"] = args.geometry_weight
    if args.more_docstrings:
        EXTRA_PAIRS.append("more_thirdparty_docstrings")
    if args.no_sitepackages:
        EXTRA_PAIRS.remove("sitepackages_docstrings")
    if args.no_extra_pairs:
        EXTRA_PAIRS.clear()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import torch
    from make_default_model import RECIPE as DISTILL
    from make_default_model import TEACHER, _teacher

    import fastpool

    torch.set_num_threads(args.threads)
    teacher = _teacher(args.teacher)
    start = time.perf_counter()
    distilled = stage1(teacher, DISTILL["pca_dims"], args.data)
    start_model = (
        distilled if args.width == DISTILL["pca_dims"] else stage1(teacher, args.width, args.data)
    )
    distill_s = time.perf_counter() - start
    info: dict[str, Any] = {"stage1_seconds": round(distill_s), "threads": args.threads,
                            "width": args.width, "dtype": args.dtype,
                            "geometry": dict(GEOMETRY)}  # fmt: skip
    models: dict[str, Any] = {"distilled": distilled}
    previous = args.out / "train_eval.json"
    if args.eval_only and previous.is_file():  # keep the training run's own figures
        kept = json.loads(previous.read_text())["setup"]
        names = ("train_seconds", "steps", "train_pairs", "debian_train_pairs", "extra_pairs",
                 "sitepackages_pairs")  # fmt: skip
        info.update({k: kept[k] for k in names if k in kept})
    if not args.eval_only:
        from fastpool.train.contrastive import train_contrastive

        queries, documents = read_pairs(args.data / "train.jsonl")
        debian_pairs = len(queries)
        site_counts: dict[str, int] = {}
        extra_q, extra_d = extra_pairs(args.eval_pairs, site_counts) if EXTRA_PAIRS else ([], [])
        queries, documents = queries + extra_q, documents + extra_d
        geometry: dict[str, Any] = {}
        if GEOMETRY["weight"] > 0:
            from geometry_corpus import geometry_features

            g_texts, g_targets = geometry_features(args.data, teacher, args.threads)
            info["geometry"]["texts"] = len(g_texts)
            geometry = {"geometry_texts": g_texts, "geometry_targets": g_targets,
                        "geometry_weight": GEOMETRY["weight"],
                        "geometry_batch": GEOMETRY["batch"]}  # fmt: skip
        start = time.perf_counter()
        run = train_contrastive(queries, documents, model=start_model, quantize_to="float32",
                                n_threads=args.threads, **RECIPE, **geometry)  # fmt: skip
        from fastpool.quantization import quantize_model

        models["trained_float32"] = run.model  # what the dtype's rounding costs
        model = quantize_model(run.model, quantize_to=args.dtype)
        info.update(train_seconds=round(time.perf_counter() - start), steps=run.history.steps,
                    train_pairs=len(queries), debian_train_pairs=debian_pairs,
                    extra_pairs=EXTRA_PAIRS)  # fmt: skip
        if site_counts:
            info["sitepackages_pairs"] = site_counts
        args.out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(args.out, model_name="fastpool-default")
        config_path = args.out / "config.json"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config["tokenizer_name"] = TEACHER  # not the teacher's local folder name
        config_path.write_text(json.dumps(config, indent=4), encoding="utf-8")
        print(f"trained {run.history.steps} steps in {info['train_seconds']} s")
    trained = fastpool.load(args.out)
    models["trained"] = trained
    result = evaluate(models, args.data, args.eval_pairs, teacher)
    result["setup"].update(recipe=RECIPE, **info)
    (args.out / "train_eval.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "quality.json").unlink(missing_ok=True)  # the distilled-only figures
    from default_model_card import model_card

    card = model_card(trained, result, DISTILL, args.out)
    (args.out / "README.md").write_text(card, encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
