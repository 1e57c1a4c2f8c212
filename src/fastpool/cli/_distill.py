"""``fastpool distill``: a thin wrapper over :func:`fastpool.distill` (imported lazily)."""

from __future__ import annotations

import argparse
import os
import sys

from ._errors import CLIError


def pca_dims(value: str) -> int | float | str | None:
    """``--pca-dims``: an int, a float in (0, 1), ``auto`` or ``none``."""
    lowered = value.lower()
    if lowered == "none":
        return None
    if lowered == "auto":
        return "auto"
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an int, a float in (0, 1), 'auto' or 'none', got {value!r}"
        ) from None


def run(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.teacher):
        raise CLIError(f"{args.teacher}: no such teacher folder (fastpool never downloads)")
    if os.path.exists(args.output) and os.listdir(args.output) and not args.overwrite:
        raise CLIError(f"{args.output}: exists and is not empty; pass --overwrite to write there")
    from ..distill import distill

    try:
        model = distill(
            args.teacher,
            pca_dims=args.pca_dims,
            sif_coefficient=None if args.sif_coefficient == 0 else args.sif_coefficient,
            token_remove_pattern=args.token_remove_pattern or None,
            pooling=args.pooling,
            quantize_to=args.quantize_to,
            batch_size=args.batch_size,
            forward_dtype=args.forward_dtype,
            device=args.device,
            show_progress_bar=not args.quiet,
        )
    except ImportError as err:
        raise CLIError(str(err)) from None
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(str(err)) from None
    path = model.save_pretrained(args.output)
    if not args.quiet:
        n, dim = model.embeddings.shape
        print(f"{path}: {n:,} tokens x {dim} {model.embeddings.dtype.name}", file=sys.stderr)
    return 0
