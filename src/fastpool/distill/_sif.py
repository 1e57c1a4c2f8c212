"""SIF weights from Zipf ranks (model2vec 0.10's ``compute_weights``)."""

from __future__ import annotations

import numpy as np


def zipf_sif_weights(n_rows: int, sif_coefficient: float | None) -> np.ndarray:
    """``w_i = a / (a + p_i)``, ``p_i = (1/(i+2)) / sum_{k=2..n+1} 1/k``; ones if ``a`` is None.

    Row i is taken to be the (i+1)-th most frequent token: a tokenizer's ids roughly follow
    frequency, which is the only frequency estimate a distillation without a corpus has.
    """
    if sif_coefficient is None:
        return np.ones(n_rows)
    inv_rank = 1.0 / np.arange(2, n_rows + 2, dtype=np.float64)
    proba = inv_rank / inv_rank.sum()
    return sif_coefficient / (sif_coefficient + proba)
