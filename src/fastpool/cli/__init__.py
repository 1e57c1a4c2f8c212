"""The ``fastpool`` command line: ``encode``, ``search``, ``info``, ``eval`` and ``distill``.

``main(argv)`` parses and dispatches; each subcommand lives in its own module,
imported only when it runs (so ``fastpool --help`` never imports torch). Every
user-fixable problem is one line on stderr and exit status 2; argparse usage
errors also exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Sequence

from .._checks import TokenizerFailure
from . import _numbers
from ._errors import CLIError
from ._readers import FORMATS
from ._writers import OUTPUT_FORMATS

__all__ = ["CLIError", "build_parser", "main"]

_EPILOG = """\
examples:
  fastpool encode docs.txt -o docs.emb --model ./my-model
  fastpool encode reviews.parquet --field body --format parquet -o reviews.emb --model ./m
  cat notes.jsonl | fastpool encode - --input-format jsonl -o notes.emb --model ./m
  fastpool search docs.txt "how do I reset my password" -k 5 --model ./m
  fastpool info ./m
  fastpool eval --model ./m --teacher ./all-MiniLM-L6-v2 docs.txt
  fastpool distill ./all-MiniLM-L6-v2 -o ./m --pca-dims 256

Run `fastpool COMMAND --help` for a command's options. See docs/cli.md.
"""

_ENCODE_EPILOG = """\
output:
  OUT is a directory: part-00000.npy, part-00001.npy, ... (or .parquet), each
  holding --part-size consecutive rows in input order, plus _manifest.json.
  npy parts are float32 (rows, dim) arrays; parquet parts have an int64 `id`
  column (the row's index in the input, from 0) and a fixed-size-list float32
  `embedding` column. Load them with
    numpy:   np.concatenate([np.load(p) for p in sorted(glob("OUT/part-*.npy"))])
    pyarrow: pyarrow.parquet.read_table("OUT")

resume:
  Every part is written to a temporary name, fsynced, then renamed, and only
  then recorded in the manifest, so no file under a final name is ever partial.
  Run the same command again after an interruption (Ctrl-C, kill -9, power
  loss) and it goes on from the last recorded part; the result is identical
  to an uninterrupted run. The arguments (except --batch-size, --threads and
  --quiet), the model files (SHA-256) and the input (size, mtime, and a SHA-256
  of each finished part's input, checked on resume) must be unchanged, else it
  stops with an error naming what changed; --overwrite starts again. stdin and
  other streams (a FIFO, /dev/stdin, <(...)) are read once and cannot resume.

examples:
  fastpool encode docs.txt -o docs.emb --model ./m
  fastpool encode data.csv --field text --format parquet -o data.emb --model ./m
  zcat big.txt.gz | fastpool encode - -o big.emb --model ./m
"""


def _wrap(text: str) -> str:
    """Wrap a description: the raw formatter (kept for the examples) does not."""
    return textwrap.fill(text, width=80)


def _model_help() -> str:
    from ._model import default_model_path

    bundled = default_model_path()
    where = f"default: the bundled model at {bundled}" if bundled else "required in this build"
    return f"static model folder (Model2Vec or sentence-transformers layout; {where})"


def _input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--field",
        metavar="F",
        help="JSONL key / CSV or Parquet column holding the text (default: 'text', or the "
        "only column)",
    )
    p.add_argument(
        "--input-format",
        choices=FORMATS,
        metavar="{" + ",".join(FORMATS) + "}",
        help="override the format guessed from the extension (.txt .jsonl .ndjson .csv "
        ".parquet); stdin defaults to text",
    )


def _model_options(p: argparse.ArgumentParser, *, model_help: str, several: bool = False) -> None:
    if several:  # eval: --model again for each model to compare
        p.add_argument("--model", "-m", metavar="M", action="append", help=model_help)
    else:
        p.add_argument("--model", "-m", metavar="M", help=model_help)
    p.add_argument(
        "--threads",
        type=_numbers.threads,
        metavar="N",
        help="kernel threads (default: all usable cores; negative counts back)",
    )
    p.add_argument(
        "--max-length",
        type=_numbers.max_length,
        metavar="N",
        help="token limit per text, or 'none' (default: the model's)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``fastpool`` and its subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="fastpool",
        description=_wrap(
            "Static embeddings on a fast C++ kernel: encode files, search, inspect "
            "and evaluate models, distill new ones."
        ),
        epilog=_EPILOG,
        formatter_class=raw,
    )
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"fastpool {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    model_help = _model_help()

    p = sub.add_parser(
        "encode",
        help="embed every text of a file (resumable, constant memory)",
        description=_wrap(
            "Embed every text of INPUT into a directory of part files, streaming in "
            "constant memory; rerun the same command to resume an interrupted run."
        ),
        epilog=_ENCODE_EPILOG,
        formatter_class=raw,
    )
    p.add_argument(
        "input",
        metavar="INPUT",
        help="text (one document per line), .jsonl, .csv, .parquet, or - for stdin",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output directory (default: INPUT without extension + .embeddings; "
        "required for stdin)",
    )
    _input_options(p)
    _model_options(p, model_help=model_help)
    p.add_argument(
        "--format", choices=OUTPUT_FORMATS, default="npy", help="part file format (default: npy)"
    )
    p.add_argument(
        "--part-size",
        type=_numbers.positive_int,
        default=100_000,
        metavar="N",
        help="rows per part file, the unit of resumption (default: 100000)",
    )
    p.add_argument(
        "--batch-size",
        type=_numbers.positive_int,
        default=8192,
        metavar="N",
        help="texts per encode call; does not change the output (default: 8192)",
    )
    p.add_argument(
        "--normalize",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="L2-normalise the vectors (default: the model's setting)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="discard a previous run in OUT instead of resuming it",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")

    p = sub.add_parser(
        "search",
        help="exact top-k cosine search of a query over a corpus",
        description=_wrap(
            "Print the K texts of CORPUS most similar to QUERY (exact cosine "
            "similarity), best first, as: score <TAB> id <TAB> text (id = row index from 0)."
        ),
        epilog='example:\n  fastpool search docs.txt "reset a password" -k 5 --model ./m',
        formatter_class=raw,
    )
    p.add_argument(
        "corpus",
        metavar="CORPUS",
        help="text file (one document per line), .jsonl, .csv, .parquet, or - for stdin",
    )
    p.add_argument("query", metavar="QUERY", help="the query text")
    p.add_argument(
        "-k", type=_numbers.positive_int, default=10, help="number of results (default: 10)"
    )
    _input_options(p)
    _model_options(p, model_help=model_help)
    p.add_argument("--json", action="store_true", help="print a JSON list instead")

    p = sub.add_parser(
        "info",
        help="describe a model folder",
        description=_wrap(
            "Layout, vocabulary size, dim, dtype, tokenizer, normalize, max_length and "
            "size on disk of a static model folder."
        ),
        epilog="example:\n  fastpool info ./m\n  fastpool info ./m --json",
        formatter_class=raw,
    )
    p.add_argument("model", metavar="MODEL", nargs="?", help=model_help)
    p.add_argument("--json", action="store_true", help="print JSON instead")

    p = sub.add_parser(
        "eval",
        help="how much of a teacher's quality a static model keeps on your text",
        description=_wrap(
            "Compare a static model with its sentence-transformers teacher on texts "
            "sampled from CORPUS: Spearman correlation of pair similarities, recall@10 of nearest "
            "neighbours, speed of each, and the pairs they disagree on most. Repeat --model to "
            "compare several models in one table (the sample and the teacher's vectors are "
            "shared). Needs torch and sentence-transformers."
        ),
        epilog="examples:\n  fastpool eval --model ./m --teacher ./all-MiniLM-L6-v2 docs.txt "
        "--sample 2000 --json\n  fastpool eval -m ./glove -m ./distilled -m ./trained "
        "--teacher ./all-MiniLM-L6-v2 docs.txt",
        formatter_class=raw,
    )
    p.add_argument("corpus", metavar="CORPUS", help="text file, .jsonl, .csv, .parquet, or -")
    p.add_argument(
        "--teacher",
        "-t",
        required=True,
        metavar="T",
        help="local sentence-transformers model folder",
    )
    _input_options(p)
    _model_options(p, model_help=model_help + "; repeat to compare several", several=True)
    p.add_argument(
        "--sample",
        type=_numbers.positive_int,
        default=1000,
        metavar="N",
        help="texts drawn from the corpus (default: 1000)",
    )
    p.add_argument(
        "--pairs",
        type=_numbers.positive_int,
        default=10_000,
        metavar="N",
        help="random pairs for the correlation (default: 10000)",
    )
    p.add_argument("--seed", type=_numbers.seed, default=0, help="sampling seed, >= 0 (default: 0)")
    p.add_argument(
        "--show",
        type=_numbers.non_negative_int,
        default=5,
        metavar="N",
        help="disagreeing pairs to show (default: 5)",
    )
    p.add_argument(
        "--batch-size",
        type=_numbers.positive_int,
        default=64,
        metavar="N",
        help="teacher batch size (default: 64)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    from ._distill import add_parser as add_distill

    add_distill(sub, wrap=_wrap, formatter=raw)
    from ._train import add_parsers as add_train

    add_train(sub, formatter=raw)

    from ._export import add_parser as add_export

    add_export(sub, wrap=_wrap, formatter=raw)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "encode":
        from . import _encode as command
    elif args.command == "search":
        from . import _search as command  # type: ignore[no-redef]
    elif args.command == "info":
        from . import _info as command  # type: ignore[no-redef]
    elif args.command == "eval":
        from . import _eval as command  # type: ignore[no-redef]
    elif args.command == "distill":
        from . import _distill as command  # type: ignore[no-redef]
    elif args.command in ("train", "train-classifier"):
        from . import _train as command  # type: ignore[no-redef]
    elif args.command == "export":
        from . import _export as command  # type: ignore[no-redef]
    else:  # argparse's choices make this unreachable
        raise CLIError(f"unknown command {args.command!r}")
    return command.run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``fastpool`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except CLIError as err:
        print(f"fastpool {args.command}: error: {err}", file=sys.stderr)
        return 2
    except TokenizerFailure as err:  # a broken tokenizer.json met at encode time
        print(f"fastpool {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = "; run the same command again to resume" if args.command == "encode" else ""
        print(f"\nfastpool {args.command}: interrupted{hint}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `fastpool search ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as err:  # unreadable input, full disk, permissions: one line, no traceback
        print(f"fastpool {args.command}: error: {err}", file=sys.stderr)
        return 2
