"""``fastpool train`` (both roads) and ``fastpool train-classifier``: JSONL in, a model folder out.

- ``fastpool train contrastive PAIRS.jsonl -o DIR``: rows ``{"query": ..., "positive": ...}``
  (``--query-column`` / ``--positive-column`` rename them; ``--negative-column negative``
  reads one hard negative per row too). ``--geometry FEATURES`` adds the
  geometry term on a ``featurize`` folder's texts and sentence embeddings
  (``--geometry-weight``, ``--geometry-batch``).
- ``fastpool train tokenlearn FEATURES -o DIR``: a folder written by
  ``fastpool.train.featurize`` (or ``--teacher T --texts FILE`` to featurize first, resumably,
  into FEATURES).
- ``fastpool train-classifier DATA.jsonl -o DIR``: rows ``{"text": ..., "label": ...}`` (a
  list of labels for multi-label).

Checkpoints go to ``DIR/checkpoints``; running the same command again after an interruption
(even ``kill -9``) resumes there. Bad data is one line naming the file, row and column.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ._errors import CLIError


def _jsonl(path: str) -> list[dict[str, Any]]:
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as err:
                        raise CLIError(f"{path}: row {n} is not JSON ({err.msg})") from None
    except FileNotFoundError:
        raise CLIError(f"{path}: no such file") from None
    return rows


def add_parsers(sub: Any, *, formatter: Any) -> None:
    p = sub.add_parser("train", help="train a static model (contrastive or tokenlearn road)",
                       description=__doc__, formatter_class=formatter)  # fmt: skip
    p.add_argument("road", choices=("contrastive", "tokenlearn"))
    p.add_argument("data", metavar="DATA", help="pairs JSONL (contrastive) or features folder")
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    p.add_argument("--model", default=None, help="start model folder (default: bundled)")
    p.add_argument("--random-init", action="store_true", help="contrastive: random table")
    p.add_argument("--dim", type=int, default=256, help="width of a random table")
    p.add_argument("--matryoshka-dims", default=None, help="comma-separated, e.g. 256,128,64")
    p.add_argument("--loss", default="cosine", help="tokenlearn: cosine, mse or contrastive")
    p.add_argument("--target", default="tokens", choices=("tokens", "sentence"))
    p.add_argument("--teacher", default=None, help="tokenlearn: featurize with this teacher")
    p.add_argument("--texts", default=None, help="tokenlearn: text file, one per line")
    p.add_argument("--geometry", default=None, metavar="FEATURES",
                   help="contrastive: keep the teacher's ranking of pairs on this featurize "
                        "folder's texts (its sentence embeddings)")  # fmt: skip
    p.add_argument("--geometry-weight", type=float, default=1.0)
    p.add_argument("--geometry-batch", type=int, default=512)
    p.add_argument("--query-column", default="query")
    p.add_argument("--positive-column", default="positive")
    p.add_argument("--negative-column", default=None,
                   help="contrastive: a column of one hard negative per row")  # fmt: skip
    for flag, kind in (("--epochs", int), ("--batch-size", int), ("--lr", float),
                       ("--heldout", float), ("--seed", int), ("--threads", int)):  # fmt: skip
        p.add_argument(flag, type=kind, default=argparse.SUPPRESS)
    p.add_argument("--quantize-to", default="float16")
    p.add_argument("-q", "--quiet", action="store_true")
    c = sub.add_parser("train-classifier", help="fit a classifier head on a static model",
                       description=__doc__, formatter_class=formatter)  # fmt: skip
    c.add_argument("data", metavar="DATA", help='JSONL rows {"text": ..., "label": ...}')
    c.add_argument("-o", "--output", required=True, metavar="DIR")
    c.add_argument("--model", default=None)
    c.add_argument("--hidden-dim", type=int, default=0, help="0: logistic; N: one ReLU layer")
    c.add_argument("--text-column", default="text")
    c.add_argument("--label-column", default="label")
    c.add_argument("--epochs", type=int, default=100)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("-q", "--quiet", action="store_true")


def _options(args: argparse.Namespace) -> dict[str, Any]:
    names = {"epochs": "epochs", "batch_size": "batch_size", "lr": "lr", "heldout": "heldout",
             "seed": "seed", "threads": "n_threads"}  # fmt: skip
    return {v: getattr(args, k) for k, v in names.items() if hasattr(args, k)}


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "train-classifier":
            return _classifier(args)
        return _train(args)
    except ImportError as err:
        raise CLIError(str(err)) from None
    except (ValueError, TypeError, FileNotFoundError) as err:
        raise CLIError(str(err)) from None


def _train(args: argparse.Namespace) -> int:
    out = Path(args.output)
    common = dict(model=args.model, checkpoint_dir=out / "checkpoints",
                  quantize_to=args.quantize_to, show_progress_bar=not args.quiet,
                  **_options(args))  # fmt: skip
    if args.road == "contrastive":
        from ..train._data import columns
        from ..train.contrastive import train_contrastive

        rows = _jsonl(args.data)
        names = [args.query_column, args.positive_column]
        names += [args.negative_column] if args.negative_column else []
        queries, positives, *negatives = columns(rows, names, args.data)
        dims = [int(d) for d in args.matryoshka_dims.split(",")] if args.matryoshka_dims else None
        run = train_contrastive(queries, positives, random_init=args.random_init, dim=args.dim,
                                matryoshka_dims=dims, negatives=negatives[0] if negatives else None,
                                **_geometry(args), **common)  # fmt: skip
    else:
        if args.geometry:
            raise CLIError("--geometry is a contrastive option (tokenlearn fits the targets)")
        if args.negative_column:
            raise CLIError("--negative-column is a contrastive option (tokenlearn has no pairs)")
        from ..train.featurize import featurize, load_features
        from ..train.fit import fit

        if args.teacher:
            if not args.texts:
                raise CLIError("--teacher needs --texts (the corpus to featurize)")
            with open(args.texts, encoding="utf-8") as f:
                corpus = [line.rstrip("\n") for line in f if line.strip()]
            featurize(args.teacher, corpus, args.data, show_progress_bar=not args.quiet)
        features = load_features(args.data)
        targets = features.tokens if args.target == "tokens" else features.sentence
        run = fit(features.texts, targets, loss=args.loss, **common)
    run.model.save_pretrained(out)
    if not args.quiet:
        h = run.history
        held = f", best held-out loss {h.best_heldout:.4f}" if h.heldout_loss else ""
        print(f"{out}: {h.steps} steps in {h.seconds:.0f} s{held}", file=sys.stderr)
    return 0


def _geometry(args: argparse.Namespace) -> dict[str, Any]:
    """train_contrastive's geometry arguments from --geometry FEATURES (none without it)."""
    if not args.geometry:
        return {}
    from ..train.featurize import load_features

    features = load_features(args.geometry)
    return {
        "geometry_texts": features.texts,
        "geometry_targets": features.sentence,
        "geometry_weight": args.geometry_weight,
        "geometry_batch": args.geometry_batch,
    }


def _classifier(args: argparse.Namespace) -> int:
    from ..train._data import columns
    from ..train.classifier import StaticClassifier

    rows = _jsonl(args.data)
    texts, labels = columns(rows, [args.text_column, args.label_column], args.data)
    clf = StaticClassifier.fit(texts, labels, model=args.model, hidden_dim=args.hidden_dim,
                               epochs=args.epochs, seed=args.seed)  # fmt: skip
    clf.save(args.output)
    if not args.quiet:
        kind = "multi-label" if clf.multilabel else "single-label"
        print(f"{args.output}: {len(clf.classes)} classes, {kind}", file=sys.stderr)
    return 0
