"""``fastpool export onnx MODEL -o PATH``: the model's pooling as ONNX (docs/onnx.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ._errors import CLIError


def add_parser(sub: Any, *, wrap: Callable[[str], str], formatter: Any) -> Any:
    """Add the ``export`` subcommand (with its one format, ``onnx``) to ``sub``."""
    p = sub.add_parser(
        "export",
        help="export a model to another runtime's format (onnx)",
        description=wrap(
            "Write MODEL's pooling as an ONNX graph (input_ids + offsets in, embeddings "
            "out; opset 18) with its tokenizer.json beside it. Needs fastpool[onnx]."
        ),
        epilog='install:\n  pip install "fastpool[onnx]"\n\nexample:\n'
        "  fastpool export onnx ./my-model -o ./my-model-onnx",
        formatter_class=formatter,
    )
    p.add_argument("format", choices=["onnx"], help="the format to write")
    p.add_argument("model", metavar="MODEL", help="model folder")
    p.add_argument("-o", "--output", required=True, metavar="PATH",
                   help="a file ending .onnx, or a folder (gets model.onnx)")  # fmt: skip
    p.add_argument("--truncate-dim", type=int, default=None, metavar="K",
                   help="keep the first K dimensions (Matryoshka models)")  # fmt: skip
    return p


def run(args: argparse.Namespace) -> int:
    from ..model import StaticModel

    try:
        model = StaticModel.from_pretrained(args.model, truncate_dim=args.truncate_dim)
        path = model.export_onnx(args.output)
    except ImportError as err:
        raise CLIError(str(err)) from None
    except (FileNotFoundError, ValueError, TypeError) as err:
        raise CLIError(str(err)) from None
    print(f"{path}: {model.dim}-d, tokenizer.json beside it", file=sys.stderr)
    return 0
