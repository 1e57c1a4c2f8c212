"""Featurize: run a local teacher over a corpus and store its targets on disk.

Per text, two float32 vectors of the teacher's width:

- ``sentence``: the teacher's sentence embedding as sentence-transformers computes it for a
  mean-pooling model (the attention-masked mean of the last hidden states, special tokens
  included), L2-normalised;
- ``tokens``: tokenlearn's target, the mean of the last hidden states *without* the special
  tokens ([CLS], [SEP]); zeros for a text with none.

The corpus is cut into chunks of ``chunk_size`` texts; each chunk is tokenized, sorted by
length into batches (little padding), run through the teacher (BERT teachers on CPU as the
compact float32 forward of ``fastpool.distill``) and written as ``chunk-NNNNN.npz`` via a
temporary file and a rename. Memory stays at one chunk whatever the corpus size, and a run
killed at any point resumes at the first missing chunk (``meta.json`` holds a fingerprint of
the corpus and settings, so a different corpus is refused rather than mixed in).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import require_torch

META = "meta.json"


class Features(NamedTuple):
    texts: list[str]
    sentence: np.ndarray  # (n, teacher width), float32, L2-normalised
    tokens: np.ndarray  # (n, teacher width), float32, mean token embedding w/o specials


def _fingerprint(texts: list[str], settings: dict[str, Any]) -> str:
    h = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for text in texts:
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def featurize(
    teacher: str | Path,
    texts: Sequence[str],
    out: str | Path,
    *,
    max_length: int = 256,
    batch_size: int = 64,
    chunk_size: int = 4096,
    n_threads: int | None = None,
    show_progress_bar: bool = True,
) -> Path:
    """Run ``teacher`` (a local folder) over ``texts``; write the targets to ``out``.

    Texts are cut at ``max_length`` tokens, or at the teacher's position table when that is
    shorter. Returns ``out``; read it with :func:`load_features`. Re-running with the same texts and
    settings resumes (finished chunks are kept); other texts or settings raise ValueError.
    """
    require_torch()
    from ._data import texts as check_texts

    corpus = check_texts(texts, "texts")
    for name, value in (("max_length", max_length), ("batch_size", batch_size),
                        ("chunk_size", chunk_size)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    folder = Path(out)
    settings = {"teacher": str(Path(teacher).resolve()), "max_length": max_length,
                "chunk_size": chunk_size}  # fmt: skip
    meta = {"n_texts": len(corpus), **settings, "fingerprint": _fingerprint(corpus, settings)}
    meta_path = folder / META
    if meta_path.is_file():
        old = json.loads(meta_path.read_text(encoding="utf-8"))
        if old != meta:
            raise ValueError(
                f"{folder} holds features of another corpus or settings: use another folder"
            )
    else:
        folder.mkdir(parents=True, exist_ok=True)
        meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    chunks = range(0, len(corpus), chunk_size)
    todo = [c for c in chunks if not _chunk_path(folder, c // chunk_size).is_file()]
    if not todo:
        return folder
    from ._common import set_threads
    from ._teacher import Teacher

    set_threads(n_threads)
    runner = Teacher(teacher, max_length=max_length)
    bar = _bar(len(corpus), len(corpus) - sum(len(corpus[c : c + chunk_size]) for c in todo),
               show_progress_bar)  # fmt: skip
    try:
        for c in todo:
            part = corpus[c : c + chunk_size]
            sentence, tokens = runner.embed(part, batch_size, bar)
            _write_chunk(_chunk_path(folder, c // chunk_size), part, sentence, tokens)
    finally:
        if bar is not None:
            bar.close()
    return folder


def _chunk_path(folder: Path, index: int) -> Path:
    return folder / f"chunk-{index:05d}.npz"


def _write_chunk(path: Path, texts: list[str], sentence: np.ndarray, tokens: np.ndarray) -> None:
    encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, text_bytes=blob, text_offsets=offsets, sentence=sentence, tokens=tokens)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_features(folder: str | Path) -> Features:
    """The targets :func:`featurize` wrote, in corpus order; ValueError when incomplete."""
    folder = Path(folder)
    meta_path = folder / META
    if not meta_path.is_file():
        raise ValueError(f"{folder} has no {META}: not a featurize output folder")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    n_chunks = -(-meta["n_texts"] // meta["chunk_size"])
    missing = [i for i in range(n_chunks) if not _chunk_path(folder, i).is_file()]
    if missing:
        raise ValueError(
            f"{folder} is incomplete: {len(missing)} of {n_chunks} chunks missing (re-run "
            "featurize with the same texts to finish it)"
        )
    texts: list[str] = []
    sentence, tokens = [], []
    for i in range(n_chunks):
        with np.load(_chunk_path(folder, i)) as z:
            blob, offsets = z["text_bytes"].tobytes(), z["text_offsets"]
            texts += [blob[a:b].decode("utf-8", "surrogatepass") for a, b in
                      zip(offsets[:-1], offsets[1:], strict=True)]  # fmt: skip
            sentence.append(z["sentence"])
            tokens.append(z["tokens"])
    return Features(texts, np.concatenate(sentence), np.concatenate(tokens))


def _bar(total: int, initial: int, show: bool) -> Any:
    if not show:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, initial=initial, desc="Featurizing", unit=" texts", file=sys.stderr)
