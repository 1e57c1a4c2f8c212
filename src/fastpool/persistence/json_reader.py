"""The one reader of a model folder's JSON: bounded in size, depth and element count.

Every JSON file of a model (config.json, config_sentence_transformers.json,
modules.json, tokenizer.json, the safetensors header) is read here. Before any
Python object is built, the text is checked against three limits:

* its size (``Limits.max_bytes``; read with that bound, so a file that lies
  about its size, or a device, cannot make the read unbounded);
* its nesting depth (``MAX_DEPTH``): Python's ``json`` recurses once per level
  and, under a raised recursion limit, overflows the C stack;
* its structural characters ``[ { , :`` outside strings (``Limits.max_elements``),
  an upper bound on the values ``json.loads`` would build: ``[[],[],...]``
  costs 64 bytes of Python objects per 3 bytes of text.

One pass in C++ (``_core.json_extent``) measures both. A fault is a
``ValueError`` naming the file.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import _core

#: Deeper than any model file (tokenizer.json nests ~6 levels); far below the
#: recursion that Python's json parser can survive.
MAX_DEPTH = 128


@dataclass(frozen=True)
class Limits:
    """Size and element bounds for one kind of file."""

    max_bytes: int
    max_elements: int
    # Also allow this many elements per byte of text (tokenizer.json: BPE merges
    # as lists hold ~1 structural character per 4 bytes).
    elements_per_byte: float = 0.0

    def elements_for(self, size: int) -> int:
        return self.max_elements + int(size * self.elements_per_byte)


#: config.json, config_sentence_transformers.json, modules.json: a few KB in
#: real models. 1,000,000 elements are at most ~72 MB of Python objects.
SMALL_FILE = Limits(max_bytes=16 * 2**20, max_elements=1_000_000)
#: tokenizer.json: real ones reach ~35 MB (262k-token vocabularies).
TOKENIZER_FILE = Limits(max_bytes=512 * 2**20, max_elements=1_000_000, elements_per_byte=0.3)
#: The safetensors header (the format caps it at 100 MB); a static model has a
#: handful of tensors, a large language model some thousands.
SAFETENSORS_HEADER = Limits(max_bytes=100_000_000, max_elements=1_000_000)


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of the regular file ``path``; ValueError naming it when
    it is larger or cannot be read (OSError only when it cannot be opened)."""
    with open(path, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path}: not a regular file")
        if info.st_size > max_bytes:
            raise ValueError(
                f"{path}: {info.st_size} bytes, more than the {max_bytes} a model file "
                "of this kind may hold"
            )
        try:
            # One byte more than allowed: a file whose size lies (/proc) is caught.
            data = f.read(max_bytes + 1)
        except OSError as err:
            raise ValueError(f"{path}: cannot be read ({err.strerror or err})") from None
    if len(data) > max_bytes:
        raise ValueError(
            f"{path}: more than the {max_bytes} bytes a model file of this kind may hold"
        )
    return data


def check_extent(
    raw: bytes, where: str, limits: Limits, *, size: int | None = None, extra: int = 0
) -> None:
    """ValueError when ``raw`` nests deeper than MAX_DEPTH or holds more elements
    than ``limits`` allow for its size. ``raw`` may be a text with parts cut out
    (read natively, at a known depth): ``size`` is then the whole text's and
    ``extra`` the structural characters of the parts."""
    depth, elements = _core.json_extent(raw, MAX_DEPTH)
    elements += extra
    if size is None:
        size = len(raw)
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: not valid JSON (nested deeper than {MAX_DEPTH} levels)")
    allowed = limits.elements_for(size)
    if elements > allowed:
        raise ValueError(
            f"{where}: too many JSON elements ({elements} structural characters, at most "
            f"{allowed} for a file of {size} bytes)"
        )


def parse(raw: bytes, where: str, limits: Limits) -> Any:
    """``json.loads`` of ``raw`` within ``limits``; every fault a ValueError naming ``where``."""
    check_extent(raw, where, limits)
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"{where}: not valid JSON ({err})") from None
    except RecursionError:  # unreachable under MAX_DEPTH; kept as the last guard
        raise ValueError(f"{where}: not valid JSON (too deeply nested)") from None
    except ValueError as err:  # JSONDecodeError, and int() past 4,300 digits
        raise ValueError(f"{where}: not valid JSON ({err})") from None


def parse_text(text: str, where: str) -> Any:
    """``json.loads`` of text that :func:`read_text` returned (its extent is checked)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"{where}: not valid JSON (too deeply nested)") from None
    except ValueError as err:
        raise ValueError(f"{where}: not valid JSON ({err})") from None


def read_text(path: Path, limits: Limits) -> str:
    """The checked text of the JSON file ``path`` (not parsed: for a parser of its own,
    Hugging Face ``tokenizers``)."""
    return read_text_and_bytes(path, limits)[0]


def read_text_and_bytes(path: Path, limits: Limits) -> tuple[str, bytes]:
    """:func:`read_text`, and the file's bytes it decoded (for a native pass over them)."""
    raw = read_bytes(path, limits.max_bytes)
    check_extent(raw, str(path), limits)
    return checked_text(raw, path), raw


def checked_text(raw: bytes, path: Path) -> str:
    """``raw`` (checked by :func:`check_extent`) decoded; ValueError naming ``path``."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None


def read_json(path: Path, limits: Limits = SMALL_FILE) -> Any:
    """The JSON value in the file ``path``, read within ``limits``."""
    return parse(read_bytes(path, limits.max_bytes), str(path), limits)


def read_object(path: Path, limits: Limits = SMALL_FILE) -> dict[str, Any]:
    """The JSON object in ``path``; ValueError naming the file if it is anything else."""
    value = read_json(path, limits)
    if not isinstance(value, dict):
        raise ValueError(f"{path}: must hold a JSON object, got {type(value).__name__}")
    return value
