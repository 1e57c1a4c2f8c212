"""Run code written for ``model2vec.StaticModel`` on fastpool, unchanged.

Some libraries accept only real ``model2vec.StaticModel`` instances (chonkie,
BERTopic, embetter check ``isinstance``; BERTopic picks its backend by
``"model2vec" in str(type(model))``). :func:`patch_model2vec` swaps in a
subclass of ``model2vec.StaticModel``, itself named
``model2vec.model.StaticModel``, whose loading memory-maps the table (local
folders and hub ids alike, through fastpool) and whose ``encode`` runs on
fastpool. It replaces the name ``StaticModel`` in ``model2vec``,
``model2vec.model`` and every module already imported that holds the original
class (``from model2vec import StaticModel`` done before the patch). Vectors
keep model2vec's semantics, for every layout. Patched models pickle (and
``joblib.dump``) as their fastpool model and load back, in any process, as the
same subclass (without patching model2vec there).

    import fastpool
    fastpool.patch_model2vec()

or, for a script: ``python -m fastpool.patch script.py [args]`` (or
``python -m fastpool.patch -m package.module [args]``).
"""

from __future__ import annotations

import os
import runpy
import sys
from typing import Any

__all__ = ["patch_model2vec", "patched_class", "unpatch_model2vec"]

_ORIGINAL: Any = None
_PATCHED: Any = None
_REPLACED: list[tuple[Any, str]] = []


# model2vec's attributes: read from the fastpool model, and set on it where model2vec's
# are plain attributes (fastpool checks the value as its own constructor does).
_SETTABLE = (
    "embedding", "weights", "token_mapping", "tokens", "tokenizer", "config",
    "base_model_name", "language", "normalize", "max_length",
)  # fmt: skip
_READ_ONLY = ("unk_token_id", "median_token_length", "dim", "embedding_dtype",
              "vocabulary_quantization")  # fmt: skip


def _forward(name: str, settable: bool) -> property:
    def get(self: Any) -> Any:
        return getattr(self._fastpool, name)

    def set_(self: Any, value: Any) -> None:
        setattr(self._fastpool, name, value)

    return property(get, set_ if settable else None, doc=f"model2vec's ``{name}``, on fastpool.")


def _restore(model: Any) -> Any:
    """Unpickle a patched model: the fastpool model inside, in the patched class.

    Importable as ``fastpool.patch._restore`` in any process; it does not patch
    model2vec there (the class is made, not installed).
    """
    return patched_class()(_fastpool=model)


def _make_class(original: type) -> type:
    import numpy as np

    from .._checks import UNSET
    from ..model import DEFAULT_MAX_LENGTH, StaticModel

    class PatchedStaticModel(original):  # type: ignore[misc, valid-type]
        """``model2vec.StaticModel`` backed by a :class:`fastpool.StaticModel`.

        It is named ``model2vec.model.StaticModel`` (libraries that recognise
        model2vec by module path or type name take their model2vec path), and
        is a subclass of the original, so ``isinstance`` checks hold. Attributes
        model2vec code reads (``embedding``, ``tokenizer``, ``tokens``,
        ``weights``, ``token_mapping``, ``config``, ...) are the fastpool model's;
        ``encode`` and ``encode_as_sequence`` run on it; ``save_pretrained``,
        ``push_to_hub``, ``tokenize`` and ``quantize_model`` are model2vec's own,
        on those attributes. It pickles as its fastpool model (see
        :meth:`fastpool.StaticModel.__reduce__`), restored by ``fastpool.patch``.
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
            max_length: int | None = DEFAULT_MAX_LENGTH,
            *,
            _fastpool: StaticModel | None = None,
        ) -> None:
            if _fastpool is None:
                _fastpool = StaticModel(
                    vectors, tokenizer, config, normalize, base_model_name, language, weights,
                    token_mapping, max_length,
                )  # fmt: skip
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
            model = StaticModel.from_pretrained(
                path, token, normalize, subfolder, quantize_to, dimensionality,
                vocabulary_quantization, max_length, force_download, semantics="model2vec",
            )  # fmt: skip
            return cls(_fastpool=model)

        load_local = from_pretrained

        @property
        def fastpool_model(self) -> StaticModel:
            """The :class:`fastpool.StaticModel` doing the work."""
            return self._fastpool

        # -- inference on fastpool ----------------------------------------------------
        def encode(self, sentences: Any, **kwargs: Any) -> np.ndarray:  # type: ignore[override]
            return self._fastpool.encode(sentences, **kwargs)

        def encode_as_sequence(self, sentences: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            return self._fastpool.encode_as_sequence(sentences, **kwargs)

        def __reduce__(self) -> tuple[Any, ...]:
            return (_restore, (self._fastpool,))

        def __repr__(self) -> str:
            return f"<model2vec.model.StaticModel on fastpool: {self._fastpool!r}>"

    for name in _SETTABLE + _READ_ONLY:
        setattr(PatchedStaticModel, name, _forward(name, name in _SETTABLE))
    # Named as model2vec's class: `"model2vec" in str(type(model))` (BERTopic) and
    # module-path checks see model2vec. Pickling never looks the name up (__reduce__).
    PatchedStaticModel.__module__ = original.__module__
    PatchedStaticModel.__qualname__ = original.__qualname__
    PatchedStaticModel.__name__ = original.__name__
    return PatchedStaticModel


_CLASS: Any = None


def patched_class() -> type:
    """The fastpool-backed subclass of ``model2vec.StaticModel`` (made once, not installed)."""
    global _CLASS
    if _CLASS is None:
        try:
            import model2vec.model
        except ImportError as err:
            raise ImportError("patch_model2vec needs model2vec: pip install model2vec") from err
        original = _ORIGINAL if _ORIGINAL is not None else model2vec.model.StaticModel
        _CLASS = _make_class(original)
    return _CLASS


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
    original: Any = model2vec.model.StaticModel
    if original is _CLASS:  # made by an unpickling before any patch: not the original
        original = original.__mro__[1]
    _ORIGINAL = original
    _PATCHED = patched_class()
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
