"""Which static model a command uses, loaded with one-line errors."""

from __future__ import annotations

import os
from typing import Any

from ._errors import CLIError
from ._hashing import file_sha256


def default_model_path() -> str | None:
    """The bundled default model, when this build ships one (``fastpool._api``)."""
    return _bundled()[0]


def _bundled() -> tuple[str | None, str]:
    """(path, "") or (None, why there is no default)."""
    try:
        from .._api import default_model_path as bundled
    except ImportError:
        return None, "this build ships no default model"
    try:
        return os.fspath(bundled()), ""
    except Exception as err:  # a missing or broken bundle: --model still works
        return None, f"no bundled default model: {err}"


def resolve_model(path: str | None) -> str:
    """``--model`` if given, else the bundled default; CLIError if neither exists."""
    if path is not None:
        return path
    bundled = default_model_path()
    if bundled is None:
        raise CLIError(f"--model is required ({_bundled()[1]})")
    return bundled


def load_model(path: str, **kwargs: Any) -> Any:
    """``StaticModel.from_pretrained(path)`` with file and format errors as CLIError."""
    from ..model import StaticModel

    try:
        return StaticModel.from_pretrained(path, **kwargs)
    except (FileNotFoundError, ValueError, TypeError) as err:
        raise CLIError(f"cannot load model {path}: {err}") from None


def model_fingerprint(path: str) -> list[list[Any]]:
    """(name, size, SHA-256) of the model's .json and .safetensors files: detects a new model.

    By content, not mtime: a table rewritten at the same size with its mtime restored
    (``touch -r``) must not resume into a mix of old and new vectors. Hashing runs at
    about the disk or page-cache read speed (docs/cli.md has measurements).
    """
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith((".safetensors", ".json")):
                continue
            full = os.path.join(root, name)
            out.append([os.path.relpath(full, path), os.path.getsize(full), file_sha256(full)])
    return out
