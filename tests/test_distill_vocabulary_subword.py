"""distill(vocabulary=...) with BPE and Unigram teachers, against model2vec 0.10.

Three tiny random-weight teachers built offline (tests/subword_teachers.py): RoBERTa with a
byte-level BPE tokenizer, XLM-RoBERTa with tokenizers' UnigramTrainer (NFKC) and XLM-RoBERTa
with a SentencePiece-trained model in XLM-R's own tokenizer.json layout (Precompiled).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import copy  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

from fastpool.distill import distill  # noqa: E402
from fastpool.distill._custom_vocab import add_vocabulary  # noqa: E402
from fastpool.distill._subword_vocab import MergeTable  # noqa: E402
from fastpool.distill._vocab import prune, read_tokenizer_json  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from subword_teachers import KINDS, sentences, write_teacher  # noqa: E402

# Entries of each kind model2vec tells apart, plus the byte-level and Metaspace markers
# themselves, a special token, single characters and accents (new bytes for byte-level BPE).
VOCAB = [
    "schools", "citizen", "the", "The", "University", "New York", "new york", "NEW  YORK",
    "don't", "state-of-the-art", "", "   ", "  spaced  ", "citizen", "[unused1]", "café",
    "naïve", "machine learning", "worlds", "<unk>", "<s>", "\u0120the", "\u2581the", "parser",
    "argparse", "subprocess", "x", "é", "tokenizer", "tokenizers",
]  # fmt: skip
SINGLES = ["schools", "citizen", "University", "café", "naïve", "worlds", "parser", "argparse",
           "subprocess", "tokenizer", "tokenizers", "x", "é"]  # fmt: skip
TEXTS = sentences()[2000:2300] + ["the schools of New York", "naïve café machine learning"]


@pytest.fixture(scope="module", params=KINDS)
def teacher(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_teacher(tmp_path_factory.mktemp(request.param), request.param)


def _m2v(teacher: Path, words: list[str], **kwargs: Any) -> Any:
    m2v = pytest.importorskip("model2vec.distill")
    pytest.importorskip("skeletoken")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.getLogger("model2vec").setLevel(logging.ERROR)  # one warning per entry
    return m2v.distill(str(teacher), vocabulary=words, quantize_to="float32", device="cpu",
                       pca_dims=None, **kwargs)  # fmt: skip


def _ours(teacher: Path, words: list[str], **kwargs: Any) -> Any:
    return distill(teacher, vocabulary=words, quantize_to="float32", pca_dims=None,
                   show_progress_bar=False, **kwargs)  # fmt: skip


def _sorted_vocab(tokenizer: Tokenizer) -> list[str]:
    vocab = tokenizer.get_vocab()
    return sorted(vocab, key=vocab.__getitem__)


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-32)


def _unk_fixed(doc: dict[str, Any]) -> Tokenizer:
    """model2vec's Unigram tokenizer.json with its unk_id pointing at <unk> again (model2vec
    0.10 leaves the teacher's index there, 3, which pruning gave to another piece)."""
    doc = copy.deepcopy(doc)
    if doc["model"]["type"] == "Unigram":
        doc["model"]["unk_id"] = [p for p, _ in doc["model"]["vocab"]].index("<unk>")
    return Tokenizer.from_str(json.dumps(doc))


def test_matches_model2vec(teacher: Path) -> None:
    """Same tokens in the same order, same merges / scores and added tokens, same rows, and
    the saved tokenizers split real text the same."""
    theirs = _m2v(teacher, VOCAB)
    ours = _ours(teacher, VOCAB)
    assert _sorted_vocab(ours.tokenizer) == _sorted_vocab(theirs.tokenizer)
    ours_json = json.loads(ours.tokenizer.to_str())
    theirs_json = json.loads(theirs.tokenizer.to_str())
    for key in ("added_tokens", "normalizer", "pre_tokenizer", "decoder"):
        assert ours_json[key] == theirs_json[key], key
    if ours_json["model"]["type"] == "BPE":
        assert ours_json["model"]["merges"] == theirs_json["model"]["merges"]
        teacher_merges = read_tokenizer_json(teacher)["model"]["merges"]
        assert len(ours_json["model"]["merges"]) > len(teacher_merges)
    else:
        assert ours_json["model"]["vocab"] == theirs_json["model"]["vocab"]  # pieces and scores
        assert ours_json["model"]["unk_id"] == ours.tokenizer.token_to_id("<unk>")
    assert _cos(ours.table, theirs.embedding).min() > 0.999
    fixed = _unk_fixed(theirs_json)
    for text in TEXTS:
        assert ours.tokenizer.encode(text).ids == fixed.encode(text).ids, text
    assert ours.tokenizer.token_to_id("New York") in ours.tokenize("the schools of New York")


def test_with_pca_and_sif_matches_model2vec(teacher: Path) -> None:
    """The defaults' SIF weighting and a PCA, end to end (PCA of a random tiny teacher can
    rotate near-equal components, so the bar is on the encodings of real text)."""
    theirs = _m2v(teacher, SINGLES[:6])
    ours = _ours(teacher, SINGLES[:6])
    assert _sorted_vocab(ours.tokenizer) == _sorted_vocab(theirs.tokenizer)
    assert _cos(ours.table, theirs.embedding).min() > 0.999
    got, want = ours.encode(TEXTS[:50]), theirs.encode(TEXTS[:50])
    assert _cos(got, want).min() > 0.999


def test_single_words_tokenize_natively(teacher: Path) -> None:
    """New single words keep the native tokenizer (byte-level BPE; Unigram behind Precompiled
    or NFKC: every teacher shape here has one), and it splits real text as tokenizers does."""
    ours = _ours(teacher, SINGLES)
    assert ours.tokenizer_backend == "native"
    unk = ours.tokenizer.token_to_id("<unk>")  # fastpool drops the unknown token
    for text in TEXTS:
        want = [i for i in ours.tokenizer.encode(text).ids if i != unk]
        assert ours.tokenize(text, max_length=None) == want, text
    # A multi-word unit needs tokenizers' added-token matching.
    assert _ours(teacher, ["New York"]).tokenizer_backend == "tokenizers"


def test_new_words_and_their_merges(teacher: Path) -> None:
    """BPE: each new word is one token for " word", and the intermediate pieces its merges
    made are tokens too. Unigram: a new piece at the lowest score is produced only where no
    split into existing pieces scores higher (model2vec's behaviour: the row stays unused)."""
    doc = read_tokenizer_json(teacher)
    vocab, report = add_vocabulary(prune(doc, None), doc, SINGLES, None)
    tok = Tokenizer.from_str(json.dumps(vocab.tokenizer_json))
    old = set(prune(doc, None).tokens)
    new = [t for t in vocab.tokens if t not in old]
    if doc["model"]["type"] == "BPE":
        assert len(new) == report.added + report.merge_pieces and report.merge_pieces > 0
        for word in SINGLES:
            assert tok.encode(" " + word).tokens == ["\u0120" + word.encode().decode("latin-1")
                                                     .translate(_BYTES)], word  # fmt: skip
    else:
        assert len(new) == report.added
        produced = {w for w in SINGLES if tok.encode(w).tokens == ["\u2581" + w]}
        assert produced and produced != set(SINGLES)  # some new pieces never win Viterbi
        scores = {p: s for p, s in vocab.tokenizer_json["model"]["vocab"]}
        low = min(s for _, s in doc["model"]["vocab"])
        assert all(scores[t] == low for t in new)


# GPT-2's byte-to-character table: a printable byte stands for itself, others shift up.
_PRINTABLE = [*range(33, 127), *range(161, 173), *range(174, 256)]
_BYTES = {b: b for b in _PRINTABLE} | {
    b: 256 + i for i, b in enumerate(b for b in range(256) if b not in _PRINTABLE)
}


def test_merge_table_reads_merges_as_skeletoken() -> None:
    table = MergeTable([("a", "b"), ("b", "c"), ("ab", "c")])
    assert table.form("abc") == ["abc"] and table.form("bcab") == ["bc", "ab"]
    table.add_token("abcd")
    assert table.pairs[-1] == ("abc", "d") and table.form("abcd") == ["abcd"]
    table.add_token("xyzw")  # (x, y), (z, w), then (xy, zw)
    assert table.pairs[-3:] == [("x", "y"), ("z", "w"), ("xy", "zw")]


def test_errors(teacher: Path) -> None:
    doc = read_tokenizer_json(teacher)
    if doc["model"]["type"] == "BPE":
        bad = copy.deepcopy(doc)
        bad["model"]["end_of_word_suffix"] = "</w>"
        with pytest.raises(ValueError, match="BPE teachers with a end_of_word_suffix"):
            add_vocabulary(prune(bad, None), bad, ["word"], None)
        # A later entry equal to a piece an earlier entry's merges added: model2vec crashes
        # (skeletoken adds the token twice); a ValueError says to put shorter entries first.
        vocab, report = add_vocabulary(prune(doc, None), doc, ["tokenizers"], None)
        piece = next(t for t in vocab.tokens[-report.merge_pieces :] if t[0] == "\u0120")
        with pytest.raises(ValueError, match="put shorter entries first"):
            add_vocabulary(prune(doc, None), doc, ["tokenizers", piece[1:]], None)
        with pytest.raises(ValueError, match="already exists in vocabulary"):
            _m2v(teacher, ["tokenizers", piece[1:]])  # model2vec 0.10's crash
        add_vocabulary(prune(doc, None), doc, [piece[1:], "tokenizers"], None)  # sorted: fine
    else:
        with pytest.raises(TypeError, match="vocabulary must be a list of str, got int"):
            distill(teacher, vocabulary=["a", 3])  # type: ignore[list-item]
