"""Ray Data: embed a text column across a cluster, one memory-mapped model per actor.

    import ray, fastpool.ray
    ds = ray.data.read_parquet("s3://bucket/corpus/")
    ds = ds.map_batches(
        fastpool.ray.Embedder,
        fn_constructor_kwargs={"model": "/models/potion-base-8M", "text_column": "text"},
        batch_format="pyarrow", batch_size=4096, concurrency=8, num_cpus=4,
    )

Each actor loads the model once (the table is memory-mapped, so actors on one
node share its pages) and encodes with as many threads as the CPUs Ray gave it.
The vectors are bit-identical to ``StaticModel.encode`` on one machine. Importing
``fastpool`` does not import this module, and this module imports ``ray`` only
when an actor asks for its CPUs. See ``docs/ray.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._api import load
from .model import StaticModel

__all__ = ["Embedder", "assigned_cpus"]


def assigned_cpus() -> int | None:
    """CPUs Ray assigned to the calling actor or task (at least 1), or None outside Ray.

    A fractional share (``num_cpus=0.5``) counts as one thread; ``num_cpus=0``
    as one too: the actor still runs, on whatever core the OS gives it.
    """
    try:
        import ray
    except ImportError:
        return None
    if not ray.is_initialized():
        return None
    resources = ray.get_runtime_context().get_assigned_resources()
    return max(1, math.floor(resources.get("CPU", 0.0)))


class Embedder:
    """A callable class for ``Dataset.map_batches``: appends one vector column.

    Parameters
    ----------
    model : path-like or StaticModel
        A local model folder (present at the same path on every node), or a
        loaded model; a model loaded from a folder pickles as its path and
        options, so each actor memory-maps the folder itself.
    text_column : str
        The column of texts (``string``, ``large_string`` or ``string_view``;
        no nulls).
    output_column : str
        Name of the appended column: ``fixed_size_list<float32>[dim]``.
    n_threads : int, optional
        Kernel threads per actor. Default: the CPUs Ray assigned to the actor
        (``num_cpus`` of ``map_batches``), or all usable cores outside Ray.
    batch_size : int
        Texts per tokenize-and-pool step inside one Ray batch.
    normalize : bool, optional
        Unit-length vectors; defaults to the model's.
    **load_options
        Passed to :func:`fastpool.load` when ``model`` is a path
        (``max_length``, ``quantize_to``, ``dimensionality``, ...).

    Notes
    -----
    With ``batch_format="pyarrow"`` the column goes to
    :meth:`StaticModel.encode_arrow`: with the native tokenizer the texts are
    read straight from the Arrow buffers, with no Python ``str`` per row;
    models on Hugging Face ``tokenizers`` convert the column with
    ``to_pylist()`` first.

    Before the model tokenizes anything, the actor's process gets
    ``RAYON_NUM_THREADS`` (the Hugging Face tokenizers pool) set to the same
    thread count, unless it is already set: otherwise every actor would start
    one tokenizer thread per core of its node. The process is the actor's own,
    so this changes nothing outside it.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | StaticModel,
        *,
        text_column: str = "text",
        output_column: str = "embedding",
        n_threads: int | None = None,
        batch_size: int = 1024,
        normalize: bool | None = None,
        **load_options: Any,
    ) -> None:
        cpus = assigned_cpus()
        self.n_threads = n_threads if n_threads is not None else cpus
        if cpus is not None and "RAYON_NUM_THREADS" not in os.environ:
            os.environ["RAYON_NUM_THREADS"] = str(self.n_threads)
        if isinstance(model, StaticModel):
            if load_options:
                raise TypeError(
                    f"load options {sorted(load_options)} need a model path, got a loaded model"
                )
            self.model = model
        else:
            self.model = load(model, **load_options)
        self.text_column = text_column
        self.output_column = output_column
        self.batch_size = batch_size
        self.normalize = normalize

    def __call__(self, batch: Any) -> Any:
        """Embed one batch: a ``pyarrow.Table`` (``batch_format="pyarrow"``) or a dict of arrays."""
        if isinstance(batch, Mapping):  # batch_format="numpy"
            texts = _texts_from_numpy(batch[self.text_column], self.text_column)
            out = dict(batch)
            out[self.output_column] = self._encode(texts)
            return out
        import pyarrow as pa

        column = batch.column(self.text_column)
        if column.null_count:
            raise ValueError(
                f"text column {self.text_column!r} has {column.null_count} nulls in this batch; "
                "drop or fill them before embedding"
            )
        if not (
            pa.types.is_string(column.type)
            or pa.types.is_large_string(column.type)
            or getattr(pa.types, "is_string_view", lambda _: False)(column.type)
        ):
            raise TypeError(f"text column {self.text_column!r} must be strings, got {column.type}")
        vectors = self.model.encode_arrow(
            column, n_threads=self.n_threads, batch_size=self.batch_size, normalize=self.normalize
        )
        dim = vectors.shape[1]
        values = pa.array(vectors.reshape(-1), type=pa.float32())  # no copy
        embeddings = pa.FixedSizeListArray.from_arrays(values, dim)
        field = pa.field(self.output_column, pa.list_(pa.float32(), dim))
        return batch.append_column(field, embeddings)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts, n_threads=self.n_threads, batch_size=self.batch_size, normalize=self.normalize
        )


def _texts_from_numpy(column: Any, name: str) -> list[str]:
    texts = column.tolist() if isinstance(column, np.ndarray) else list(column)
    bad = next((k for k, text in enumerate(texts) if not isinstance(text, str)), None)
    if bad is not None:
        raise TypeError(
            f"text column {name!r} must hold str, got {type(texts[bad]).__name__} at row {bad}"
        )
    return texts
