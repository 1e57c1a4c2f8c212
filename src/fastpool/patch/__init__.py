"""Run code written for ``model2vec.StaticModel`` on fastpool, unchanged.

Some libraries accept only real ``model2vec.StaticModel`` instances (chonkie,
BERTopic, embetter check ``isinstance``). :func:`patch_model2vec` swaps in
``FastpoolStaticModel``, a subclass of ``model2vec.StaticModel`` whose loading
memory-maps the table and whose ``encode`` runs on fastpool, under the name
``StaticModel`` in ``model2vec``, ``model2vec.model`` and every module already
imported that holds the original class (``from model2vec import StaticModel``
done before the patch). Vectors keep model2vec's semantics, for every layout.

    import fastpool
    fastpool.patch_model2vec()

or, for a script: ``python -m fastpool.patch script.py [args]`` (or
``python -m fastpool.patch -m package.module [args]``).

Local folders load through fastpool; anything else (a hub id) through
model2vec's own loader, after which the arrays still encode on fastpool.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path
from typing import Any

__all__ = ["patch_model2vec", "unpatch_model2vec"]

_ORIGINAL: Any = None
_PATCHED: Any = None
_REPLACED: list[tuple[Any, str]] = []


def _make_class(original: type) -> type:
    import numpy as np

    from .._checks import UNSET
    from ..model import StaticModel

    class FastpoolStaticModel(original):  # type: ignore[misc, valid-type]
        """``model2vec.StaticModel`` backed by a :class:`fastpool.StaticModel`.

        Attributes model2vec code reads (``embedding``, ``tokenizer``,
        ``tokens``, ``weights``, ``token_mapping``, ``config``, ...) come from the
        fastpool model; ``encode``, ``encode_as_sequence`` and ``tokenize`` run
        on it. ``save_pretrained``, ``push_to_hub`` and quantization are
        model2vec's own, on those attributes.
        """

        def __init__(
            self,
            vectors: Any = None,
            tokenizer: Any = None,
            config: Any = None,
            normalize: bool = False,
            base_model_name: str | None = None,
            language: list[str] | None = None,
            weights: Any = None,
            token_mapping: Any = None,
            max_length: int | None = 512,
            *,
            _fastpool: StaticModel | None = None,
        ) -> None:
            if _fastpool is None:
                _fastpool = StaticModel(
                    vectors,
                    tokenizer,
                    weights=weights,
                    mapping=token_mapping,
                    config=config,
                    normalize=normalize,
                    max_length=max_length,
                    base_model=base_model_name,
                    language=language,
                )
            self._fastpool = _fastpool

        @classmethod
        def from_pretrained(  # type: ignore[override]
            cls,
            path: Any,
            token: str | None = None,
            normalize: bool | None = None,
            subfolder: str | None = None,
            quantize_to: Any = None,
            dimensionality: int | None = None,
            vocabulary_quantization: int | None = None,
            max_length: Any = UNSET,
            force_download: bool = True,
        ) -> Any:
            from model2vec.types import _UnsetType

            if isinstance(max_length, _UnsetType):
                max_length = UNSET
            local = Path(path).expanduser()
            if subfolder:
                local = local / subfolder
            if not local.is_dir():  # a hub id: model2vec downloads, fastpool encodes
                kwargs = {} if max_length is UNSET else {"max_length": max_length}
                return super().from_pretrained(
                    path, token=token, normalize=normalize, subfolder=subfolder,
                    quantize_to=quantize_to, dimensionality=dimensionality,
                    vocabulary_quantization=vocabulary_quantization,
                    force_download=force_download, **kwargs,
                )  # fmt: skip
            model = StaticModel.from_pretrained(
                local, normalize=normalize, quantize_to=quantize_to,
                dimensionality=dimensionality,
                vocabulary_quantization=vocabulary_quantization, max_length=max_length,
                semantics="model2vec",
            )  # fmt: skip
            return cls(_fastpool=model)

        load_local = from_pretrained

        # -- model2vec's attributes, read from the fastpool model --------------------
        @property
        def fastpool_model(self) -> StaticModel:
            """The :class:`fastpool.StaticModel` doing the work."""
            return self._fastpool

        @property
        def embedding(self) -> np.ndarray:  # type: ignore[override]
            return self._fastpool.table

        @property
        def weights(self) -> np.ndarray | None:  # type: ignore[override]
            return self._fastpool.source_weights

        @property
        def token_mapping(self) -> np.ndarray | None:  # type: ignore[override]
            return self._fastpool.token_mapping

        @property
        def tokens(self) -> tuple[str, ...]:  # type: ignore[override]
            return self._fastpool.tokens

        @property
        def tokenizer(self) -> Any:  # type: ignore[override]
            return self._fastpool.tokenizer

        @property
        def unk_token_id(self) -> int | None:  # type: ignore[override]
            return self._fastpool.unk_token_id

        @property
        def median_token_length(self) -> int:  # type: ignore[override]
            return self._fastpool.median_token_length

        @property
        def config(self) -> dict[str, Any]:  # type: ignore[override]
            return self._fastpool._config  # live, as model2vec's attribute

        @property
        def base_model_name(self) -> str | None:  # type: ignore[override]
            return self._fastpool.base_model_name

        @property
        def language(self) -> Any:  # type: ignore[override]
            return self._fastpool.language

        @property
        def normalize(self) -> bool:  # type: ignore[override]
            return self._fastpool.normalize

        @normalize.setter
        def normalize(self, value: bool) -> None:
            self._fastpool.normalize = value

        @property
        def max_length(self) -> int | None:  # type: ignore[override]
            return self._fastpool.max_length

        @max_length.setter
        def max_length(self, value: int | None) -> None:
            self._fastpool.max_length = value

        # -- inference on fastpool ----------------------------------------------------
        def encode(self, sentences: Any, **kwargs: Any) -> np.ndarray:  # type: ignore[override]
            return self._fastpool.encode(sentences, **kwargs)

        def encode_as_sequence(self, sentences: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            return self._fastpool.encode_as_sequence(sentences, **kwargs)

        def __repr__(self) -> str:
            return f"FastpoolStaticModel({self._fastpool!r})"

    FastpoolStaticModel.__module__ = "fastpool.patch"
    FastpoolStaticModel.__qualname__ = "FastpoolStaticModel"
    return FastpoolStaticModel


def patch_model2vec() -> type:
    """Make ``model2vec.StaticModel`` a fastpool-backed subclass; returns it.

    Replaces the name in ``model2vec``, ``model2vec.model`` and in every module
    already imported that holds the original class; modules imported later get
    the subclass from ``model2vec``. Instances still pass
    ``isinstance(x, model2vec.StaticModel)`` for the original class too.
    Calling it again does nothing. Raises ImportError without model2vec.
    """
    global _ORIGINAL, _PATCHED
    try:
        import model2vec
        import model2vec.model
    except ImportError as err:
        raise ImportError("patch_model2vec needs model2vec: pip install model2vec") from err
    if _PATCHED is not None and model2vec.StaticModel is _PATCHED:
        return _PATCHED
    original = model2vec.model.StaticModel
    _ORIGINAL = original
    _PATCHED = _make_class(original)
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict) or module is sys.modules.get(__name__):
            continue
        for name, value in list(namespace.items()):
            if value is original:
                setattr(module, name, _PATCHED)
                _REPLACED.append((module, name))
    return _PATCHED


def unpatch_model2vec() -> None:
    """Undo :func:`patch_model2vec` (puts the original class back where it was replaced)."""
    global _PATCHED
    if _PATCHED is None:
        return
    for module, name in _REPLACED:
        if getattr(module, name, None) is _PATCHED:
            setattr(module, name, _ORIGINAL)
    _REPLACED.clear()
    _PATCHED = None


_USAGE = "usage: python -m fastpool.patch (script.py | -m module) [args ...]"


def main(argv: list[str] | None = None) -> None:
    """``python -m fastpool.patch script.py [args]``: patch model2vec, then run the script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or (args[0] == "-m" and len(args) < 2):
        print(_USAGE, file=sys.stderr)
        raise SystemExit(2)
    patch_model2vec()
    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return
    script = args[0]
    sys.argv = args
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
