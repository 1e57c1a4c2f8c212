"""Benchmark data, built outside the timed calls."""

from __future__ import annotations

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
