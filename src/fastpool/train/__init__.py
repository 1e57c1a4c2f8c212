"""``fastpool.train``: make static models better than distillation alone.

Needs the ``train`` extra (torch): ``pip install "fastpool[train]"``. Importing this package
does not import torch; the training functions do, and classifier *inference* never does.

- :mod:`fastpool.train.featurize`: run a local teacher over a corpus, store its targets.
- :mod:`fastpool.train.fit`: the tokenlearn road (regress the static model on those targets).
- :mod:`fastpool.train.contrastive`: the contrastive road ((query, positive) pairs, in-batch
  negatives, Matryoshka dimensions).
- :mod:`fastpool.train.classifier`: a head on a static model (numpy-only inference).
"""

from __future__ import annotations

INSTALL_HINT = 'fastpool.train needs torch: pip install "fastpool[train]"'


def require_torch() -> None:
    """Raise ImportError with the install hint when torch is missing."""
    try:
        import torch  # noqa: F401
    except ImportError as err:
        raise ImportError(INSTALL_HINT) from err
