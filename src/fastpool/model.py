"""``StaticModel``: a Model2Vec-compatible static embedding model on the fastpool kernel.

Loading memory-maps the table (no copy) and checks every array once; ``encode``
then tokenizes into CSR and calls the kernel directly, with no per-call work
proportional to the vocabulary. Vectors equal model2vec 0.10's (see
``docs/models.md``), except that fastpool always returns float32.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, overload

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from . import _core
from ._arrow import arrow_texts, check_arrow_texts, first_null, null_error, with_prompt
from ._encode import _check_range, _integer_vector
from ._fold import fold_weights as _fold_weights
from ._folder import find_model_files, read_card_metadata, read_config
from ._hf_tokenize import (
    check_texts,
    median_token_length,
    private_tokenizer,
    tokenize_csr,
    tokenize_csr_batches,
    unknown_token_id,
    vocabulary,
)
from ._native import NativeTokenizer, native_support
from ._safetensors import SafetensorsFile
from ._save import save_model_folder
from ._similarity import SIMILARITY_FUNCTIONS
from ._similarity import similarity as _similarity
from ._st import (
    PRECISIONS,
    STSettings,
    keep_last_tokens,
    quantize_embeddings,
    read_st_settings,
    resolve_prompt,
)
from ._threads import effective_n_threads
from ._tokenizer import ArrowTexts

__all__ = ["DEFAULT_MAX_LENGTH", "StaticModel", "load"]

DEFAULT_MAX_LENGTH = 512
_T = TypeVar("_T")
# Texts per tokenizer call when tokenizing on helper threads. Measured on 2 cores
# (stdlib docstrings, all-MiniLM-L6-v2 tokenizer): 2 helpers x 256 texts beat one
# helper x 1,024 by 10-20%, as two calls in flight keep the tokenizers pool busy
# through each call's tail.
_PIPELINE_BATCH = 256
# Tokens tokenized before one kernel call (4 MiB of int32 ids).
_POOL_CHUNK_TOKENS = 1 << 20
_QUANTIZE_TO = ("float16", "float32", "float64", "int8")
_BACKENDS = ("auto", "native", "tokenizers")
_SEMANTICS = ("auto", "model2vec", "sentence-transformers")


class _Unset:
    """Marker for "argument not passed" where None has a meaning (no truncation)."""

    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


def _check_max_length(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"max_length must be a non-negative int or None, got {type(value).__name__}"
        )
    if value < 0:
        raise ValueError(f"max_length must be a non-negative int or None, got {value}")
    return int(value)


def _is_bfloat16(dtype: np.dtype) -> bool:
    return dtype.name == "bfloat16" and dtype.itemsize == 2


def quantize_table(table: np.ndarray, quantize_to: str) -> np.ndarray:
    """model2vec 0.10's ``quantize_embeddings``, step for step (same int8 rounding)."""
    quantize_to = str(getattr(quantize_to, "value", quantize_to))
    if quantize_to not in _QUANTIZE_TO:
        raise ValueError(
            f"quantize_to must be one of {', '.join(_QUANTIZE_TO)}, got {quantize_to!r}"
        )
    target = np.dtype(quantize_to)
    if table.dtype == target:
        return table
    if target.kind == "f":
        return table.astype(target)
    scale = np.max(np.abs(table)) / 127.0
    buf = table.astype(np.float16, copy=True)
    np.divide(buf, scale, out=buf)
    np.rint(buf, out=buf)
    np.clip(buf, -127, 127, out=buf)
    return buf.astype(np.int8)


def _quantize_vocabulary(
    n_clusters: int,
    table: np.ndarray,
    weights: np.ndarray | None,
    mapping: np.ndarray | None,
    tokenizer: Tokenizer,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """model2vec's vocabulary quantization (k-means over rows), run by model2vec itself."""
    if mapping is not None or np.shape(table)[0] != tokenizer.get_vocab_size():
        raise ValueError("the model's vocabulary is already quantized; cannot quantize it again")
    try:
        from model2vec.vocabulary_quantization import quantize_vocabulary
    except ImportError as err:
        raise ImportError(
            "vocabulary_quantization needs model2vec and scikit-learn: "
            "pip install 'model2vec[quantization]'"
        ) from err
    weights_arr = None if weights is None else np.asarray(weights)
    return quantize_vocabulary(  # type: ignore[no-any-return]
        n_clusters=int(n_clusters), weights=weights_arr, embeddings=np.asarray(table)
    )


class _EncodeOptions(NamedTuple):
    """encode's per-call options after checking, shared by encode and encode_arrow."""

    limit: int | None  # max_length resolved
    norm: bool
    normalize_full: bool  # sentence-transformers' Normalize module, before a truncate_dim cut
    batch_size: int
    dim: int
    precision: str
    threads: int


class StaticModel:
    """A static embedding model: tokenizer + table (+ per-token weights and mapping).

    Build one with :meth:`from_pretrained` (or :func:`fastpool.load`); the
    constructor takes arrays directly and checks them once.

    Parameters
    ----------
    table : (rows, dim) array of float32, float16, bfloat16, float64 or int8
        Used in place (a memory map stays a memory map).
    tokenizer : tokenizers.Tokenizer
        Copied; the copy has truncation and padding off.
    weights : float array, optional
        One weight per token id.
    mapping : int32 or int64 array, optional
        Table row per token id (vocabulary-quantized models).
    config : mapping, optional
        The model's config; ``normalize`` and ``max_length`` are written into it.
    normalize : bool, optional
        Default for :meth:`encode`; else ``config["normalize"]``, else False.
    max_length : int or None, optional
        Default token limit for :meth:`encode`; else ``config["max_length"]``
        (a missing key means 512, ``null`` means no limit).
    base_model, language : optional
        Model card metadata, written by :meth:`save_pretrained`.
    tokenizer_backend : {"auto", "native", "tokenizers"}
        "auto" (default) tokenizes with fastpool's native WordPiece tokenizer
        when it reproduces ``tokenizers`` exactly for this tokenizer.json (BERT
        WordPiece pipelines), else with Hugging Face ``tokenizers``. "native"
        raises ValueError, with the reason, when the tokenizer is not supported.
    truncate_dim : int, optional
        Default of ``encode(truncate_dim=...)``: keep the first ``truncate_dim``
        columns of each vector (Matryoshka models). The kernel reads only those
        columns of the table.
    """

    def __init__(
        self,
        table: npt.ArrayLike,
        tokenizer: Tokenizer,
        *,
        weights: npt.ArrayLike | None = None,
        mapping: npt.ArrayLike | None = None,
        config: Mapping[str, Any] | None = None,
        normalize: bool | None = None,
        max_length: int | None = _UNSET,
        base_model: str | None = None,
        language: list[str] | str | None = None,
        tokenizer_backend: str = "auto",
        truncate_dim: int | None = None,
        _source: str = "StaticModel",
        _tokenizer_json: str | None = None,
        _private: bool = False,
        _st_settings: STSettings | None = None,
    ) -> None:
        config = dict(config or {})
        # sentence-transformers semantics (see _st.py) when loaded from its layouts.
        self._st = _st_settings
        self._compat_tokenizer: Tokenizer | None = None
        self._source_padding = tokenizer.padding
        if _private:  # loaded from a file by from_pretrained: already ours
            tokenizer.no_truncation()
            tokenizer.no_padding()
            self._tokenizer = tokenizer
        else:
            self._tokenizer = private_tokenizer(tokenizer)
        self._unk_id = unknown_token_id(self._tokenizer, _tokenizer_json)
        # The token id encode drops: model2vec drops the unknown token,
        # sentence-transformers keeps every token.
        self._drop_id = None if self._st is not None else self._unk_id
        self._native = self._native_tokenizer(
            tokenizer_backend, _tokenizer_json or self._tokenizer.to_str(), _source
        )
        # The median is order-free, so the sorted vocabulary is only built when
        # `tokens` is first read (it costs more than the rest of loading).
        vocab = self._tokenizer.get_vocab()
        self._n_tokens = len(vocab)
        self._tokens: tuple[str, ...] | None = None
        self._median_token_length = median_token_length(list(vocab))
        max_id = int(max(vocab.values(), default=-1))
        del vocab

        self._table = self._check_table(table, _source)
        self._mapping_saved, self._mapping = self._check_mapping(mapping, max_id, _source)
        self._weights_saved, self._weights = self._check_weights(weights, _source)
        n_rows = self._table.shape[0]
        if self._mapping is None:
            if n_rows != self._n_tokens:
                raise ValueError(
                    f"{_source}: the table has {n_rows} rows but the tokenizer has "
                    f"{self._n_tokens} tokens; a table needs one row per token unless "
                    "the model has a mapping"
                )
            if max_id >= n_rows:
                raise ValueError(
                    f"{_source}: the tokenizer has token id {max_id} but the table has only "
                    f"{n_rows} rows"
                )

        if max_length is _UNSET:
            if self._st is not None:  # the tokenizer's own truncation
                max_length = self._st.max_tokens
            else:
                max_length = config.get("max_length", DEFAULT_MAX_LENGTH)
        if normalize is None:
            normalize = (
                self._st.normalize if self._st is not None else config.get("normalize", False)
            )
        self._truncate_dim = self._check_truncate_dim(truncate_dim)
        self._max_length = _check_max_length(max_length)
        self._normalize = bool(normalize)
        config["max_length"] = self._max_length
        config["normalize"] = self._normalize
        self._config = config
        self._base_model = base_model
        self._language = language
        # (folder, from_pretrained options) when loaded from a folder: see __reduce__.
        self._pickle_as: tuple[str, dict[str, Any]] | None = None

    # -- checks, once per model -------------------------------------------------------------

    def _native_tokenizer(
        self, backend: str, tokenizer_json: str, source: str
    ) -> NativeTokenizer | None:
        if backend not in _BACKENDS:
            raise ValueError(
                f"tokenizer_backend must be one of {', '.join(_BACKENDS)}, got {backend!r}"
            )
        if backend == "tokenizers":
            return None
        ok, reason = native_support(tokenizer_json)
        native = NativeTokenizer(tokenizer_json) if ok else None
        if native is not None and native.unk_id != self._unk_id:
            native, reason = None, "its unknown token differs from model2vec's choice"
        if native is None and backend == "native":
            raise ValueError(f"{source}: the native tokenizer cannot run this model: {reason}")
        return native

    @staticmethod
    def _check_table(table: npt.ArrayLike, source: str) -> np.ndarray:
        arr = np.asarray(table)
        if arr.ndim != 2:
            raise ValueError(f"{source}: the table must be 2-D (rows, dim), got shape {arr.shape}")
        if arr.dtype not in (np.float32, np.float16, np.float64, np.int8) and not _is_bfloat16(
            arr.dtype
        ):
            raise ValueError(
                f"{source}: the table dtype must be float32, float16, bfloat16, float64 or int8, "
                f"got {arr.dtype}"
            )
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        itemsize = arr.dtype.itemsize
        unit_columns = arr.shape[1] <= 1 or arr.strides[1] == itemsize
        if not unit_columns or arr.strides[0] < 0 or arr.strides[0] % itemsize:
            arr = np.ascontiguousarray(arr)
        return arr

    def _check_mapping(
        self, mapping: npt.ArrayLike | None, max_id: int, source: str
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        if mapping is None:
            return None, None
        original = np.asarray(mapping)
        if original.dtype.kind not in "iu" or original.ndim != 1:
            raise ValueError(
                f"{source}: mapping must be a 1-D integer array, got dtype {original.dtype} "
                f"and shape {original.shape}"
            )
        arr = _integer_vector(original, "mapping")
        try:
            _check_range(arr, "mapping", self._table.shape[0], "table rows")
        except ValueError as err:
            raise ValueError(f"{source}: {err}") from None
        if max_id >= arr.size:
            raise ValueError(
                f"{source}: the tokenizer has token id {max_id} but the mapping has only "
                f"{arr.size} entries"
            )
        return original, np.ascontiguousarray(arr, dtype=np.int32)

    def _check_weights(
        self, weights: npt.ArrayLike | None, source: str
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        if weights is None:
            return None, None
        original = np.asarray(weights)
        if original.dtype.kind not in "fiu" and not _is_bfloat16(original.dtype):
            raise ValueError(f"{source}: weights must be real numbers, got dtype {original.dtype}")
        n_ids = self._table.shape[0] if self._mapping is None else self._mapping.size
        if original.ndim != 1 or original.size != n_ids:
            what = "mapping entries" if self._mapping is not None else "table rows"
            raise ValueError(
                f"{source}: weights must be 1-D with one entry per token id ({n_ids} {what}), "
                f"got shape {original.shape}"
            )
        return original, np.ascontiguousarray(original, dtype=np.float32)

    def _check_truncate_dim(self, truncate_dim: object) -> int | None:
        if truncate_dim is None:
            return None
        if isinstance(truncate_dim, bool) or not isinstance(truncate_dim, (int, np.integer)):
            raise TypeError(
                f"truncate_dim must be an int or None, got {type(truncate_dim).__name__}"
            )
        columns = int(self._table.shape[1])
        if not 1 <= truncate_dim <= columns:
            raise ValueError(f"truncate_dim must be in [1, {columns}], got {truncate_dim}")
        return int(truncate_dim)

    # -- loading ------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(
        cls,
        path: str | os.PathLike[str],
        token: str | None = None,
        normalize: bool | None = None,
        subfolder: str | None = None,
        quantize_to: str | None = None,
        dimensionality: int | None = None,
        vocabulary_quantization: int | None = None,
        max_length: int | None = _UNSET,
        force_download: bool = True,
        *,
        tokenizer_backend: str = "auto",
        truncate_dim: int | None = None,
        semantics: str = "auto",
        mmap: bool = True,
        fold_weights: bool = False,
    ) -> StaticModel:
        """Load a model from a local Model2Vec or sentence-transformers folder.

        The positional order is model2vec 0.10's, so calls written for
        ``model2vec.StaticModel.from_pretrained`` work unchanged on local folders.

        The table is memory-mapped, not copied (unless ``quantize_to`` changes
        its dtype or ``mmap=False``). Nothing touches the network.

        Parameters
        ----------
        path : path-like
            A local folder in one of the layouts ``config.json`` +
            ``model.safetensors`` + ``tokenizer.json``;
            ``config_sentence_transformers.json`` + ``model.safetensors`` +
            ``tokenizer.json``; or ``config_sentence_transformers.json`` +
            ``0_StaticEmbedding/{model.safetensors,tokenizer.json}``.
        normalize : bool, optional
            Default for :meth:`encode`; else the config's ``normalize``, else False.
        max_length : int or None, optional
            Default token limit; else the config's ``max_length`` (missing: 512;
            ``null``: no limit).
        quantize_to : {"float32", "float16", "float64", "int8"}, optional
            Convert the table (model2vec's rounding for int8).
        dimensionality : int, optional
            Keep the first ``dimensionality`` columns (read in place).
        tokenizer_backend : {"auto", "native", "tokenizers"}
            Which tokenizer runs ``encode`` (see :class:`StaticModel`).
        token, force_download
            Accepted for model2vec compatibility and unused: fastpool never
            touches the network.
        subfolder : str, optional
            Load from ``path / subfolder``.
        vocabulary_quantization : int, optional
            Cluster the vocabulary into this many rows with model2vec's own
            ``quantize_vocabulary`` (needs model2vec and scikit-learn).
        truncate_dim : int, optional
            Default ``truncate_dim`` of :meth:`encode`.
        semantics : {"auto", "model2vec", "sentence-transformers"}
            How ``encode`` tokenizes and normalises. "auto": sentence-transformers'
            for its layouts (``config_sentence_transformers.json``), model2vec's
            otherwise. See ``docs/ecosystem.md``.
        mmap : bool
            True (default): memory-map ``model.safetensors``. False: read it into
            private memory, for network filesystems or files other programs may
            rewrite in place (see SECURITY.md); the table then starts on a 64-byte
            boundary whatever the file's header length (rows on cache lines pool
            faster: ~10% on a 500,000-row float32 table).
        fold_weights : bool
            For a model with per-token weights and no mapping: multiply the weights
            into the table rows once, here, so every ``encode`` runs the unweighted
            kernel (5-13% faster on float32 tables in ``benchmarks/``). The table
            becomes a private float32 copy (float64 stays float64), no longer
            memory-mapped; vectors may differ from the unfolded model's in the last
            bit. ``weights`` is then None. A model with a mapping raises ValueError.

        Raises
        ------
        FileNotFoundError
            ``path`` is not a local folder.
        ValueError
            No known layout, or a file is truncated, corrupt or inconsistent
            (the message names the file).
        """
        # Every option but the path, first thing (so locals() holds only the arguments).
        options = {k: v for k, v in locals().items() if k not in _NOT_PICKLED}
        del token, force_download  # hub-only arguments: fastpool is offline
        if semantics not in _SEMANTICS:
            raise ValueError(f"semantics must be one of {', '.join(_SEMANTICS)}, got {semantics!r}")
        if subfolder:
            path = Path(path).expanduser() / subfolder
        files = find_model_files(path)
        config = read_config(files.config)
        tensors = SafetensorsFile(files.tensors, mmap=mmap)
        if files.table_name not in tensors:
            raise ValueError(
                f"{files.tensors}: no tensor {files.table_name!r} (has {sorted(tensors.tensors)})"
            )
        table = tensors.get(files.table_name)
        weights = tensors.get("weights") if "weights" in tensors else None
        mapping = tensors.get("mapping") if "mapping" in tensors else None
        try:
            tokenizer_json = files.tokenizer.read_text(encoding="utf-8")
            tokenizer = Tokenizer.from_str(tokenizer_json)
        except Exception as err:  # tokenizers raises a bare Exception on bad JSON
            raise ValueError(f"{files.tokenizer}: not a valid tokenizer ({err})") from None
        # WordPiece and BPE raise a bare Exception on every unknown word when their
        # unk_token is not in the vocabulary: a broken file, reported here.
        unk_token = getattr(tokenizer.model, "unk_token", None)
        if unk_token is not None and tokenizer.model.token_to_id(unk_token) is None:
            raise ValueError(
                f"{files.tokenizer}: the unknown token {unk_token!r} is not in the vocabulary"
            )
        n_tokens = tokenizer.get_vocab_size(with_added_tokens=True)
        if mapping is None and vocabulary_quantization is None and np.ndim(table) == 2:
            # Checked again in __init__; here first, before a hostile vocabulary of
            # millions of tokens is copied into Python objects.
            if np.shape(table)[0] != n_tokens:
                raise ValueError(
                    f"{files.tensors}: the table has {np.shape(table)[0]} rows but the "
                    f"tokenizer has {n_tokens} tokens ({files.tokenizer})"
                )

        if vocabulary_quantization is not None:
            table, mapping, weights = _quantize_vocabulary(
                vocabulary_quantization, table, weights, mapping, tokenizer
            )
        if quantize_to is not None:
            table = quantize_table(cls._check_table(table, str(files.tensors)), quantize_to)
        if dimensionality is not None:
            if isinstance(dimensionality, bool) or not isinstance(
                dimensionality, (int, np.integer)
            ):
                raise TypeError(
                    f"dimensionality must be an int, got {type(dimensionality).__name__}"
                )
            dim = np.shape(table)[1] if np.ndim(table) == 2 else 0
            if not 1 <= dimensionality <= dim:
                raise ValueError(f"dimensionality must be in [1, {dim}], got {dimensionality}")
            table = table[:, :dimensionality]
        if fold_weights and weights is not None:
            try:
                table, weights = _fold_weights(table, weights, mapping), None
            except ValueError as err:
                raise ValueError(f"{files.tensors}: {err}") from None
        meta = read_card_metadata(files.folder)
        st_settings = None
        if semantics == "sentence-transformers" or (
            semantics == "auto" and files.is_sentence_transformers
        ):
            st_config = config
            if not files.is_sentence_transformers:
                st_path = files.folder / "config_sentence_transformers.json"
                st_config = read_config(st_path) if st_path.is_file() else {}
            st_settings = read_st_settings(files.folder, st_config, json.loads(tokenizer_json))
        model = cls(
            table,
            tokenizer,
            weights=weights,
            mapping=mapping,
            config=config,
            normalize=normalize,
            max_length=max_length,
            base_model=meta.get("base_model"),
            language=meta.get("language"),
            tokenizer_backend=tokenizer_backend,
            truncate_dim=truncate_dim,
            _source=str(files.tensors),
            _tokenizer_json=tokenizer_json,
            _private=True,
            _st_settings=st_settings,
        )
        model._pickle_as = (os.path.abspath(os.path.expanduser(os.fspath(path))), options)
        return model

    @classmethod
    def load_local(cls, path: str | os.PathLike[str], **kwargs: Any) -> StaticModel:
        """model2vec's name for loading a local folder: :meth:`from_pretrained`."""
        return cls.from_pretrained(path, **kwargs)

    # -- properties ---------------------------------------------------------------------------

    @property
    def dim(self) -> int:
        """Dimension of the vectors ``encode`` returns (``truncate_dim`` when set)."""
        return int(self._table.shape[1]) if self._truncate_dim is None else self._truncate_dim

    def get_embedding_dimension(self) -> int:
        """sentence-transformers' name for :attr:`dim`."""
        return self.dim

    get_sentence_embedding_dimension = get_embedding_dimension

    @property
    def truncate_dim(self) -> int | None:
        """Default of ``encode(truncate_dim=...)`` (None: every column)."""
        return self._truncate_dim

    @truncate_dim.setter
    def truncate_dim(self, value: int | None) -> None:
        self._truncate_dim = self._check_truncate_dim(value)

    @property
    def semantics(self) -> str:
        """``"model2vec"`` or ``"sentence-transformers"``: how ``encode`` tokenizes."""
        return "model2vec" if self._st is None else "sentence-transformers"

    @property
    def prompts(self) -> dict[str, str]:
        """Named prompts (sentence-transformers' config), for ``encode(prompt_name=...)``."""
        return {} if self._st is None else dict(self._st.prompts)

    @property
    def default_prompt_name(self) -> str | None:
        """The prompt ``encode`` prepends when given none (sentence-transformers' config)."""
        return None if self._st is None else self._st.default_prompt_name

    @property
    def similarity_fn_name(self) -> str:
        """The function :meth:`similarity` uses: the config's, else ``"cosine"``."""
        name = "cosine" if self._st is None else self._st.similarity_fn_name
        return name if name in SIMILARITY_FUNCTIONS else "cosine"

    def similarity(self, a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
        """``(n, m)`` float32 similarities of the rows of ``a`` and ``b`` (1-D: one row),
        with :attr:`similarity_fn_name` (cosine unless the config says otherwise),
        as sentence-transformers' ``model.similarity``."""
        return _similarity(a, b, fn=self.similarity_fn_name)

    # model2vec's attribute names.
    @property
    def embedding(self) -> np.ndarray:
        """model2vec's name for :attr:`table`."""
        return self._table

    @property
    def token_mapping(self) -> np.ndarray | None:
        """model2vec's name: the mapping as loaded (None when there is none)."""
        return self._mapping_saved

    @property
    def base_model_name(self) -> str | None:
        """The model card's ``base_model`` (model2vec's attribute)."""
        return self._base_model

    @property
    def language(self) -> list[str] | str | None:
        """The model card's ``language`` (model2vec's attribute)."""
        return self._language

    @property
    def tokenizer(self) -> Tokenizer:
        """A ``tokenizers.Tokenizer`` set up as model2vec's ``model.tokenizer``
        (truncation at ``max_length``, padding of length 0), e.g. to count tokens.

        It is a copy: changing it does not change what ``encode`` does.
        """
        if self._compat_tokenizer is None:
            tokenizer = Tokenizer.from_str(self._tokenizer.to_str())
            if self._max_length is not None:
                tokenizer.enable_truncation(self._max_length)
            padding = self._source_padding
            if padding is not None:
                tokenizer.enable_padding(
                    pad_id=padding["pad_id"], pad_token=padding["pad_token"],
                    pad_type_id=padding["pad_type_id"], length=0,
                )  # fmt: skip
            self._compat_tokenizer = tokenizer
        return self._compat_tokenizer

    @property
    def tokens(self) -> tuple[str, ...]:
        """The vocabulary (added tokens included), sorted by token id."""
        if self._tokens is None:
            self._tokens = vocabulary(self._tokenizer)  # idempotent: safe to race
        return self._tokens

    @property
    def normalize(self) -> bool:
        """Default of ``encode(normalize=...)``."""
        return self._normalize

    @normalize.setter
    def normalize(self, value: bool) -> None:
        self._normalize = bool(value)
        self._config["normalize"] = self._normalize

    @property
    def max_length(self) -> int | None:
        """Default token limit of ``encode`` (None: no limit)."""
        return self._max_length

    @max_length.setter
    def max_length(self, value: int | None) -> None:
        self._max_length = _check_max_length(value)
        self._config["max_length"] = self._max_length
        self._compat_tokenizer = None

    @property
    def tokenizer_backend(self) -> str:
        """``"native"`` (fastpool's C++ WordPiece) or ``"tokenizers"`` (Hugging Face)."""
        return "tokenizers" if self._native is None else "native"

    @property
    def median_token_length(self) -> int:
        """Median token length in code points; texts are cut to ``max_length`` times this."""
        return self._median_token_length

    @property
    def embedding_dtype(self) -> str:
        """dtype name of the table (``"float32"``, ``"float16"``, ``"int8"``, ...)."""
        return np.dtype(self._table.dtype).name

    @property
    def vocabulary_quantization(self) -> int | None:
        """Number of table rows for a vocabulary-quantized model, else None."""
        quantized = self._mapping is not None or self._table.shape[0] != self._n_tokens
        return int(self._table.shape[0]) if quantized else None

    @property
    def config(self) -> dict[str, Any]:
        """A copy of the model's config (with the resolved ``normalize`` and ``max_length``)."""
        return dict(self._config)

    @property
    def table(self) -> np.ndarray:
        """The embedding table (read-only when memory-mapped)."""
        return self._table

    @property
    def weights(self) -> np.ndarray | None:
        """Per-token weights as float32, or None."""
        return self._weights

    @property
    def mapping(self) -> np.ndarray | None:
        """Table row per token id as int32, or None."""
        return self._mapping

    @property
    def unk_token_id(self) -> int | None:
        """The token id dropped after tokenizing (model2vec's rule), or None."""
        return self._unk_id

    def __repr__(self) -> str:
        vq = self.vocabulary_quantization
        return (
            f"StaticModel(tokens={self._n_tokens}, dim={self.dim}, dtype={self.embedding_dtype}"
            f"{f', vocabulary_quantization={vq}' if vq else ''}, normalize={self._normalize}, "
            f"max_length={self._max_length})"
        )

    # -- pickling -----------------------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the folder path and options when loaded from a folder, else as arrays.

        A model from :meth:`from_pretrained` pickles in a few hundred bytes: its
        absolute folder path, its load options and its current ``normalize``,
        ``max_length`` and ``truncate_dim``. Unpickling loads the folder again
        (memory-mapped, as before) and checks that the table has the same shape
        and dtype, so the folder must be at that path wherever the model is
        unpickled (on every node of a cluster) and unchanged. ``copy.copy`` and
        ``copy.deepcopy`` load it again the same way. A model built from arrays
        pickles its arrays and tokenizer (the table is copied into the pickle).
        """
        if self._pickle_as is not None:
            path, options = self._pickle_as
            options = {**options, "normalize": self._normalize, "max_length": self._max_length,
                       "truncate_dim": self._truncate_dim}  # fmt: skip
            table = (tuple(self._table.shape), self._table.dtype.name)
            return (_unpickle_from_folder, (type(self), path, options, table))
        state = dict(self.__dict__)
        state["_native"] = state.get("_native") is not None  # a C++ object: rebuilt on load
        return (_unpickle_from_state, (type(self), state))

    # -- tokenizing -----------------------------------------------------------------------------

    def _resolve_max_length(self, max_length: object) -> int | None:
        return self._max_length if max_length is _UNSET else _check_max_length(max_length)

    def _char_limit(self, max_length: int | None) -> int | None:
        """model2vec cuts texts to max_length * median_token_length code points;
        sentence-transformers does not."""
        if max_length is None or self._st is not None:
            return None
        return max_length * self._median_token_length

    def _keeps_last(self, max_length: int | None) -> bool:
        """True for a sentence-transformers tokenizer that truncates on the left."""
        return self._st is not None and self._st.keep_last and max_length is not None

    def _tokenize(
        self, texts: Sequence[str], max_length: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        char_limit = self._char_limit(max_length)
        keep_last = self._keeps_last(max_length)
        limit = None if keep_last else max_length
        if self._native is not None:
            ids, offsets = self._native.tokenize_csr(
                texts, max_chars=char_limit, max_tokens=limit, drop_unk=self._drop_id is not None
            )
        else:
            ids, offsets = tokenize_csr(
                self._tokenizer,
                texts,
                max_length=limit,
                char_limit=char_limit,
                unk_id=self._drop_id,
            )
        if keep_last:
            assert max_length is not None
            return keep_last_tokens(ids, offsets, max_length)
        return ids, offsets

    def _csr_batches(
        self, texts: Sequence[str], max_length: int | None, batch_size: int, *, pipelined: bool
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if self._native is not None or self._keeps_last(max_length):
            return (
                self._tokenize(texts[start : start + batch_size], max_length)
                for start in range(0, len(texts), batch_size)
            )
        if pipelined:  # smaller batches on 2 helper threads (see _PIPELINE_BATCH)
            batch_size = min(batch_size, _PIPELINE_BATCH)
        return tokenize_csr_batches(
            self._tokenizer, texts, batch_size=batch_size, max_length=max_length,
            char_limit=self._char_limit(max_length), unk_id=self._drop_id,
            workers=2 if pipelined else 0,
        )  # fmt: skip

    def tokenize_csr(
        self, sentences: str | Sequence[str], *, max_length: int | None = _UNSET
    ) -> tuple[np.ndarray, np.ndarray]:
        """The token ids ``encode`` pools, as CSR: int32 ``ids`` and int64 ``offsets``.

        Text ``i`` is ``ids[offsets[i]:offsets[i + 1]]``. ``pool(*tokenize_csr(x))``
        equals ``encode(x)`` for a list ``x``. ``max_length`` as in :meth:`encode`.
        """
        texts = _texts(sentences)
        return self._tokenize(texts, self._resolve_max_length(max_length))

    @overload
    def tokenize(  # type: ignore[overload-overlap]  # a str is also a Sequence[str]
        self, sentences: str, *, max_length: int | None = ...
    ) -> list[int]: ...
    @overload
    def tokenize(
        self, sentences: Sequence[str], *, max_length: int | None = ...
    ) -> list[list[int]]: ...

    def tokenize(
        self, sentences: str | Sequence[str], *, max_length: int | None = _UNSET
    ) -> list[int] | list[list[int]]:
        """Token ids per text, exactly those ``encode`` pools (cut, limit, unknown token dropped).

        Unlike model2vec's ``tokenize``, the text is cut to
        ``max_length * median_token_length`` code points first, as ``encode`` does.
        """
        ids, offsets = self.tokenize_csr(sentences, max_length=max_length)
        rows = np.split(ids, offsets[1:-1])
        lists = [row.tolist() for row in rows]
        return lists[0] if isinstance(sentences, str) else lists

    # -- pooling --------------------------------------------------------------------------------

    def pool(
        self,
        ids: npt.ArrayLike,
        offsets: npt.ArrayLike,
        *,
        normalize: bool | None = None,
        n_threads: int | None = None,
    ) -> np.ndarray:
        """Mean-pool CSR token ids (e.g. from :meth:`tokenize_csr`) into float32 vectors.

        ``ids`` and ``offsets`` are checked (range, monotone offsets); the
        model's own arrays were checked at load.
        """
        ids_arr = _integer_vector(ids, "ids")
        offsets_arr = _integer_vector(offsets, "offsets").astype(np.int64, copy=False)
        if offsets_arr.size == 0 or offsets_arr[0] != 0 or offsets_arr[-1] != ids_arr.size:
            raise ValueError(
                f"offsets must start at 0 and end at len(ids) = {ids_arr.size}, got "
                f"{offsets_arr[:1].tolist()} ... {offsets_arr[-1:].tolist()}"
            )
        if np.any(offsets_arr[1:] < offsets_arr[:-1]):
            raise ValueError("offsets must be non-decreasing")
        n_ids = self._table.shape[0] if self._mapping is None else self._mapping.size
        _check_range(ids_arr, "ids", n_ids, "token ids")
        out = _core.empty_rows(offsets_arr.size - 1, self.dim)
        norm = self._normalize if normalize is None else bool(normalize)
        _core.pool_csr(
            ids_arr,
            offsets_arr,
            self._table[:, : self.dim],
            out,
            self._weights,
            self._mapping,
            None,
            True,
            norm,
            effective_n_threads(n_threads),
        )
        return out

    # -- encoding -------------------------------------------------------------------------------

    def encode(
        self,
        sentences: str | Sequence[str],
        *,
        show_progress_bar: bool = False,
        max_length: int | None = _UNSET,
        normalize: bool | None = None,
        batch_size: int = 1024,
        use_multiprocessing: bool = True,
        multiprocessing_threshold: int = 10_000,
        prompt_name: str | None = None,
        prompt: str | None = None,
        truncate_dim: int | None = None,
        precision: str = "float32",
        n_threads: int | None = None,
        **kwargs: Any,
    ) -> np.ndarray:
        """Embed texts: tokenize, mean-pool the token vectors, optionally normalise.

        Same vectors as model2vec 0.10's ``StaticModel.encode`` (but always
        float32) for model2vec folders, and as ``SentenceTransformer.encode`` for
        sentence-transformers folders (see :attr:`semantics`).

        Parameters
        ----------
        sentences : str or sequence of str
            A single string gives a 1-D vector; a sequence gives ``(len, dim)``.
        show_progress_bar : bool
            Show a tqdm bar over batches (when tqdm is installed).
        max_length : int or None, optional
            Token limit per text (None: no limit); defaults to the model's.
            model2vec semantics first cut each text to
            ``max_length * median_token_length`` code points, as model2vec does.
        normalize : bool, optional
            Scale to unit length; defaults to the model's ``normalize``
            (sentence-transformers' ``normalize_embeddings`` is read as this).
        batch_size : int
            Texts tokenized and pooled per step (bounds temporary memory).
        use_multiprocessing, multiprocessing_threshold
            Accepted for model2vec compatibility; fastpool's threads are set by ``n_threads``.
        prompt_name, prompt : str, optional
            Text prepended to every sentence: ``prompt``, else
            ``prompts[prompt_name]``, else the default prompt (sentence-transformers' rules).
        truncate_dim : int, optional
            Keep the first ``truncate_dim`` columns (default: the model's
            :attr:`truncate_dim`). The kernel reads only those columns. As in
            sentence-transformers, a Normalize module normalises the whole vector
            *before* the cut; ``normalize=True`` normalises after it.
        precision : {"float32", "int8", "uint8", "binary", "ubinary"}
            sentence-transformers' ``quantize_embeddings`` of the result; int8 and
            uint8 take their ranges from the batch itself (so need two or more texts).
        n_threads : int, optional
            Threads of the pooling kernel (None: all usable cores). Tokenization
            runs on the ``tokenizers`` thread pool (``RAYON_NUM_THREADS``).
        **kwargs
            Ignored, as model2vec ignores them (e.g. ``convert_to_numpy=True``).

        Returns
        -------
        numpy.ndarray, shape ``(dim,)`` or ``(len(sentences), dim)``; float32 unless
        ``precision`` says otherwise (binary: ``ceil(dim / 8)`` bytes per vector).
        """
        del use_multiprocessing, multiprocessing_threshold
        options = self._encode_options(
            max_length, normalize, batch_size, truncate_dim, precision, n_threads, kwargs
        )
        single = isinstance(sentences, str)
        texts = _texts(sentences)
        used_prompt = resolve_prompt(self.prompts, self.default_prompt_name, prompt, prompt_name)
        if used_prompt:
            texts = [used_prompt + text for text in texts]
        out = self._encode_texts(texts, len(texts), options, show_progress_bar)
        return out[0] if single else out

    def encode_arrow(
        self,
        texts: Any,
        *,
        max_length: int | None = _UNSET,
        normalize: bool | None = None,
        batch_size: int = 1024,
        prompt_name: str | None = None,
        prompt: str | None = None,
        truncate_dim: int | None = None,
        precision: str = "float32",
        n_threads: int | None = None,
        **kwargs: Any,
    ) -> np.ndarray:
        """Embed an Arrow text column: bit-identical to ``encode(texts.to_pylist(), ...)``.

        ``texts`` is a pyarrow ``Array`` or ``ChunkedArray`` of ``string``,
        ``large_string`` or ``string_view``, sliced or not. With the native
        tokenizer (see :attr:`tokenizer_backend`) the C++ tokenizer reads the
        UTF-8 straight from the Arrow buffers, every chunk in one call with the
        GIL released: no Python ``str`` per row. Otherwise (Hugging Face
        ``tokenizers``, or sentence-transformers semantics that keep the unknown
        token) the column goes through ``to_pylist()`` and :meth:`encode`.

        A null row raises ``ValueError`` naming it, on both paths: fill or drop
        nulls first (``pyarrow.compute.fill_null(texts, "")``). Offsets that
        decrease or point outside the data buffer raise ``ValueError``; invalid
        UTF-8 (possible in hand-built arrays) is read as
        ``bytes.decode("utf-8", "replace")`` would read it on the native path.
        Options are :meth:`encode`'s; the result is always 2-D.
        """
        options = self._encode_options(
            max_length, normalize, batch_size, truncate_dim, precision, n_threads, kwargs
        )
        texts = check_arrow_texts(texts)
        row = first_null(texts)
        if row is not None:
            raise null_error(texts, row)
        used_prompt = resolve_prompt(self.prompts, self.default_prompt_name, prompt, prompt_name)
        if not self._fuses(options.limit):
            return self.encode(
                texts.to_pylist(), max_length=max_length, normalize=normalize,
                batch_size=batch_size, prompt_name=prompt_name, prompt=prompt,
                truncate_dim=truncate_dim, precision=precision, n_threads=n_threads, **kwargs,
            )  # fmt: skip
        if used_prompt:
            texts = with_prompt(texts, used_prompt)
        batch = arrow_texts(texts)
        return self._encode_texts(batch, len(batch), options, False)

    def _encode_options(
        self,
        max_length: object,
        normalize: bool | None,
        batch_size: object,
        truncate_dim: int | None,
        precision: str,
        n_threads: int | None,
        kwargs: Mapping[str, Any],
    ) -> _EncodeOptions:
        """``encode``'s options, checked and resolved against the model's defaults."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        if normalize is None and kwargs.get("normalize_embeddings"):
            normalize = True
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        norm = self._normalize if normalize is None else bool(normalize)
        columns = int(self._table.shape[1])
        dim = self._check_truncate_dim(truncate_dim) or self.dim
        return _EncodeOptions(
            limit=self._resolve_max_length(max_length),
            norm=norm,
            # sentence-transformers' Normalize module runs before the cut.
            normalize_full=self._st is not None and normalize is None and norm and dim < columns,
            batch_size=int(batch_size),
            dim=dim,
            precision=precision,
            threads=effective_n_threads(n_threads),
        )

    def _encode_texts(
        self, texts: list[str] | ArrowTexts, n: int, options: _EncodeOptions, progress: bool
    ) -> np.ndarray:
        o = options
        if o.normalize_full:
            full = _core.empty_rows(n, int(self._table.shape[1]))
            self._encode_into(texts, self._table, o.limit, True, full, o.batch_size,
                              progress, o.threads)  # fmt: skip
            out = np.ascontiguousarray(full[:, : o.dim])
        else:
            out = _core.empty_rows(n, o.dim)
            # A column slice of the table: the kernel reads only these columns.
            self._encode_into(texts, self._table[:, : o.dim], o.limit, o.norm, out, o.batch_size,
                              progress, o.threads)  # fmt: skip
        if o.precision != "float32":
            out = quantize_embeddings(out, o.precision)
        return out

    def _fuses(self, limit: int | None) -> bool:
        """Whether encode runs the fused native pass (the only one that takes ArrowTexts).

        It always drops the unknown token (model2vec's rule); sentence-transformers
        semantics keep it, so they tokenize, then pool.
        """
        fused = self._drop_id is not None or self._unk_id is None
        return self._native is not None and fused and not self._keeps_last(limit)

    def _encode_into(
        self,
        texts: list[str] | ArrowTexts,
        table: np.ndarray,
        limit: int | None,
        norm: bool,
        out: np.ndarray,
        batch_size: int,
        show_progress_bar: bool,
        threads: int,
    ) -> None:
        if self._fuses(limit):
            self._encode_native(texts, table, limit, norm, out, batch_size, show_progress_bar,
                                threads)  # fmt: skip
            return
        assert isinstance(texts, list)  # encode_arrow sends Arrow texts only to the fused pass
        n = len(texts)
        # Tokenize batch by batch but pool whole chunks: every switch between the
        # tokenizers thread pool and the OpenMP team costs the spin-wait of the idle
        # one (measured: pooling per 1,024-text batch made encode ~35% slower than
        # pooling once, at 2 threads on 2 cores).
        # With more than one thread, helper threads tokenize the next batches
        # while this one converts finished batches to CSR.
        pipelined = threads > 1 and n > min(batch_size, _PIPELINE_BATCH)
        if self._native is not None and not show_progress_bar:
            # One native call: each call has a fixed cost (measured: 23 calls of
            # 1,024 docstrings took 5x as long as one call over all 23,040).
            batch_size = max(1, n)
        batches = self._csr_batches(texts, limit, batch_size, pipelined=pipelined)
        n_batches = -(-n // (min(batch_size, _PIPELINE_BATCH) if pipelined else batch_size))
        pieces: list[tuple[np.ndarray, np.ndarray]] = []
        chunk_start = chunk_tokens = stop = 0
        for piece in _progress(batches, show_progress_bar, n_batches):
            pieces.append(piece)
            stop += piece[1].size - 1
            chunk_tokens += piece[0].size
            if chunk_tokens >= _POOL_CHUNK_TOKENS or stop == n:
                ids, offsets = _concat_csr(pieces)
                _core.pool_csr(
                    ids, offsets, table, out[chunk_start:stop], self._weights,
                    self._mapping, None, True, norm, threads,
                )  # fmt: skip
                pieces, chunk_start, chunk_tokens = [], stop, 0

    def _encode_native(
        self,
        texts: list[str] | ArrowTexts,
        table: np.ndarray,
        limit: int | None,
        normalize: bool,
        out: np.ndarray,
        batch_size: int,
        show_progress_bar: bool,
        n_threads: int,
    ) -> None:
        """Tokenize and pool in one native pass per batch (GIL released, no Python
        object per token). The model's arrays were checked at load, so the
        native entry is called directly, with no per-call O(vocabulary) check."""
        assert self._native is not None
        char_limit = self._char_limit(limit)
        max_chars = -1 if char_limit is None else char_limit
        max_tokens = -1 if limit is None else limit
        if isinstance(texts, ArrowTexts):  # already a native batch (every chunk of a column)
            self._native.encode_into(
                texts, table, out, self._weights, self._mapping, max_chars, max_tokens,
                normalize, n_threads,
            )  # fmt: skip
            return
        # One call for everything unless a progress bar needs steps: the native
        # pass parallelises inside, so batches only add thread-team wake-ups.
        step = batch_size if show_progress_bar else max(1, len(texts))
        starts = range(0, len(texts), step)
        for start in _progress(starts, show_progress_bar, len(starts)):
            stop = min(start + step, len(texts))
            self._native.encode_into(
                tuple(texts[start:stop]), table, out[start:stop], self._weights,
                self._mapping, max_chars, max_tokens, normalize, n_threads,
            )  # fmt: skip

    def encode_as_sequence(
        self,
        sentences: str | Sequence[str],
        *,
        max_length: int | None = None,
        batch_size: int = 1024,
        show_progress_bar: bool = False,
        **kwargs: Any,
    ) -> np.ndarray | list[np.ndarray]:
        """One float32 row per token (weights applied, no pooling, no normalisation).

        As in model2vec, the model's ``max_length`` is ignored: texts are limited
        only when ``max_length`` is passed here. A text without tokens gives a
        ``(0, dim)`` array.
        """
        single = isinstance(sentences, str)
        texts = _texts(sentences)
        limit = _check_max_length(max_length)
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        result: list[np.ndarray] = []
        batches = self._csr_batches(texts, limit, batch_size, pipelined=False)
        for ids, offsets in _progress(batches, show_progress_bar, -(-len(texts) // batch_size)):
            rows = ids if self._mapping is None else self._mapping[ids]
            vectors = self._table[rows].astype(np.float32)
            if self._weights is not None:
                vectors *= self._weights[ids][:, None]
            result.extend(np.split(vectors, offsets[1:-1]))
        return result[0] if single else result

    # -- saving ---------------------------------------------------------------------------------

    def save_pretrained(
        self,
        path: str | os.PathLike[str],
        model_name: str | None = None,
        subfolder: str | None = None,
    ) -> Path:
        """Write the model as model2vec 0.10 does; model2vec and sentence-transformers load it.

        Writes ``model.safetensors`` (``embeddings``, ``weights``, ``mapping`` as
        loaded), ``config.json`` (with ``embedding_dtype``), ``tokenizer.json``,
        ``modules.json`` (with a Normalize module when ``normalize`` is on) and
        a ``README.md`` model card. Saving over the folder the model was loaded
        from is safe. ``config.json`` always has ``model_type: "model2vec"``
        (a model loaded from a sentence-transformers folder is saved in model2vec's
        layout). ``subfolder``: write to ``path / subfolder``. Returns the folder.
        """
        if subfolder:
            path = Path(path) / subfolder
        config = dict(self._config)
        config["model_type"] = "model2vec"
        tokenizer = Tokenizer.from_str(self._tokenizer.to_str())
        # model2vec's tokenizer holds its max_length as truncation and padding of length 0.
        if self._max_length is None:
            tokenizer.no_truncation()
        else:
            tokenizer.enable_truncation(self._max_length)
        padding = self._source_padding
        if padding is not None:
            tokenizer.enable_padding(
                pad_id=padding["pad_id"],
                pad_token=padding["pad_token"],
                pad_type_id=padding["pad_type_id"],
                length=0,
            )
        return save_model_folder(
            path,
            table=self._table,
            weights=self._weights_saved,
            mapping=self._mapping_saved,
            tokenizer=tokenizer,
            config=config,
            model_name=model_name,
            base_model=self._base_model,
            language=self._language,
        )


def _concat_csr(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Join CSR batches into one (ids int32, offsets int64)."""
    if len(pieces) == 1:
        return pieces[0]
    ids = np.concatenate([p[0] for p in pieces])
    offsets = np.empty(sum(p[1].size - 1 for p in pieces) + 1, dtype=np.int64)
    row = base = 0
    for piece_ids, piece_offsets in pieces:
        k = piece_offsets.size - 1
        np.add(piece_offsets[:-1], base, out=offsets[row : row + k])
        row += k
        base += piece_ids.size
    offsets[row] = base
    return ids, offsets


# from_pretrained arguments a pickled model does not keep (the path is kept resolved).
_NOT_PICKLED = ("cls", "path", "subfolder", "token", "force_download")


def _unpickle_from_folder(
    cls: type[StaticModel], path: str, options: dict[str, Any], table: tuple[Any, str]
) -> StaticModel:
    model = cls.from_pretrained(path, **options)
    now = (tuple(model._table.shape), model._table.dtype.name)
    if now != tuple(table):
        raise ValueError(
            f"{path}: the model folder changed since the model was pickled "
            f"(table shape and dtype {tuple(table)} then, {now} now)"
        )
    return model


def _unpickle_from_state(cls: type[StaticModel], state: dict[str, Any]) -> StaticModel:
    model = cls.__new__(cls)
    native = state.pop("_native", False)
    model.__dict__.update(state)
    model._native = NativeTokenizer(model._tokenizer.to_str()) if native else None
    return model


def _texts(sentences: str | Iterable[str]) -> list[str]:
    """A single text as a one-item list, any other sequence as a list (no copy of a list)."""
    if isinstance(sentences, str):
        return [sentences]
    if isinstance(sentences, (bytes, bytearray)):
        raise TypeError("sentences must be a str or a sequence of str, got bytes")
    texts = sentences if isinstance(sentences, list) else list(sentences)
    if not all(isinstance(text, str) for text in texts):
        check_texts(texts)  # raises, naming the first non-str and its index
    return texts


def _progress(items: Iterable[_T], show: bool, total: int) -> Iterable[_T]:
    if not show:
        return items
    try:
        from tqdm import tqdm
    except ImportError:
        return items
    return tqdm(items, total=total)


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    normalize: bool | None = None,
    max_length: int | None = _UNSET,
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
    if path is None:
        from ._default import default_model_path

        path = default_model_path()
    return StaticModel.from_pretrained(
        path,
        normalize=normalize,
        max_length=max_length,
        quantize_to=quantize_to,
        dimensionality=dimensionality,
        tokenizer_backend=tokenizer_backend,
        truncate_dim=truncate_dim,
        semantics=semantics,
        fold_weights=fold_weights,
    )
