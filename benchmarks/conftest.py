"""Benchmark data and helpers, built outside the timed calls (shared by every suite)."""

from __future__ import annotations

import ast
import contextlib
import os
import re
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import numpy as np


def zipf_ids(rng: np.random.Generator, n: int, n_vocab: int, a: float = 1.1) -> np.ndarray:
    """Token ids with Zipfian frequencies, as real token streams have."""
    ranks = rng.zipf(a, size=n * 2)
    ranks = ranks[ranks <= n_vocab][:n]
    while ranks.size < n:  # very heavy tails: top up
        extra = rng.zipf(a, size=n)
        ranks = np.concatenate([ranks, extra[extra <= n_vocab]])[:n]
    # Scatter ranks over the table so that frequent ids are not all adjacent rows.
    permutation = rng.permutation(n_vocab)
    return permutation[ranks - 1].astype(np.int64)


def ragged_offsets(rng: np.random.Generator, n_rows: int, mean_len: int) -> np.ndarray:
    """Row lengths from a geometric-like spread around mean_len (some empty, some long)."""
    lengths = rng.poisson(mean_len, size=n_rows)
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def stdlib_docstrings() -> list[str]:
    """Docstrings of modules, classes and functions in the standard library's sources."""
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = {"test", "tests", "idlelib", "site-packages", "dist-packages", "__pycache__", "lib2to3"}
    found = []
    for path in sorted(root.rglob("*.py")):
        if skip.intersection(path.relative_to(root).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    found.append(doc)
    return found


def split_corpus(docstrings: list[str]) -> dict[str, list[str]]:
    """Paragraphs (at least 8 words) and their sentences (at least 3 words)."""
    paragraphs = [
        " ".join(p.split())
        for d in docstrings
        for p in re.split(r"\n\s*\n", d)
        if len(p.split()) >= 8
    ]
    sentences = [
        s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p) if len(s.split()) >= 3
    ]
    return {"short": sentences, "long": paragraphs}


def repeat_to(texts: list[str], n: int) -> list[str]:
    """texts repeated (and cut) to exactly n items."""
    return (texts * (n // max(1, len(texts)) + 1))[:n]


@contextlib.contextmanager
def tokenizers_parallelism(value: str | None) -> Iterator[None]:
    """Set (or unset) TOKENIZERS_PARALLELISM for a block, then restore it."""
    before = os.environ.get("TOKENIZERS_PARALLELISM")
    if value is None:
        os.environ.pop("TOKENIZERS_PARALLELISM", None)
    else:
        os.environ["TOKENIZERS_PARALLELISM"] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TOKENIZERS_PARALLELISM", None)
        else:
            os.environ["TOKENIZERS_PARALLELISM"] = before
