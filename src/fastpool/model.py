"""``StaticModel``: a Model2Vec-compatible static embedding model on the fastpool kernel.

A model is built from parts (``persistence.load_parts`` reads them from a folder)
and checks its arrays once; ``encode`` then tokenizes through its
``TokenizerPipeline`` and pools on the kernel, with no per-call work
proportional to the vocabulary. Vectors equal model2vec 0.10's (see
``docs/models.md``), except that fastpool always returns float32.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, overload

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from . import _checks, _core
from ._checks import UNSET
from ._encode import pool_chunks
from ._progress import progress
from ._similarity import SIMILARITY_FUNCTIONS, similarity
from ._st import PRECISIONS, quantize_embeddings, resolve_prompt
from ._threads import effective_n_threads
from ._tokenizer_doc import TokenizerDoc
from .persistence import ModelParts, load_parts, save_model_folder
from .persistence.hub import download_model, is_hub_id, push_folder
from .tokenizer import TokenizerPipeline, arrow, model2vec_tokenizer, private_tokenizer, vocabulary
from .tokenizer.native import MAX_CACHE_WORDS, CacheInfo
from .tokenizer.pipeline import PIPELINE_BATCH

__all__ = ["DEFAULT_MAX_LENGTH", "StaticModel"]

DEFAULT_MAX_LENGTH = 512
# from_pretrained arguments a pickled model does not keep (the path is kept resolved).
_NOT_PICKLED = ("cls", "path", "subfolder", "token", "force_download", "revision")


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

    Parameters (model2vec 0.10's, in its order; positional or keyword)
    ----------
    vectors : (rows, dim) array of float32, float16, bfloat16, float64 or int8
        The table, used in place when the kernel can read it (a memory map stays
        a memory map; a Fortran-ordered or strided array is copied once).
    tokenizer : tokenizers.Tokenizer
        Copied: two models built over one ``Tokenizer`` never share state.
    config : mapping, optional
        The model's config, stored as a copy (the caller's mapping is never
        changed); ``normalize`` and ``max_length`` are written into the copy.
    normalize : bool
        Default of ``encode(normalize=...)``. As in model2vec it is
        authoritative: it overrides ``config["normalize"]`` (default False).
    base_model_name, language : optional
        Model card metadata, written by :meth:`save_pretrained`.
    weights : float array, optional
        One weight per token id.
    token_mapping : int32 or int64 array, optional
        Table row per token id (vocabulary-quantized models). Without one the
        table needs one row per token (ValueError otherwise).
    max_length : int or None
        Default token limit of :meth:`encode` (None: no limit); authoritative
        as ``normalize`` (default 512).

    Keyword-only, fastpool's own:

    tokenizer_backend : {"auto", "native", "tokenizers"}
        "auto" (default) tokenizes with fastpool's native WordPiece tokenizer
        when it reproduces ``tokenizers`` exactly for this tokenizer.json (BERT
        WordPiece pipelines), else with Hugging Face ``tokenizers``. "native"
        raises ValueError, with the reason, when the tokenizer is not supported.
    truncate_dim : int, optional
        Default of ``encode(truncate_dim=...)``: keep the first ``truncate_dim``
        columns of each vector (Matryoshka models). The kernel reads only those
        columns of the table.
    mapping, base_model
        fastpool's earlier names of ``token_mapping`` and ``base_model_name``.
    """

    def __init__(
        self,
        vectors: npt.ArrayLike,
        tokenizer: Tokenizer,
        config: Mapping[str, Any] | None = None,
        normalize: bool = False,
        base_model_name: str | None = None,
        language: list[str] | str | None = None,
        weights: npt.ArrayLike | None = None,
        token_mapping: npt.ArrayLike | None = None,
        max_length: int | None = DEFAULT_MAX_LENGTH,
        *,
        tokenizer_backend: str = "auto",
        truncate_dim: int | None = None,
        mapping: npt.ArrayLike | None = None,
        base_model: str | None = None,
    ) -> None:
        token_mapping = _checks.one_spelling(token_mapping, mapping, "token_mapping", "mapping")
        base_model_name = _checks.one_spelling(
            base_model_name, base_model, "base_model_name", "base_model"
        )
        _checks.instance(tokenizer, "tokenizer", Tokenizer, "a tokenizers.Tokenizer")
        _checks.instance(config, "config", (Mapping, type(None)), "a mapping or None")
        parts = ModelParts(
            table=np.asarray(vectors), tokenizer=_private_doc(tokenizer),
            weights=None if weights is None else np.asarray(weights),
            mapping=None if token_mapping is None else np.asarray(token_mapping),
            config=dict(config or {}), base_model=base_model_name,
            language=language,
        )  # fmt: skip
        self._build(parts, normalize, max_length, tokenizer_backend, truncate_dim)

    @classmethod
    def from_parts(
        cls,
        parts: ModelParts,
        *,
        normalize: bool | None = None,
        max_length: int | None = UNSET,
        tokenizer_backend: str = "auto",
        truncate_dim: int | None = None,
    ) -> StaticModel:
        """A model from :class:`fastpool.persistence.ModelParts` (what loading a folder
        gives), used as they are: the tokenizer is not copied, the table not touched."""
        model = cls.__new__(cls)
        model._build(parts, normalize, max_length, tokenizer_backend, truncate_dim)
        return model

    def _build(
        self,
        parts: ModelParts,
        normalize: bool | None,
        max_length: object,
        tokenizer_backend: str,
        truncate_dim: int | None,
    ) -> None:
        """Check the parts against each other and take them (every array check is here)."""
        st = parts.st_settings
        source = parts.source
        self._st = st
        self._doc = parts.tokenizer
        self._backend_option = tokenizer_backend
        self._compat_tokenizer: Tokenizer | None = None
        self._tokens: tuple[str, ...] | None = None
        self._pipeline = TokenizerPipeline(
            parts.tokenizer, backend=tokenizer_backend,
            sentence_transformers=st is not None, keep_last=st is not None and st.keep_last,
            source=source,
        )  # fmt: skip
        pipe = self._pipeline
        cache_words = getattr(self, "_cache_words", None)  # a rebuild keeps the setting
        if cache_words is not None:
            pipe.set_cache_words(cache_words)
        with _checks.naming(source, a_file=parts.from_file):
            arrays = _checks.pool_arrays(parts.table, parts.weights, parts.mapping)
            if arrays.mapping is None and arrays.table.shape[0] != pipe.n_tokens:
                raise ValueError(
                    f"the table has {arrays.table.shape[0]} rows but the tokenizer has "
                    f"{pipe.n_tokens} tokens; a table needs one row per token unless "
                    "the model has a mapping"
                )
            if pipe.max_id >= arrays.n_ids:
                raise ValueError(
                    f"the tokenizer has token id {pipe.max_id} but the model has only "
                    f"{arrays.n_ids} ({arrays.ids_are})"
                )
        self._arrays = arrays
        self._table = arrays.table
        self._weights, self._weights_saved = arrays.weights, parts.weights
        self._mapping, self._mapping_saved = arrays.mapping, parts.mapping

        config = dict(parts.config)
        if max_length is UNSET:  # sentence-transformers: the tokenizer's own truncation
            max_length = st.max_tokens if st is not None else config.get("max_length", 512)
        if normalize is None:
            normalize = st.normalize if st is not None else config.get("normalize", False)
        columns = int(self._table.shape[1])
        self._truncate_dim = _checks.column_count(truncate_dim, "truncate_dim", columns)
        self._max_length = _checks.max_length(max_length)
        self._normalize = bool(normalize)
        config["max_length"] = self._max_length
        config["normalize"] = self._normalize
        self._config = config
        self._base_model = parts.base_model
        self._language = parts.language
        # (folder, from_pretrained options) when loaded from a folder: see __reduce__.
        self._pickle_as: tuple[str, dict[str, Any]] | None = None

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
        max_length: int | None = UNSET,
        force_download: bool = True,
        *,
        revision: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        tokenizer_backend: str = "auto",
        truncate_dim: int | None = None,
        semantics: str = "auto",
        mmap: bool = True,
        fold_weights: bool = False,
    ) -> StaticModel:
        """Load a model from a local Model2Vec or sentence-transformers folder, or
        from the Hugging Face Hub.

        The positional order is model2vec 0.10's, so calls written for
        ``model2vec.StaticModel.from_pretrained`` work unchanged.

        The table is memory-mapped, not copied (unless ``quantize_to`` changes
        its dtype or ``mmap=False``), from the folder or from the hub cache.

        Parameters
        ----------
        path : path-like or str
            A local folder in one of the layouts ``config.json`` +
            ``model.safetensors`` + ``tokenizer.json``;
            ``config_sentence_transformers.json`` + ``model.safetensors`` +
            ``tokenizer.json``; or ``config_sentence_transformers.json`` +
            ``0_StaticEmbedding/{model.safetensors,tokenizer.json}``. Or, when
            no such path exists, a hub repo id (``"minishlab/potion-base-8M"``):
            ``huggingface_hub`` downloads only the files those layouts name (and
            ``modules.json``, ``README.md``) into its cache; with
            ``HF_HUB_OFFLINE=1`` the cache alone is used (FileNotFoundError
            naming what is missing).
        token : str, optional
            Hub token, for private or gated repos (never pickled).
        force_download : bool
            Hub ids only, model2vec's meaning: True (default) asks the hub for
            the latest files (downloading only what changed); False uses the
            cached snapshot when it holds a complete model.
        revision : str, optional
            Hub ids only: branch, tag or commit (default ``"main"``).
        cache_dir : path-like, optional
            Hub ids only: the ``huggingface_hub`` cache to use (default ``HF_HUB_CACHE``).
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
        subfolder : str, optional
            Load from ``path / subfolder`` (for a hub id: only that folder is downloaded).
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
            ``path`` is neither a local folder nor a hub id found (or cached).
        ImportError
            ``path`` is a hub id and ``huggingface_hub`` is not installed.
        ValueError
            No known layout, or a file is truncated, corrupt or inconsistent
            (the message names the file).
        """
        # Every option but the path, first thing (so locals() holds only the arguments).
        options = {k: v for k, v in locals().items() if k not in _NOT_PICKLED}
        folder = Path(path).expanduser() / subfolder if subfolder else Path(path).expanduser()
        pickle_as = (os.path.abspath(folder), options)
        if is_hub_id(path):
            snapshot = download_model(
                os.fspath(path), revision=revision, token=token, subfolder=subfolder,
                cache_dir=cache_dir, force_download=force_download,
            )  # fmt: skip
            path = snapshot.folder
            folder = path / subfolder if subfolder else path
            if snapshot.commit is not None:  # unpickled from the cache, at this very commit
                pinned = {"revision": snapshot.commit, "force_download": False}
                pickle_as = (snapshot.repo_id, {**options, "subfolder": subfolder, **pinned})
            else:
                pickle_as = (os.path.abspath(folder), options)
        parts = load_parts(
            path, subfolder=subfolder, quantize_to=quantize_to, dimensionality=dimensionality,
            vocabulary_quantization=vocabulary_quantization, semantics=semantics, mmap=mmap,
            fold_weights=fold_weights,
        )  # fmt: skip
        model = cls.from_parts(
            parts, normalize=normalize, max_length=max_length,
            tokenizer_backend=tokenizer_backend, truncate_dim=truncate_dim,
        )  # fmt: skip
        model._pickle_as = pickle_as
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
        self._truncate_dim = _checks.column_count(value, "truncate_dim", int(self._table.shape[1]))

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
        return similarity(a, b, fn=self.similarity_fn_name)

    # -- model2vec's attributes, settable as model2vec's are --------------------------------

    def _replace(self, **changes: Any) -> None:
        """Rebuild the model with some parts changed, checked as at construction.

        The model keeps its ``normalize``, ``max_length``, ``truncate_dim`` and
        backend choice; it no longer pickles as its folder (it no longer is one).
        """
        parts = ModelParts(
            table=self._table, tokenizer=self._doc,
            weights=self._weights_saved, mapping=self._mapping_saved, config=self._config,
            base_model=self._base_model, language=self._language,
            st_settings=self._st,
        )  # fmt: skip
        parts = dataclasses.replace(parts, **changes)
        self._build(parts, self._normalize, self._max_length, self._backend_option,
                    self._truncate_dim)  # fmt: skip

    def set_arrays(
        self,
        embedding: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
        token_mapping: npt.ArrayLike | None = None,
    ) -> None:
        """Replace the table, weights and mapping together, checked together.

        Setting :attr:`embedding`, :attr:`weights` or :attr:`token_mapping` one
        at a time checks each against the others at once, so a change of the
        number of rows (a table and its mapping) goes here.
        """
        self._replace(
            table=np.asarray(embedding),
            weights=None if weights is None else np.asarray(weights),
            mapping=None if token_mapping is None else np.asarray(token_mapping),
        )

    @property
    def embedding(self) -> np.ndarray:
        """model2vec's name for :attr:`table`.

        Settable, as in model2vec: the model then pools over the new array (checked
        against the vocabulary, mapping and weights as the constructor checks). A
        memory-mapped file is never written: the model simply stops using it.
        """
        return self._table

    @embedding.setter
    def embedding(self, value: npt.ArrayLike) -> None:
        self._replace(table=np.asarray(value))

    @property
    def token_mapping(self) -> np.ndarray | None:
        """model2vec's name: the mapping as loaded (None when there is none); settable."""
        return self._mapping_saved

    @token_mapping.setter
    def token_mapping(self, value: npt.ArrayLike | None) -> None:
        self._replace(mapping=None if value is None else np.asarray(value))

    @property
    def source_weights(self) -> np.ndarray | None:
        """The same as :attr:`weights` (the name it had before ``weights`` kept the dtype)."""
        return self._weights_saved

    @property
    def base_model_name(self) -> str | None:
        """The model card's ``base_model`` (model2vec's attribute); settable."""
        return self._base_model

    @base_model_name.setter
    def base_model_name(self, value: str | None) -> None:
        self._base_model = value

    @property
    def language(self) -> list[str] | str | None:
        """The model card's ``language`` (model2vec's attribute); settable."""
        return self._language

    @language.setter
    def language(self, value: list[str] | str | None) -> None:
        self._language = value

    @property
    def _tokenizer(self) -> Tokenizer:
        """The model's private ``tokenizers.Tokenizer`` (truncation and padding off),
        built from its tokenizer.json on first use."""
        return self._doc.tokenizer()

    @property
    def tokenizer(self) -> Tokenizer:
        """A ``tokenizers.Tokenizer`` set up as model2vec's ``model.tokenizer``
        (truncation at ``max_length``, padding of length 0), e.g. to count tokens.

        It is a copy: changing it in place does not change what ``encode`` does.
        Assigning a new ``Tokenizer`` does (checked against the table as the
        constructor checks it).
        """
        if self._compat_tokenizer is None:  # built from the json: no copy of a Tokenizer
            self._compat_tokenizer = model2vec_tokenizer(
                self._doc.text, self._max_length, self._doc.padding
            )
        return self._compat_tokenizer

    @tokenizer.setter
    def tokenizer(self, value: Tokenizer) -> None:
        _checks.instance(value, "tokenizer", Tokenizer, "a tokenizers.Tokenizer")
        self._replace(tokenizer=_private_doc(value))

    @property
    def tokens(self) -> tuple[str, ...]:
        """The vocabulary (added tokens included), sorted by token id.

        Settable, as in model2vec, where it is informational: encoding follows
        the tokenizer, never this tuple.
        """
        if self._tokens is None:
            self._tokens = vocabulary(self._tokenizer)  # idempotent: safe to race
        return self._tokens

    @tokens.setter
    def tokens(self, value: Sequence[str]) -> None:
        self._tokens = tuple(value)

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
        self._max_length = _checks.max_length(value)
        self._config["max_length"] = self._max_length
        self._compat_tokenizer = None

    @property
    def tokenizer_backend(self) -> str:
        """``"native"`` (fastpool's C++ WordPiece) or ``"tokenizers"`` (Hugging Face)."""
        return self._pipeline.backend

    def clear_cache(self) -> None:
        """Free what the tokenizer keeps between ``encode`` calls.

        The native tokenizer keeps, per thread that ran, its buffers and a word cache
        (the ids of up to ``cache_words`` words, 3–5 MB on real text) for the next
        call, as ``tokenizers`` keeps its own word cache; a server that encoded one
        large batch on many threads can give that memory back here. On the
        ``tokenizers`` backend this clears ``tokenizers``' word cache. Results never
        depend on the cache, only speed does; a call running meanwhile frees its
        memory when it ends.
        """
        self._pipeline.clear_cache()

    @property
    def cache_words(self) -> int | None:
        """The most words each thread's word cache holds (0: no cache; default 65,536).

        Only the byte-level BPE and Unigram tokenizers cache words. Setting it clears
        the cache (see ``clear_cache``) and applies to every later call; on the
        ``tokenizers`` backend it resizes ``tokenizers``' cache, and reads as None
        (``tokenizers`` does not say).
        """
        native = self._pipeline.native
        return None if native is None else native.cache_words

    @cache_words.setter
    def cache_words(self, value: int) -> None:
        words = _checks.bounded_int(value, "cache_words", MAX_CACHE_WORDS)
        self._pipeline.set_cache_words(words)
        self._cache_words = words

    def cache_info(self) -> CacheInfo | None:
        """What the native tokenizer keeps between calls now (per-thread scratches,
        cached words, bytes allocated), or None on the ``tokenizers`` backend."""
        native = self._pipeline.native
        return None if native is None else native.cache_info()

    @property
    def median_token_length(self) -> int:
        """Median token length in code points; texts are cut to ``max_length`` times this."""
        return self._pipeline.median_token_length

    @property
    def embedding_dtype(self) -> str:
        """dtype name of the table (``"float32"``, ``"float16"``, ``"int8"``, ...)."""
        return np.dtype(self._table.dtype).name

    @property
    def vocabulary_quantization(self) -> int | None:
        """Number of table rows for a vocabulary-quantized model, else None."""
        quantized = self._mapping is not None or self._table.shape[0] != self._pipeline.n_tokens
        return int(self._table.shape[0]) if quantized else None

    @property
    def config(self) -> dict[str, Any]:
        """The model's config (with the resolved ``normalize`` and ``max_length``).

        As in model2vec it is the model's own dict, not a copy: keys set in it are
        saved by :meth:`save_pretrained`. Setting ``normalize`` or ``max_length``
        on the model updates it; editing those keys in it does not change the model.
        """
        return self._config

    @config.setter
    def config(self, value: Mapping[str, Any]) -> None:
        self._config = dict(_checks.instance(value, "config", Mapping, "a mapping"))

    @property
    def table(self) -> np.ndarray:
        """The embedding table (read-only when memory-mapped)."""
        return self._table

    @property
    def weights(self) -> np.ndarray | None:
        """Per-token weights as loaded or given, in their own dtype (model2vec's
        attribute), or None. Settable: one weight per token id, checked as the
        constructor checks it. The kernel pools with a float32 copy of them."""
        return self._weights_saved

    @weights.setter
    def weights(self, value: npt.ArrayLike | None) -> None:
        self._replace(weights=None if value is None else np.asarray(value))

    @property
    def mapping(self) -> np.ndarray | None:
        """Table row per token id as int32, or None."""
        return self._mapping

    @property
    def unk_token_id(self) -> int | None:
        """The token id dropped after tokenizing (model2vec's rule), or None."""
        return self._pipeline.unk_id

    def __repr__(self) -> str:
        vq = self.vocabulary_quantization
        return (
            f"StaticModel(tokens={self._pipeline.n_tokens}, dim={self.dim}, "
            f"dtype={self.embedding_dtype}"
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
        state["_compat_tokenizer"] = None
        return (_unpickle_from_state, (type(self), state))

    # -- tokenizing -----------------------------------------------------------------------------

    def _resolve_max_length(self, max_length: object) -> int | None:
        return self._max_length if max_length is UNSET else _checks.max_length(max_length)

    def tokenize_csr(
        self, sentences: str | Sequence[str], *, max_length: int | None = UNSET
    ) -> tuple[np.ndarray, np.ndarray]:
        """The token ids ``encode`` pools, as CSR: int32 ``ids`` and int64 ``offsets``.

        Text ``i`` is ``ids[offsets[i]:offsets[i + 1]]``. ``pool(*tokenize_csr(x))``
        equals ``encode(x)`` for a list ``x``. ``max_length`` as in :meth:`encode`.
        """
        texts = _checks.texts(sentences)
        return self._pipeline.tokenize(texts, self._resolve_max_length(max_length))

    @overload
    def tokenize(  # type: ignore[overload-overlap]  # a str is also a Sequence[str]
        self, sentences: str, *, max_length: int | None = ...
    ) -> list[int]: ...
    @overload
    def tokenize(
        self, sentences: Sequence[str], *, max_length: int | None = ...
    ) -> list[list[int]]: ...

    def tokenize(
        self, sentences: str | Sequence[str], *, max_length: int | None = UNSET
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

        ``ids`` and ``offsets`` are checked as :func:`fastpool.encode` checks them
        (range, monotone offsets); the model's own arrays were checked at load.
        """
        ids_arr = _checks.integer_vector(ids, "ids")
        offsets_arr = _checks.offsets(offsets, ids_arr.size)
        _checks.in_range(ids_arr, "ids", self._arrays.n_ids, self._arrays.ids_are)
        out = _core.empty_rows(offsets_arr.size - 1, self.dim)
        norm = self._normalize if normalize is None else bool(normalize)
        _core.pool_csr(
            ids_arr, offsets_arr, self._table[:, : self.dim], out, self._weights, self._mapping,
            None, True, norm, effective_n_threads(n_threads),
        )  # fmt: skip
        return out

    # -- encoding -------------------------------------------------------------------------------

    def encode(
        self,
        sentences: str | Sequence[str],
        *,
        show_progress_bar: bool = False,
        max_length: int | None = UNSET,
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
        texts = _checks.texts(sentences)
        used_prompt = resolve_prompt(self.prompts, self.default_prompt_name, prompt, prompt_name)
        if used_prompt:
            texts = [used_prompt + text for text in texts]
        out = self._encode_texts(texts, len(texts), options, show_progress_bar)
        return out[0] if single else out

    def encode_arrow(
        self,
        texts: Any,
        *,
        max_length: int | None = UNSET,
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
        texts = arrow.check_arrow_texts(texts)
        row = arrow.first_null(texts)
        if row is not None:
            raise arrow.null_error(texts, row)
        used_prompt = resolve_prompt(self.prompts, self.default_prompt_name, prompt, prompt_name)
        if not self._pipeline.fuses(options.limit):
            return self.encode(
                texts.to_pylist(), max_length=max_length, normalize=normalize,
                batch_size=batch_size, prompt_name=prompt_name, prompt=prompt,
                truncate_dim=truncate_dim, precision=precision, n_threads=n_threads, **kwargs,
            )  # fmt: skip
        if used_prompt:
            texts = arrow.with_prompt(texts, used_prompt)
        batch = arrow.arrow_texts(texts)
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
        _checks.one_of(precision, "precision", PRECISIONS)
        if normalize is None and kwargs.get("normalize_embeddings"):
            normalize = True
        batch = _checks.positive_int(batch_size, "batch_size")
        norm = self._normalize if normalize is None else bool(normalize)
        columns = int(self._table.shape[1])
        dim = _checks.column_count(truncate_dim, "truncate_dim", columns) or self.dim
        return _EncodeOptions(
            limit=self._resolve_max_length(max_length),
            norm=norm,
            # sentence-transformers' Normalize module runs before the cut.
            normalize_full=self._st is not None and normalize is None and norm and dim < columns,
            batch_size=batch,
            dim=dim,
            precision=precision,
            threads=effective_n_threads(n_threads),
        )

    def _encode_texts(
        self, texts: list[str] | arrow.ArrowTexts, n: int, options: _EncodeOptions, progress: bool
    ) -> np.ndarray:
        o = options
        columns = int(self._table.shape[1])
        width = columns if o.normalize_full else o.dim
        out = _core.empty_rows(n, width)
        # A column slice of the table: the kernel reads only these columns.
        arrays = self._arrays._replace(table=self._table[:, :width])
        self._encode_into(texts, arrays, o.limit, o.norm or o.normalize_full, out,
                          o.batch_size, progress, o.threads)  # fmt: skip
        if o.normalize_full:
            out = np.ascontiguousarray(out[:, : o.dim])
        if o.precision != "float32":
            out = quantize_embeddings(out, o.precision)
        return out

    def _encode_into(
        self,
        texts: list[str] | arrow.ArrowTexts,
        arrays: _checks.PoolArrays,
        limit: int | None,
        norm: bool,
        out: np.ndarray,
        batch_size: int,
        show_progress_bar: bool,
        threads: int,
    ) -> None:
        pipe = self._pipeline
        if pipe.fuses(limit):
            pipe.encode_fused(texts, arrays, out, limit, norm, show_progress_bar, batch_size,
                              threads)  # fmt: skip
            return
        assert isinstance(texts, list)  # encode_arrow sends Arrow texts only to the fused pass
        n = len(texts)
        # With more than one thread, helper threads tokenize the next batches while
        # this one converts finished batches to CSR.
        pipelined = threads > 1 and n > min(batch_size, PIPELINE_BATCH)
        if pipe.native is not None and not show_progress_bar:
            # One native call: each call has a fixed cost (measured: 23 calls of
            # 1,024 docstrings took 5x as long as one call over all 23,040).
            batch_size = max(1, n)
        batches = pipe.csr_batches(texts, limit, batch_size, pipelined=pipelined)
        n_batches = -(-n // (min(batch_size, PIPELINE_BATCH) if pipelined else batch_size))
        pool_chunks(progress(batches, show_progress_bar, n_batches), arrays, out, norm, threads)

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
        texts = _checks.texts(sentences)
        limit = _checks.max_length(max_length)
        batch = _checks.positive_int(batch_size, "batch_size")
        result: list[np.ndarray] = []
        batches = self._pipeline.csr_batches(texts, limit, batch, pipelined=False)
        for ids, offsets in progress(batches, show_progress_bar, -(-len(texts) // batch)):
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
        return save_model_folder(
            path,
            table=self._table,
            weights=self._weights_saved,
            mapping=self._mapping_saved,
            tokenizer=model2vec_tokenizer(self._doc.text, self._max_length, self._doc.padding),
            config=config,
            model_name=model_name,
            base_model=self._base_model,
            language=self._language,
        )

    def push_to_hub(
        self,
        repo_id: str,
        private: bool = False,
        token: str | None = None,
        subfolder: str | None = None,
    ) -> None:
        """Upload the model to the Hugging Face Hub, as model2vec 0.10 does.

        Saves it with :meth:`save_pretrained` (``model_name=repo_id``) into a
        temporary folder and uploads that with ``huggingface_hub``, creating the
        repo first when it does not exist (``private`` then sets its
        visibility; an existing repo keeps its own). ``subfolder``: the folder
        inside the repo.
        """
        with tempfile.TemporaryDirectory() as tmp:
            self.save_pretrained(tmp, model_name=repo_id)
            push_folder(Path(tmp), repo_id, private=private, token=token, subfolder=subfolder)

    def export_onnx(self, path: str | os.PathLike[str]) -> Path:
        """Write the model's pooling as ONNX (``input_ids`` + ``offsets`` in, ``embeddings``
        out; opset 18) with tokenizer.json beside it; see docs/onnx.md. ``path``: a file
        ending ``.onnx`` or a folder (which gets ``model.onnx``). Needs ``fastpool[onnx]``.
        Returns the .onnx path."""
        from .persistence.onnx_export import build_onnx_model, write_onnx

        pipe = self._pipeline
        metadata = {
            "max_length": self._max_length, "unk_id": pipe.drop_id,
            "median_token_length": pipe.char_limit(1), "semantics": self.semantics,
        }  # fmt: skip
        graph = build_onnx_model(
            self._table, weights=self._weights, mapping=self._mapping,
            normalize=self._normalize, dim=self.dim, metadata=metadata,
        )  # fmt: skip
        tok = model2vec_tokenizer(self._doc.text, self._max_length, self._doc.padding)
        return write_onnx(graph, path, tok.to_str())


def _private_doc(tokenizer: Tokenizer) -> TokenizerDoc:
    """A model's own copy of a user's ``tokenizer`` (truncation and padding off), as a doc."""
    copy = private_tokenizer(tokenizer)
    return TokenizerDoc(copy.to_str(), tokenizer=copy, padding=tokenizer.padding)


def _unpickle_from_folder(
    cls: type[StaticModel], path: str, options: dict[str, Any], table: tuple[Any, str]
) -> StaticModel:
    model = cls.from_pretrained(path, **options)
    now = (tuple(model.table.shape), model.table.dtype.name)
    if now != tuple(table):
        raise ValueError(
            f"{path}: the model folder changed since the model was pickled "
            f"(table shape and dtype {tuple(table)} then, {now} now)"
        )
    return model


def _unpickle_from_state(cls: type[StaticModel], state: dict[str, Any]) -> StaticModel:
    model = cls.__new__(cls)
    model.__dict__.update(state)
    return model
