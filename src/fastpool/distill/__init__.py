"""``fastpool.distill``: make a static model from a sentence-transformers / transformers teacher.

Needs the ``distill`` extra (torch and transformers): ``pip install "fastpool[distill]"``.
Importing this package does not import torch; calling :func:`distill` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._count import count_vocabulary

if TYPE_CHECKING:
    from ..model import StaticModel

INSTALL_HINT = 'fastpool.distill needs torch and transformers: pip install "fastpool[distill]"'

__all__ = ["count_vocabulary", "distill"]


def distill(
    teacher: Any,
    *,
    vocabulary: list[str] | None = None,
    vocabulary_quantization: int | None = None,
    pca_dims: int | float | str | None = 256,
    sif_coefficient: float | None = 1e-4,
    token_remove_pattern: str | None = r"\[unused\d+\]",
    pooling: str = "mean",
    quantize_to: str = "float16",
    batch_size: int | None = None,
    forward_dtype: str = "auto",
    device: str | None = None,
    show_progress_bar: bool = True,
) -> StaticModel:
    """Distill a static model from ``teacher``, with model2vec 0.10's recipe.

    Parameters
    ----------
    teacher
        A local sentence-transformers or transformers model folder (str or path). Nothing is
        downloaded.
    vocabulary
        Words and multi-word units to add to the teacher's vocabulary, with model2vec 0.10's
        rules (docs/distill.md): an entry the teacher's pre-tokenizer keeps whole is added as
        a word (unless the teacher has it already); one it splits ("New York") becomes an
        added token matched before pre-tokenizing. :func:`count_vocabulary` counts one from
        a corpus. WordPiece, WordLevel, BPE (a new word brings the merges that build it)
        and Unigram (a new piece gets the teacher's lowest score) teachers.
    vocabulary_quantization
        Cluster the token rows into this many rows with k-means (model2vec's vocabulary
        quantization; needs scikit-learn): the model gets a ``mapping`` (token -> row) and
        keeps the SIF weights per token. None (default): one row per token.
    pca_dims
        Output dimension: an int (that many principal components), a float in (0, 1) (enough
        components to explain that fraction of the variance), "auto" (all components, a
        rotation) or None (no PCA).
    sif_coefficient
        ``a`` in the SIF weight ``a / (a + p)`` with ``p`` a Zipf probability by row; None
        for no weighting. Must be in (0, 1).
    token_remove_pattern
        Tokens that ``re.match`` this pattern are dropped (BERT's ``[unused0]`` ...); None keeps
        all.
    pooling
        How a token's sequence ``[bos] token [eos]`` becomes one vector: "mean" (masked mean
        over every position, bos/eos included), "first", "last" or "pooler".
    quantize_to
        dtype of the stored table: "float16", "float32", "float64" or "int8".
    batch_size
        Sequences per forward pass; None (default): 256 per torch thread on CPU (at most
        4096), 4096 on a GPU.
    forward_dtype
        Precision of the teacher's forward pass:

        - "auto" (default): "float32" for BERT teachers on CPU, which run as a compact
          float32 forward pass through oneDNN (the same arithmetic as the teacher's own
          modules, ~2x faster); for other teachers "bf16-matmul" where available (a CPU
          with avx512_bf16 or AMX and torch with oneDNN), else "float32".
        - "float32": float32 everywhere; the table matches model2vec's row for row.
        - "bf16-matmul": float32 tensors, with oneDNN allowed to compute the float32 matrix
          products on the CPU's bfloat16 units. On the AMD EPYC we measured it computed them
          in float32 anyway (so the table matches model2vec's row for row); on a Xeon with AMX
          it was less accurate. A sample of tokens runs both ways first: if they differ by
          more than 1e-4 (relative), it warns and runs strict float32.
        - "bfloat16": autocast, every matrix product rounded to bfloat16: the fastest, but the
          table equals the float32 one only up to a rotation, not row for row (PCA's
          components with near-equal variances turn under its ~1e-3 error; docs/distill.md).
    device
        torch device; None picks CUDA when available, else CPU.
    show_progress_bar
        Show a progress bar on stderr during the forward pass.

    Raises
    ------
    ImportError
        If torch or transformers is missing; the message says what to install.
    """
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as err:
        raise ImportError(INSTALL_HINT) from err
    from ._distill import distill as _run

    return _run(
        teacher,
        vocabulary=vocabulary,
        vocabulary_quantization=vocabulary_quantization,
        pca_dims=pca_dims,
        sif_coefficient=sif_coefficient,
        token_remove_pattern=token_remove_pattern,
        pooling=pooling,
        quantize_to=quantize_to,
        batch_size=batch_size,
        forward_dtype=forward_dtype,
        device=device,
        show_progress_bar=show_progress_bar,
    )
