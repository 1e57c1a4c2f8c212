"""``fastpool eval``: how much of a teacher's quality a static model keeps on the user's text.

On ``--sample`` texts drawn from the corpus (reservoir sampling: one pass,
constant memory, fixed by ``--seed``):

- **spearman**: Spearman correlation between the static and the teacher cosine
  similarities of ``--pairs`` random pairs of distinct texts;
- **recall_at_10**: for each text, the share of its 10 nearest neighbours under
  the teacher that are also among its 10 nearest under the static model;
- **speed**: texts/s of each model on the same texts (one warm-up call first);
- **disagreements**: the pairs whose similarity ranks differ most.

Several ``--model`` options compare models in one table: the corpus is sampled
once and the teacher encodes the sample once; each model is scored against the
same teacher vectors and pairs (one report per model, as for a single model).

The teacher is a local sentence-transformers folder, loaded lazily (torch is
only needed here).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from typing import Any

import numpy as np

from ..tokenizer.surrogates import without_surrogates as printable
from ._errors import CLIError
from ._model import load_model, resolve_model
from ._progress import Progress
from ._readers import open_source

INSTALL_HINT = (
    "fastpool eval needs torch and sentence-transformers for the teacher: "
    'pip install "fastpool[distill]" sentence-transformers'
)


def rank(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank (scipy.stats.rankdata's "average")."""
    values = np.asarray(values)
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], values.size]
    average = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho: Pearson correlation of the (tie-averaged) ranks; nan if one is constant."""
    ra, rb = rank(a), rank(b)
    ra -= ra.mean()
    rb -= rb.mean()
    denom = np.sqrt((ra @ ra) * (rb @ rb))
    return float(ra @ rb / denom) if denom > 0 else float("nan")


def reservoir(rows: Any, n: int, seed: int) -> list[str]:
    """``n`` texts drawn uniformly from the stream (all of them if it is shorter), in order."""
    rng = random.Random(seed)
    kept: list[tuple[int, str]] = []
    for i, text in enumerate(rows):
        if i < n:
            kept.append((i, text))
        else:
            j = rng.randrange(i + 1)
            if j < n:
                kept[j] = (i, text)
    return [text for _, text in sorted(kept)]


def sample_pairs(n: int, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` pairs (i, j), i < j, of distinct indices below ``n`` (all pairs if fewer)."""
    total = n * (n - 1) // 2
    rng = np.random.default_rng(seed)
    if count >= total:
        i, j = np.triu_indices(n, k=1)
        return i.astype(np.int64), j.astype(np.int64)
    flat = np.sort(rng.choice(total, size=count, replace=False))
    # Row i of the upper triangle starts at i*n - i*(i+1)/2; invert with a search.
    starts = np.arange(n) * n - np.arange(n) * (np.arange(n) + 1) // 2
    i = np.searchsorted(starts, flat, side="right") - 1
    j = flat - starts[i] + i + 1
    return i.astype(np.int64), j.astype(np.int64)


def recall_at_k(static: np.ndarray, teacher: np.ndarray, k: int) -> float:
    """Mean share of each text's k teacher neighbours found among its k static ones."""
    n = static.shape[0]
    k = min(k, n - 1)
    if k < 1:
        return float("nan")
    hits = 0
    for start in range(0, n, 1024):
        stop = min(start + 1024, n)
        neighbours = []
        for vectors in (static, teacher):
            sims = vectors[start:stop] @ vectors.T
            sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf
            neighbours.append(np.argpartition(-sims, k - 1, axis=1)[:, :k])
        for a, b in zip(*neighbours, strict=True):
            hits += np.intersect1d(a, b, assume_unique=True).size
    return hits / (n * k)


def _normalized(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-32)


def _timed(encode: Any, texts: list[str]) -> tuple[np.ndarray, float]:
    encode(texts[: min(len(texts), 8)])  # warm-up: lazy init, thread pools
    start = time.perf_counter()
    vectors = encode(texts)
    seconds = time.perf_counter() - start
    return _normalized(vectors), len(texts) / max(seconds, 1e-9)


def load_teacher(path: str) -> Any:
    """``SentenceTransformer(path)`` offline; CLIError with the install hint without torch."""
    if not os.path.isdir(path):
        raise CLIError(f"{path}: no such teacher folder (a local sentence-transformers model)")
    # Set in the CLI process only, never on import: no network, no load reports.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise CLIError(INSTALL_HINT) from None
    try:
        return SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception as err:  # noqa: BLE001 (any loader failure is a bad folder)
        raise CLIError(f"cannot load teacher {path}: {type(err).__name__}: {err}") from None


def _counted(rows: Any, progress: Progress) -> Any:
    for text in rows:
        progress.update(1)
        yield text


def _load_models(args: argparse.Namespace) -> list[tuple[str, Any]]:
    """(path, model) for each ``--model`` (the bundled default without one), all loaded
    before the corpus pass so that a bad path fails at once, named."""
    kwargs: dict[str, Any] = {}
    if args.max_length is not None:
        kwargs["max_length"] = None if args.max_length < 0 else args.max_length
    models = []
    for given in args.model or [None]:
        path = resolve_model(given)  # a folder or a hub id; load_model's errors name it
        models.append((path, load_model(path, **kwargs)))
    return models


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """The report as a dict (what ``--json`` prints): one model's, or with several
    ``--model`` the shared facts and a ``results`` list of per-model reports."""
    if not os.path.isdir(args.teacher):  # before the corpus pass, which may be long
        raise CLIError(
            f"{args.teacher}: no such teacher folder (a local sentence-transformers model)"
        )
    source = open_source(args.corpus, args.input_format, args.field)
    models = _load_models(args)
    quiet = getattr(args, "quiet", False)
    reading = Progress(total=source.total_rows, enabled=not quiet)
    try:
        texts = reservoir(_counted(source.rows(), reading), args.sample, args.seed)
    finally:
        reading.close()
    if len(texts) < 2:
        raise CLIError(f"{source.name}: need at least 2 texts to compare, got {len(texts)}")
    teacher = load_teacher(args.teacher)

    # The progress moves once per finished encode, outside the timed calls.
    encoding = Progress(total=len(texts) * (len(models) + 1), enabled=not quiet)
    try:
        teacher_vectors, teacher_tps = _timed(
            lambda t: teacher.encode(t, batch_size=args.batch_size, convert_to_numpy=True), texts
        )
        encoding.update(len(texts))
        i, j = sample_pairs(len(texts), args.pairs, args.seed)
        teacher_sims = np.einsum("ij,ij->i", teacher_vectors[i], teacher_vectors[j])
        reports = []
        for path, model in models:
            static, static_tps = _encode_static(model, texts, args, source.name)
            encoding.update(len(texts))
            report = _score(static, texts, teacher_vectors, (i, j), teacher_sims, args.show)
            report["static_texts_per_s"] = static_tps
            report["speed_ratio"] = static_tps / teacher_tps
            reports.append({"model": os.path.abspath(path), **report})
    finally:
        encoding.close()
    shared = {
        "teacher": os.path.abspath(args.teacher),
        "corpus": source.name,
        "n_texts": len(texts),
        "n_pairs": int(i.size),
        "seed": args.seed,
        "teacher_texts_per_s": teacher_tps,
    }
    if len(reports) == 1:  # the single-model report, as before several models were allowed
        one = reports[0]
        return {"model": one.pop("model"), **shared, **one}
    return {**shared, "results": reports}


def _encode_static(model: Any, texts: list[str], args: argparse.Namespace, name: str) -> Any:
    try:
        return _timed(lambda t: model.encode(t, n_threads=args.threads), texts)
    except UnicodeEncodeError:  # a lone surrogate, on a library without the U+FFFD rule
        raise CLIError(
            f"{name}: a sampled text holds a lone surrogate that this fastpool "
            "library cannot encode"
        ) from None


def _score(
    static: np.ndarray,
    texts: list[str],
    teacher_vectors: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray],
    teacher_sims: np.ndarray,
    show: int,
) -> dict[str, Any]:
    """spearman, recall_at_10 and disagreements of one model's vectors (keys in report order)."""
    i, j = pairs
    static_sims = np.einsum("ij,ij->i", static[i], static[j])
    static_ranks, teacher_ranks = rank(static_sims), rank(teacher_sims)
    gap = np.abs(static_ranks - teacher_ranks)
    disagreements: list[dict[str, Any]] = []
    seen: set[frozenset[str]] = set()
    for p in np.lexsort((np.arange(gap.size), -gap)):
        if len(disagreements) >= show:
            break
        key = frozenset((texts[i[p]], texts[j[p]]))
        if key in seen:  # a repeated text would show the same pair again
            continue
        seen.add(key)
        disagreements.append(
            {
                # JSONL texts may hold lone surrogates; stdout's UTF-8 cannot.
                "text_a": printable(texts[i[p]]),
                "text_b": printable(texts[j[p]]),
                "static_cosine": float(static_sims[p]),
                "teacher_cosine": float(teacher_sims[p]),
                "static_rank": float(static_ranks[p]),
                "teacher_rank": float(teacher_ranks[p]),
            }
        )
    return {
        "spearman": spearman(static_sims, teacher_sims),
        "recall_at_10": recall_at_k(static, teacher_vectors, 10),
        "disagreements": disagreements,
    }


def _clip(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def run(args: argparse.Namespace) -> int:
    report = evaluate(args)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    if "results" in report:
        _print_table(report, list(args.model))
        return 0
    print(f"static model   {report['model']}")
    print(f"teacher        {report['teacher']}")
    _print_corpus(report)
    print()
    print(f"spearman       {report['spearman']:.3f}   (static vs teacher cosine, over pairs)")
    print(f"recall@10      {report['recall_at_10']:.3f}   (teacher's nearest neighbours kept)")
    print(
        f"speed          {report['static_texts_per_s']:,.0f} vs "
        f"{report['teacher_texts_per_s']:,.0f} texts/s: "
        f"{report['speed_ratio']:,.1f}x faster"
    )
    if report["disagreements"]:
        print()
        print(
            f"largest disagreements (similarity rank among {report['n_pairs']:,} pairs, "
            "static vs teacher):"
        )
        for d in report["disagreements"]:
            print(
                f"  static {d['static_cosine']:+.3f} (rank {d['static_rank']:,.0f})  "
                f"teacher {d['teacher_cosine']:+.3f} (rank {d['teacher_rank']:,.0f})"
            )
            print(f"    a: {_clip(d['text_a'])}")
            print(f"    b: {_clip(d['text_b'])}")
    return 0


def _print_corpus(report: dict[str, Any]) -> None:
    print(
        f"corpus         {report['corpus']}: {report['n_texts']:,} texts, "
        f"{report['n_pairs']:,} pairs (seed {report['seed']})"
    )


def _print_table(report: dict[str, Any], names: list[str]) -> None:
    """One row per model, named as on the command line (the JSON has absolute paths)."""
    print(f"teacher        {report['teacher']} ({report['teacher_texts_per_s']:,.0f} texts/s)")
    _print_corpus(report)
    print()
    width = max(len("model"), *(len(n) for n in names))
    header = f"{'model':<{width}}  spearman  recall@10     texts/s  vs teacher"
    print(header)
    print("-" * len(header))
    for name, r in zip(names, report["results"], strict=True):
        print(
            f"{name:<{width}}  {r['spearman']:8.3f}  {r['recall_at_10']:9.3f}  "
            f"{r['static_texts_per_s']:10,.0f}  {r['speed_ratio']:9,.1f}x"
        )
