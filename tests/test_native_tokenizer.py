"""Exact parity of the native BERT WordPiece tokenizer with Hugging Face `tokenizers`.

Every comparison is against ``Tokenizer.from_str(json).encode(text,
add_special_tokens=False).ids`` on the same tokenizer.json (truncation and
padding off). The all-code-points sweep is in test_native_tokenizer_unicode.py.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from native_tokenizer_util import (
    VARIANTS,
    assert_same,
    assert_same_words,
    bert_json,
    hf_ids,
    native_ids,
    pair,
    variant_json,
)

from fastpool.tokenizer.native import NativeTokenizer, native_support

ALL_VARIANTS = [*VARIANTS, "no_normalizer"]

# Modules whose import has side effects (opens a browser, prints, needs a display).
_SKIP_MODULES = {
    "antigravity",
    "this",
    "idlelib",
    "tkinter",
    "turtle",
    "turtledemo",
    "__main__",
    "lib2to3",
    "pydoc_data",
    "ensurepip",
    "venv",
    "msilib",
    "winreg",
    "winsound",
    "_winapi",
    "msvcrt",
    "nturl2path",
    # Importing crypt calls crypt(3), which segfaults under the AddressSanitizer
    # preload of tools/variant_tests.sh sanitize (ASan's interceptor vs libxcrypt),
    # with or without fastpool loaded.
    "crypt",
}


def _stdlib_docstrings() -> list[str]:
    docs: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in sorted(sys.stdlib_module_names):
            if name in _SKIP_MODULES or name.startswith("_"):
                continue
            try:
                mod = importlib.import_module(name)
            except Exception:  # noqa: BLE001 - platform-specific modules
                continue
            for obj in [mod, *vars(mod).values()]:
                doc = getattr(obj, "__doc__", None)
                if isinstance(doc, str) and doc.strip():
                    docs.append(doc)
    return sorted(set(docs))


@pytest.fixture(scope="module")
def docstrings() -> list[str]:
    docs = _stdlib_docstrings()
    assert len(docs) > 1000  # ~3,100 on CPython 3.11
    return docs


# ------------------------------------------------------------------ real text


def test_stdlib_docstrings_bert(docstrings):
    assert_same(variant_json("bert"), docstrings)


@pytest.mark.parametrize("variant", ["cased", "strip_true", "no_chinese", "no_clean", "all_off"])
def test_stdlib_docstrings_variants(docstrings, variant):
    assert_same(variant_json(variant), docstrings[::5])


@pytest.mark.parametrize("variant", ["bert", "cased"])
def test_every_vocabulary_token(variant):
    vocab = bert_json()["model"]["vocab"]
    texts = []
    for tok in vocab:
        texts.append(tok)
        texts.append(tok[2:] if tok.startswith("##") else "##" + tok)
    assert_same(variant_json(variant), texts)


def test_known_cases():
    texts = [
        "Hello, world!",
        "unaffable",
        "naïve café ÀÉÎ",
        "中文字符测试",
        "İstanbul ΣΑΣ ß ẞ ǅ",
        "[UNK]",
        "[PAD][CLS]x[SEP] [MASK]",
        "[UNK",
        "a[UNK]b",
        "",
        " ",
        "\u0301",
        "\u00a0\u3000",
        "a\u0301\u0316\U0001d165",
        "e\u0301\u200d\u0316",
        "x" * 100,
        "x" * 101,
        "é" * 101,
        "\x00\ufffd\x7f",
        "🙂👍🏽👨‍👩‍👧",
        "عربي עברית",
        "....!!!???",
        "##a",
        "a##b",
    ]
    for variant in ALL_VARIANTS:
        assert_same(variant_json(variant), texts)
        assert_same_words(variant, texts)


# ------------------------------------------------------------------ adversarial

# Marks of many classes, incl. Mc marks with a class (kept by strip_accents, so
# their canonical order shows) and marks newer than tokenizers' Unicode data.
_MARKS = (
    "\u0300\u0301\u0308\u0316\u0334\u0345\u05b0\u0610\u064b\u0e31\u302a\u1dfa"
    "\U0001d165\U0001d167\U0001d16d\u0f39\u0f71\u0f72\u0898"
)
_FORMAT = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u202e\u061c\ue000\U000e0001"
_SPACES = " \t\n\r\x0b\x0c\x1c\x1f\x85\u00a0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»‐–—…‹›、。「」『』〜・￥＄"
_CJK = "中文字符汉語言日本語한국어\u3400\U00020000\U0002b820\U0002b920\uf900\ufa6d\u2f800"
_OTHER = "ÀÉÎÕÜàéîõüßẞİıſǅΣσςДжعربيעבריתहिन्दी🙂👍🏽‍♀️️"
_WORDS = [
    "the",
    "unaffable",
    "running",
    "[UNK]",
    "[PAD]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "[UNK",
    "UNK]",
    "##ing",
    "hello",
    "x" * 99,
    "y" * 100,
    "z" * 101,
    "é" * 100,
]

_piece = st.one_of(
    st.text(min_size=1, max_size=8),  # any non-surrogate code point
    st.text(st.sampled_from(_MARKS + "aeo\x00\x01\u200b\ufffd "), min_size=1, max_size=8),
    st.text(st.sampled_from(_FORMAT + "ab"), min_size=1, max_size=4),
    st.text(st.sampled_from(_SPACES), min_size=1, max_size=3),
    st.text(st.sampled_from(_PUNCT), min_size=1, max_size=6),
    st.text(st.sampled_from(_CJK), min_size=1, max_size=4),
    st.text(st.sampled_from(_OTHER), min_size=1, max_size=6),
    st.sampled_from(_WORDS),
    st.text(
        st.characters(codec="utf-8", categories=["Mn", "Mc", "Me", "Cf", "Zs", "Po"]),
        min_size=1,
        max_size=5,
    ),
)
_texts = st.lists(st.lists(_piece, max_size=12).map("".join), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=_texts, variant=st.sampled_from(ALL_VARIANTS))
def test_adversarial_text(texts, variant):
    assert_same(variant_json(variant), texts)
    assert_same_words(variant, texts)


@settings(max_examples=100, deadline=None)
@given(
    data=st.lists(st.binary(max_size=40), min_size=1, max_size=6),
    variant=st.sampled_from(["bert", "cased", "no_clean"]),
)
def test_invalid_utf8_is_replacement_characters(data, variant):
    """bytes tokenize as bytes.decode("utf-8", "replace") does in tokenizers."""
    hf, nt = pair(variant_json(variant))
    want = hf_ids(hf, [b.decode("utf-8", "replace") for b in data])
    assert native_ids(nt, data) == want


def test_very_long_texts():
    base = "The quick brown fox, naïvely — jumps over 中文 the lazy dog's [UNK] back! "
    texts = [base * 2000, "a" * 100_000, "\u0301" * 50_000, ("x\u0301" * 30_000)]
    for variant in ["bert", "strip_true", "cased"]:
        assert_same(variant_json(variant), texts)


def test_long_words_with_a_large_max_input_chars_per_word():
    tj = copy.deepcopy(bert_json())
    tj["model"]["max_input_chars_per_word"] = 1_000_000
    # tokenizers' WordPiece is quadratic in the word length: keep them moderate.
    words = ["unaffable" * 100, "ab" * 800, "x" * 1500 + "!", "é" * 500 + "q" * 10]
    assert_same(json.dumps(tj), words)


def test_lone_surrogates_read_as_the_replacement_character():
    hf, nt = pair(variant_json("bert"))
    with pytest.raises(TypeError):  # "TextInputSequence must be str": tokenizers refuses them
        hf.encode("a\ud800b", add_special_tokens=False)
    got = nt.tokenize_csr(["a\ud800b", "ok \udfff"])
    want = nt.tokenize_csr(["a\ufffdb", "ok \ufffd"])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


# ------------------------------------------------------------------ added tokens


def _with_added(extra: list[dict]) -> str:
    tj = copy.deepcopy(bert_json())
    tj["added_tokens"] = tj["added_tokens"] + extra
    return json.dumps(tj)


def _added(content: str, id_: int, special: bool = False) -> dict:
    return {
        "id": id_,
        "special": special,
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
    }


def test_added_tokens_leftmost_longest():
    n = len(bert_json()["model"]["vocab"])
    tj = _with_added(
        [
            _added("[UNK]x", n),
            _added("xyz", n + 1, True),
            _added("xy", n + 2),
            _added("hello", 7592),
            _added("Ünï", n + 3),
        ]
    )
    texts = ["[UNK]x [UNK] xyzzy xy x hello HELLO ünï Ünï", "a[UNK]xyz", "xxyzxy[UNK]x[UNK"]
    assert_same(tj, texts)


@pytest.mark.parametrize(
    "flags", [{"lstrip": True}, {"rstrip": True}, {"lstrip": True, "rstrip": True}]
)
def test_added_tokens_strip_whitespace(flags):
    """An MPNet-style <mask> has lstrip: the raw whitespace before a match goes with it (before
    BertNormalizer and the pre-tokenizer see the rest). Such a model now runs natively."""
    n = len(bert_json()["model"]["vocab"])
    tj = _with_added([{**_added("<mask>", n, True), **flags}, {**_added("xyz", n + 1), **flags}])
    assert native_support(tj) == (True, "")
    texts = ["x <mask>y", "a \u3000 <mask> <mask>  b", "  <mask>", "<mask>  ", "a<mask>\t\nb",
             "<mask><mask> xyz \u2003xyz", " xyz  <mask>  xyz ", "\u00a0<mask>\u00a0xyz\u0085",
             "Hello <MASK> <mask>, world", ""]  # fmt: skip
    assert_same(tj, texts)  # (BertPreTokenizer drops whitespace: the ids rarely differ)


def test_canonical_reordering_is_visible_with_a_custom_vocabulary():
    """Marks that strip_accents keeps (class 216 and 226 Mc) are reordered by NFD
    across characters that clean_text removes; a vocabulary entry in canonical
    order makes the order visible in the ids."""
    tj = copy.deepcopy(bert_json())
    n = len(tj["model"]["vocab"])
    tj["model"]["vocab"].update({"x\U0001d165\U0001d16d": n, "x\U0001d16d\U0001d165": n + 1})
    texts = [
        "x\U0001d16d\x01\U0001d165",
        "x\U0001d16d\u200b\U0001d165",
        "x\U0001d16d\U0001d165",
        "x\U0001d16d\u0301\U0001d165",
        "x\U0001d16d\x00\U0001d165 x\U0001d165\U0001d16d",
    ]
    for strip in (True, False):
        tj["normalizer"]["strip_accents"] = strip
        assert_same(json.dumps(tj), texts)


# ------------------------------------------------------------------ limits


@settings(max_examples=60, deadline=None)
@given(
    texts=_texts,
    max_chars=st.one_of(st.none(), st.integers(0, 30)),
    max_tokens=st.one_of(st.none(), st.integers(0, 12)),
    drop_unk=st.booleans(),
)
def test_limits_follow_model2vec_order(texts, max_chars, max_tokens, drop_unk):
    """Cut to max_chars code points, tokenize, keep max_tokens, then drop unk."""
    hf, nt = pair(variant_json("bert"))
    cut = [t if max_chars is None else t[:max_chars] for t in texts]
    want = hf_ids(hf, cut)
    if max_tokens is not None:
        want = [w[:max_tokens] for w in want]
    if drop_unk:
        want = [[i for i in w if i != nt.unk_id] for w in want]
    got = native_ids(nt, texts, max_chars=max_chars, max_tokens=max_tokens, drop_unk=drop_unk)
    assert got == want


def test_thread_count_does_not_change_ids(docstrings):
    _, nt = pair(variant_json("bert"))
    texts = docstrings[:3000]
    one = nt.tokenize_csr(texts, n_threads=1)
    two = nt.tokenize_csr(texts, n_threads=2)
    three = nt.tokenize_csr(texts, n_threads=3)
    for got in (two, three):
        np.testing.assert_array_equal(got[0], one[0])
        np.testing.assert_array_equal(got[1], one[1])


def test_empty_batch():
    _, nt = pair(variant_json("bert"))
    ids, offsets = nt.tokenize_csr([])
    assert ids.dtype == np.int32 and ids.shape == (0,)
    assert offsets.dtype == np.int64 and offsets.tolist() == [0]


def test_texts_must_be_a_sequence_of_str():
    _, nt = pair(variant_json("bert"))
    with pytest.raises(TypeError, match="single str"):
        nt.tokenize_csr("hello")
    with pytest.raises(TypeError, match="texts must be str .* got int at index 1"):
        nt.tokenize_csr(["a", 3])
    with pytest.raises(ValueError, match="max_tokens must be a non-negative int or None, got -2"):
        nt.tokenize_csr(["a"], max_tokens=-2)


# ------------------------------------------------------------------ support detection


def _mutated(fn) -> dict:
    tj = copy.deepcopy(bert_json())
    fn(tj)
    return tj


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda tj: tj["model"].update(type="WordLevel"), "model type 'WordLevel'"),
        (lambda tj: tj.update(normalizer={"type": "NFKC"}), "normalizer 'NFKC'"),
        (
            lambda tj: tj.update(normalizer={"type": "Sequence", "normalizers": []}),
            "normalizer 'Sequence'",
        ),
        (lambda tj: tj.update(pre_tokenizer={"type": "Whitespace"}), "pre_tokenizer 'Whitespace'"),
        (lambda tj: tj.update(pre_tokenizer=None), "pre_tokenizer None"),
        (
            lambda tj: (
                tj["added_tokens"][0].update(rstrip=True),
                tj["added_tokens"][1].update(content=" [UNK]"),
            ),
            "starts with whitespace beside an rstrip token",
        ),
        (lambda tj: tj["added_tokens"][1].update(normalized=True), "has normalized=true"),
        (lambda tj: tj["added_tokens"][1].update(single_word=True), "has single_word=true"),
        (lambda tj: tj["added_tokens"][2].update(id=5), "tokenizers would give it 101"),
        (lambda tj: tj["model"].update(unk_token="<unk>"), "unk_token '<unk>' is not in"),
        (lambda tj: tj["model"].update(fancy=1), "WordPiece options \\['fancy'\\]"),
        (lambda tj: tj["normalizer"].update(strip_accents="yes"), "strip_accents must be"),
        (lambda tj: tj["model"]["vocab"].update({"a" * 1001: 30522}), "longer than 1000"),
        (lambda tj: tj.update(encode_special_tokens=True), "keys \\['encode_special_tokens'\\]"),
    ],
)
def test_native_support_rejects(mutate, match):
    tj = _mutated(mutate)
    ok, reason = native_support(tj)
    assert not ok
    assert re.search(match, reason), reason
    with pytest.raises(ValueError, match="not supported natively: .*" + match):
        NativeTokenizer.from_json(json.dumps(tj))


def test_native_support_accepts_bert_and_ignores_post_processing():
    assert native_support(bert_json()) == (True, "")
    assert native_support(json.dumps(bert_json())) == (True, "")
    tj = _mutated(
        lambda tj: tj.update(post_processor=None, decoder=None, truncation={"max_length": 4})
    )
    assert native_support(tj) == (True, "")
    assert native_support("not json")[0] is False
    with pytest.raises(TypeError, match="dict or a JSON string, got int"):
        native_support(3)
