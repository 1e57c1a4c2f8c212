"""``fastpool distill``: a thin wrapper over :func:`fastpool.distill` (imported lazily).

Only the options given on the command line are passed on, so ``fastpool.distill``'s own
defaults apply (and ``--help`` shows them, read from its signature; importing
``fastpool.distill`` does not import torch). The library checks the values.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

from . import _numbers
from ._errors import CLIError

# (flag, keyword of fastpool.distill, value parser, metavar, help)
_OPTIONS = [
    (
        "--pca-dims",
        "pca_dims",
        "pca",
        "D",
        "output dim: an int, a variance share in (0, 1), 'auto' (all components) or 'none'",
    ),
    ("--sif-coefficient", "sif_coefficient", "sif", "A", "SIF weight a / (a + p); 0 for none"),
    (
        "--token-remove-pattern",
        "token_remove_pattern",
        "pattern",
        "RE",
        "drop vocabulary tokens matching this regex; '' keeps all",
    ),
    (
        "--pooling",
        "pooling",
        "str",
        "MODE",
        "how a token's forward pass becomes one vector: mean, first, last or pooler",
    ),
    (
        "--quantize-to",
        "quantize_to",
        "str",
        "DTYPE",
        "table dtype: float16, float32, float64 or int8",
    ),
    (
        "--batch-size",
        "batch_size",
        "int",
        "N",
        "sequences per forward pass (default: 256 per torch thread on CPU, 4096 on GPU)",
    ),
    (
        "--forward-dtype",
        "forward_dtype",
        "str",
        "DTYPE",
        "precision of the teacher's forward pass: auto (default), float32, bf16-matmul or "
        "bfloat16 (see `help(fastpool.distill)`)",
    ),
    ("--device", "device", "str", "DEVICE", "torch device (default: cuda if available, else cpu)"),
    (
        "--vocabulary-quantization",
        "vocabulary_quantization",
        "int",
        "K",
        "cluster the token rows into K rows with k-means (needs scikit-learn)",
    ),
]


def pca_dims(value: str) -> int | float | str | None:
    """``--pca-dims``: an int from 1, a float in (0, 1), ``auto`` or ``none``.

    Checked here (the library checks too, but only once torch has been imported) so
    that ``10**30`` or ``nan`` is a usage error, not a traceback from PCA.
    """
    lowered = value.strip().lower()
    if lowered == "none":
        return None
    if lowered == "auto":
        return "auto"
    try:
        int(value)
    except ValueError:
        what = "an int from 1, a float in (0, 1), 'auto' or 'none'"
        return _numbers.open_unit_float(value, what)
    return _numbers.positive_int(value)


def _sif(value: str) -> float | None:
    """``--sif-coefficient``: a float in (0, 1), or 0 for none (the library's range)."""
    try:
        if float(value) == 0:
            return None
    except ValueError:
        pass
    return _numbers.open_unit_float(value, "a number in (0, 1), or 0 for none")


def _library_defaults() -> dict[str, Any]:
    try:
        from ..distill import distill
    except ImportError:
        return {}
    params = inspect.signature(distill).parameters
    return {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}


def add_parser(sub: Any, *, wrap: Callable[[str], str], formatter: Any) -> Any:
    """Add the ``distill`` subcommand to ``sub`` (argparse subparsers)."""
    p = sub.add_parser(
        "distill",
        help="distill a static model from a sentence-transformers teacher",
        description=wrap(
            "Make a static model from a local sentence-transformers or transformers folder "
            "(model2vec's recipe) with fastpool.distill and save it to DIR. Needs torch and "
            "transformers."
        ),
        epilog='install:\n  pip install "fastpool[distill]"\n\nexample:\n'
        "  fastpool distill ./all-MiniLM-L6-v2 -o ./m --pca-dims 256 --quantize-to float16",
        formatter_class=formatter,
    )
    p.add_argument("teacher", metavar="TEACHER", help="local teacher model folder")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output model folder")
    types = {
        "pca": pca_dims,
        "sif": _sif,
        "pattern": lambda v: v or None,
        "str": str,
        "int": _numbers.positive_int,
    }
    defaults = _library_defaults()
    for flag, key, kind, metavar, text in _OPTIONS:
        if defaults.get(key) is not None:
            text += f" (default: {defaults[key]})"
        p.add_argument(
            flag,
            dest=key,
            type=types[kind],
            default=argparse.SUPPRESS,
            metavar=metavar,
            help=text.replace("%", "%%"),
        )
    p.add_argument("--vocabulary", metavar="FILE",
                   help="words to add to the teacher's vocabulary, one entry per line")  # fmt: skip
    p.add_argument("--vocabulary-from-corpus", metavar="FILE",
                   help="count the words to add from this UTF-8 corpus")  # fmt: skip
    p.add_argument("--vocabulary-size", type=_numbers.positive_int, metavar="N",
                   help="with --vocabulary-from-corpus: the N most frequent words")  # fmt: skip
    p.add_argument("--min-count", type=_numbers.positive_int, default=1, metavar="M",
                   help="with --vocabulary-from-corpus: words seen at least M times")  # fmt: skip
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty DIR")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    return p


def _vocabulary(args: argparse.Namespace, library: Any) -> list[str] | None:
    if args.vocabulary and args.vocabulary_from_corpus:
        raise CLIError("give --vocabulary or --vocabulary-from-corpus, not both")
    try:
        if args.vocabulary:
            with open(args.vocabulary, encoding="utf-8") as f:
                return [line.rstrip("\r\n") for line in f if line.strip()]
        if args.vocabulary_from_corpus:
            return list(library.count_vocabulary(
                args.vocabulary_from_corpus, top_n=args.vocabulary_size,
                min_count=args.min_count,
            ))  # fmt: skip
    except (OSError, UnicodeDecodeError) as err:
        raise CLIError(f"cannot read the vocabulary: {err}") from None
    return None


def run(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.teacher):
        raise CLIError(f"{args.teacher}: no such teacher folder (fastpool never downloads)")
    if os.path.isdir(args.output) and os.listdir(args.output) and not args.overwrite:
        raise CLIError(f"{args.output}: exists and is not empty; pass --overwrite to write there")
    import importlib

    # The module, not the attribute: ``fastpool.distill`` may be re-exported as the function.
    library = importlib.import_module("fastpool.distill")
    kwargs = {key: getattr(args, key) for _, key, *_ in _OPTIONS if hasattr(args, key)}
    words = _vocabulary(args, library)
    if words is not None:
        kwargs["vocabulary"] = words
    try:
        model = library.distill(args.teacher, show_progress_bar=not args.quiet, **kwargs)
    except ImportError as err:
        raise CLIError(str(err)) from None
    except (FileNotFoundError, ValueError, TypeError) as err:
        raise CLIError(str(err)) from None
    path = model.save_pretrained(args.output)
    if not args.quiet:
        from ._info import describe

        facts = describe(str(path or args.output))
        print(
            f"{path or args.output}: {facts['vocab_size']:,} tokens x {facts['dim']} "
            f"{facts['dtype']}",
            file=sys.stderr,
        )
    return 0
