"""The geometry term's corpus for ``train_default_model.py``: real Debian training texts.

``N_PAIRS`` (synopsis, long description) pairs of ``DATA/train.jsonl`` (never the held-out
split), a seeded sample, synopses first then descriptions; the teacher's sentence embeddings
of them (``fastpool.train.featurize``, resumable, at the teacher's training length of 128
tokens) are the geometry targets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

N_PAIRS = 6144
MAX_LENGTH = 128  # teacher tokens: all-MiniLM-L6-v2 was trained at this length


def geometry_texts(data: Path) -> list[str]:
    from train_default_model import read_pairs

    queries, documents = read_pairs(data / "train.jsonl")
    order = np.random.default_rng(0).permutation(len(queries))[:N_PAIRS]
    return [queries[i] for i in order] + [documents[i] for i in order]


def geometry_features(data: Path, teacher: Path, threads: int) -> tuple[list[str], np.ndarray]:
    """(texts, teacher sentence embeddings), featurized once into ``DATA/geometry-features``.

    A finished folder made by another installation of the same teacher (another path, so
    another fingerprint) is used as it is once its texts are checked to be these texts.
    """
    from fastpool.train.featurize import featurize, load_features

    out = data / "geometry-features"
    texts = geometry_texts(data)
    try:
        feats = load_features(out)
    except (FileNotFoundError, ValueError):
        featurize(teacher, texts, out, max_length=MAX_LENGTH, chunk_size=2048,
                  n_threads=threads, show_progress_bar=False)  # fmt: skip
        feats = load_features(out)
    if list(feats.texts) != texts:
        raise ValueError(f"{out} holds features of other texts: remove it to re-make it")
    return texts, np.asarray(feats.sentence, dtype=np.float32)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_default_model import _teacher

    found, emb = geometry_features(Path(sys.argv[1]), _teacher(None), 2)
    print(len(found), emb.shape)
