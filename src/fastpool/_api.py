"""The functions around the bundled model: ``load()``, ``default_model()`` and the
``encode()`` whose table defaults to the bundled model's.

The bundled model is fastpool's own distillation of all-MiniLM-L6-v2, made by
``scripts/make_default_model.py``; its README.md says how and how well, and its
LICENSE is the teacher's (Apache-2.0). Only this module knows where it lives.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from . import _encode
from ._checks import UNSET
from .model import StaticModel

__all__ = ["default_model", "default_model_path", "encode", "load"]

_DEFAULT = Path(__file__).resolve().parent / "models" / "default"


def default_model_path() -> Path:
    """The folder of the bundled default model (a model2vec-0.10 folder).

    Raises
    ------
    FileNotFoundError
        If the package was built without it (run ``python scripts/make_default_model.py``).
    """
    if not (_DEFAULT / "model.safetensors").is_file():
        raise FileNotFoundError(
            f"the default model is missing from {_DEFAULT}; "
            "make it with `python scripts/make_default_model.py`"
        )
    return _DEFAULT


@functools.lru_cache(maxsize=1)
def default_model() -> StaticModel:
    """The bundled model, loaded once per process (memory-mapped, so this is cheap)."""
    return StaticModel.from_pretrained(default_model_path())


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    normalize: bool | None = None,
    max_length: int | None = UNSET,
    quantize_to: str | None = None,
    dimensionality: int | None = None,
    tokenizer_backend: str = "auto",
    truncate_dim: int | None = None,
    semantics: str = "auto",
    fold_weights: bool = False,
) -> StaticModel:
    """Load a local model folder; shorthand for :meth:`StaticModel.from_pretrained`.

    Without ``path``, loads the model bundled with fastpool (all-MiniLM-L6-v2
    distilled by ``fastpool.distill``; see ``fastpool/models/default/README.md``).
    """
    return StaticModel.from_pretrained(
        default_model_path() if path is None else path,
        normalize=normalize,
        max_length=max_length,
        quantize_to=quantize_to,
        dimensionality=dimensionality,
        tokenizer_backend=tokenizer_backend,
        truncate_dim=truncate_dim,
        semantics=semantics,
        fold_weights=fold_weights,
    )


def encode(
    ids: npt.ArrayLike,
    offsets: npt.ArrayLike,
    table: npt.ArrayLike | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    mapping: npt.ArrayLike | None = None,
    scale: npt.ArrayLike | None = None,
    mode: Literal["mean", "sum"] = "mean",
    normalize: bool = True,
    out: np.ndarray | None = None,
    n_threads: int | None = None,
) -> np.ndarray:
    """Pool ragged rows of token ids into one float32 vector per row.

    Row ``i`` is ``ids[offsets[i]:offsets[i+1]]`` (CSR). Each id picks table row
    ``mapping[id]`` (or ``id`` without a mapping), multiplied by ``weights[id]``
    when given; rows are summed, divided by the token count for ``mode="mean"``,
    and scaled to unit length when ``normalize`` (``x / (||x|| + 1e-32)``, as
    model2vec does). An empty row gives zeros.

    Parameters
    ----------
    ids : int32 or int64 array, 1-D
        Token ids, all rows back to back. Used without copying.
    offsets : int64 (or int32) array of length ``n_rows + 1``
        ``offsets[0] == 0``, non-decreasing, ``offsets[-1] == len(ids)``.
    table : (rows, dim) array of float32, float16, bfloat16, float64 or int8, optional
        The embedding table; memory-mapped and read-only tables are read in place.
        Omitted, the bundled default model's table (and its weights and mapping)
        is used, so ``ids`` are that model's token ids.
    weights : float array, optional
        One weight per token id (``len(mapping)`` or ``rows`` entries).
    mapping : int32 or int64 array, optional
        Table row for each token id (vocabulary-quantized models).
    scale : float or float array, optional
        int8 tables only: one scale for the table or one per table row.
        Without it the raw integers are pooled, as model2vec does.
    mode : "mean" or "sum"
    normalize : bool
    out : float32 array of shape (n_rows, dim), optional
        Written in place and returned, to reuse a buffer. Outputs of 8 MiB or more are
        written with non-temporal stores (past the caches, ~1.2x faster for short rows)
        when each row is 64-byte aligned, as the arrays fastpool allocates are; an ``out``
        that is not aligned gets the same values through ordinary stores.
    n_threads : int, optional
        None uses every usable core (honouring OMP_NUM_THREADS, CPU affinity,
        cgroup limits and threadpoolctl); -1 likewise, -2 all but one; 0 is an
        error. The output is bit-identical for every thread count.

    Returns
    -------
    numpy.ndarray of float32, shape (n_rows, dim)
    """
    if table is None:
        if weights is not None or mapping is not None or scale is not None:
            raise ValueError("weights, mapping and scale need a table; pass table= as well")
        model = default_model()
        table, weights, mapping = model.table, model.weights, model.mapping
    return _encode.encode(
        ids, offsets, table, weights=weights, mapping=mapping, scale=scale, mode=mode,
        normalize=normalize, out=out, n_threads=n_threads,
    )  # fmt: skip
