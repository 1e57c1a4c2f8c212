"""The native Unigram family vs Hugging Face `tokenizers`, id for id, on real tokenizers.

Tokenizers are trained here, offline, on Debian's translated package descriptions
(unigram_util.py): a real SentencePiece model (nmt_nfkc charsmap) in the shape XLM-R-family
tokenizer.json files carry, and `tokenizers`' own UnigramTrainer.
"""

from __future__ import annotations

import copy
import functools
import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from native_tokenizer_util import assert_same, hf_ids, native_ids, pair
from unigram_util import multilingual_lines, sample, spm_json, trained_json, with_added

import fastpool
from fastpool.tokenizer.native import NativeTokenizer, native_support

tokenizers = pytest.importorskip("tokenizers")
pytest.importorskip("sentencepiece")

SPM = {"vocab_size": 4000}
CODE_POINTS = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
# Contexts that exercise grapheme clusters (combining marks, conjuncts, emoji ZWJ,
# CR LF, Hangul), Metaspace and the " {2,}" Replace around every code point.
CONTEXTS = [
    "a{c}\u0301b",
    "{c}\u0308 x",
    "\u0915\u094d{c}\u093f",
    "\u00c5{c}{c}  {c}",
    "\r{c}\n",
    "\U0001f600\u200d{c}\u0301",
    "\u1100{c}\u1161\u11a8",
    "\U0001f1e9{c}\U0001f1ea\U0001f1e9",
    "\u0600{c} \u2581{c}",
]


def _json(kind: str) -> str:
    if kind == "spm":
        return spm_json(**SPM)
    if kind == "spm_bytes":
        return spm_json(2000, byte_fallback=True, n_lines=4000)
    if kind == "spm_first":
        return spm_json(**SPM, prepend_scheme="first")
    if kind == "spm_never_nosplit":
        return spm_json(**SPM, prepend_scheme="never", split=False)
    if kind == "trained":
        return trained_json()
    raise AssertionError(kind)


KINDS = ["spm", "spm_bytes", "spm_first", "spm_never_nosplit", "trained"]


@functools.cache
def _spm_pair():
    return pair(_json("spm"))


@pytest.fixture(scope="module")
def lines():
    return sample(multilingual_lines(), 3000)


# ------------------------------------------------------------------ support


@pytest.mark.parametrize("kind", KINDS)
def test_real_tokenizers_are_native(kind):
    assert native_support(_json(kind)) == (True, "")


@pytest.mark.parametrize("kind", KINDS)
def test_real_multilingual_text(kind, lines):
    assert_same(_json(kind), lines)
    assert_same(_json(kind), [" ".join(lines[k : k + 5]) for k in range(0, 600, 5)])


def test_every_code_point_alone():
    assert_same(_json("spm"), CODE_POINTS)


# Planes 0, 1 and the tags / variation selectors of plane 14 in full, the rest of the
# planes (CJK extensions, private use: no grapheme properties) sampled.
CONTEXT_POINTS = [
    c for c in CODE_POINTS if ord(c) < 0x20000 or 0xE0000 <= ord(c) < 0xE1000 or ord(c) % 61 == 0
]


def test_every_code_point_in_context():
    """All contexts in one text per code point (Metaspace splits them apart; the
    grapheme contexts stay within one piece): one pass over the code points."""
    fmt = " ".join(CONTEXTS)
    assert_same(_json("spm"), [fmt.format(c=c) for c in CONTEXT_POINTS])


def test_every_code_point_in_runs():
    runs = ["".join(CODE_POINTS[k : k + 7]) for k in range(0, len(CODE_POINTS), 7)]
    assert_same(_json("spm_bytes"), runs)
    assert_same(_json("trained"), runs)


@pytest.mark.parametrize("fmt", CONTEXTS[:4])
def test_normalized_text_is_identical(fmt):
    """The charsmap rewrite itself (ids can hide it behind an unknown token)."""
    hf, nt = pair(_json("spm"))
    texts = [fmt.format(c=c) for c in CODE_POINTS[:0x3000]]
    got = nt._tok.normalize(tuple(texts))
    bad = [(t, g) for t, g in zip(texts, got, strict=True) if hf.normalizer.normalize_str(t) != g]
    assert not bad, f"{len(bad)} differ; first: {bad[0]!r}"


# ASCII beside what can join it into a cluster or stop the ASCII fast path of the
# charsmap rewrite: combining marks, ZWJ, a Prepend (U+0600), CR LF, controls, NUL.
_ASCII_CONTEXT = [chr(c) for c in range(128)] + list("\u0301\u200d\u0600\u0915\u094d\u00e9")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(st.sampled_from(_ASCII_CONTEXT), max_size=24), min_size=1,
                      max_size=8))  # fmt: skip
def test_ascii_runs_normalize_identically(texts):
    hf, nt = _spm_pair()
    got = nt._tok.normalize(tuple(texts))
    assert got == [hf.normalizer.normalize_str(t) for t in texts]


def test_pieces_are_identical(lines):
    hf, nt = pair(_json("spm"))
    texts = lines[:500] + ["  a  b ", "\u2581x\u2581 \u2581", ""]
    want = [[w for w, _ in hf.pre_tokenizer.pre_tokenize_str(hf.normalizer.normalize_str(t))]
            for t in texts]  # fmt: skip
    assert nt._pretokenize(texts) == want


# ------------------------------------------------------------------ adversarial

_MARKS = "\u0301\u0308\u0327\u094d\u093f\u200d\u200c\ufe0f\u0e33\u1161\u11a8"
_BASES = "aAeé\u00c5\u0915\u0930\u1100\uac00\U0001f600\U0001f1e9\u0600\r\n \u3000\u2581\ufffd\x00"
_piece = st.one_of(
    st.text(min_size=1, max_size=8),
    st.text(st.sampled_from(_MARKS + _BASES), min_size=1, max_size=10),
    st.text(st.sampled_from(" \u2581\t"), min_size=1, max_size=4),
    st.text(
        st.characters(codec="utf-8", categories=["Mn", "Mc", "Me", "Cf", "Zs", "Lo", "So"]),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["<unk>", "<s>", "</s>", "<0x41>", "\u2581de", "ﾊﾟ", "㌀", "ｶﾞ"]),
)
_texts = st.lists(st.lists(_piece, max_size=10).map("".join), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=_texts, kind=st.sampled_from(KINDS))
def test_adversarial_text(texts, kind):
    assert_same(_json(kind), texts)


@settings(max_examples=80, deadline=None)
@given(data=st.lists(st.binary(max_size=40), min_size=1, max_size=6))
def test_invalid_utf8_is_replacement_characters(data):
    hf, nt = pair(_json("spm_bytes"))
    want = hf_ids(hf, [b.decode("utf-8", "replace") for b in data])
    assert native_ids(nt, data) == want


@settings(max_examples=60, deadline=None)
@given(
    texts=_texts,
    max_chars=st.one_of(st.none(), st.integers(0, 30)),
    max_tokens=st.one_of(st.none(), st.integers(0, 12)),
    drop_unk=st.booleans(),
)
def test_limits_follow_model2vec_order(texts, max_chars, max_tokens, drop_unk):
    hf, nt = pair(_json("spm"))
    cut = [t if max_chars is None else t[:max_chars] for t in texts]
    want = hf_ids(hf, cut)
    if max_tokens is not None:
        want = [w[:max_tokens] for w in want]
    if drop_unk:
        want = [[i for i in w if i != nt.unk_id] for w in want]
    got = native_ids(nt, texts, max_chars=max_chars, max_tokens=max_tokens, drop_unk=drop_unk)
    assert got == want


def test_byte_fallback_and_fused_unknowns():
    hf, nt = pair(_json("spm_bytes"))
    texts = ["\U0001d11e\U0001d11f x", "\ue000\ue001\ue002", "a<unk>\ue000b", "\U000e0001"]
    assert native_ids(nt, texts) == hf_ids(hf, texts)
    assert any(hf.id_to_token(i).startswith("<0x") for i in native_ids(nt, texts[:1])[0])
    hf, nt = pair(_json("spm"))
    assert native_ids(nt, texts) == hf_ids(hf, texts)
    assert hf_ids(hf, ["\ue000\ue001"]) == [[hf.token_to_id("\u2581"), nt.unk_id]]


def test_added_tokens():
    tj = with_added(_json("spm"), ["<mask>", "\u2581de", "ab", "ﾊﾟ"])
    assert native_support(tj) == (True, "")
    texts = ["x<mask>y ab<mask>", "<mask>", "de ab\u2581de", "ﾊﾟﾊﾟ ab", " <mask> "]
    assert_same(tj, texts)
    assert_same(with_added(_json("spm_first"), ["<mask>"]), texts)


@pytest.mark.parametrize(
    "flags", [{"lstrip": True}, {"rstrip": True}, {"lstrip": True, "rstrip": True}]
)
def test_added_tokens_strip_whitespace(flags):
    """XLM-R's <mask> has lstrip: the whitespace before a match goes with it."""
    texts = ["x <mask>y", "a \u3000 <mask> <mask>  b", "  <mask>", "<mask>  ", "a<mask>\t\nb c",
             "<mask><mask> ab \u2003ab", " ab  <mask>  ab "]  # fmt: skip
    for kind in ("spm", "spm_first"):
        tj = with_added(_json(kind), ["<mask>", "ab"], **flags)
        assert native_support(tj) == (True, "")
        assert_same(tj, texts)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(["<mask>", "ab", " ", "\u3000", "x", "\t", "é"]),
                               max_size=12).map("".join), min_size=1, max_size=6))  # fmt: skip
def test_added_tokens_strip_adversarial(texts):
    tj = with_added(_json("spm_first"), ["<mask>"], lstrip=True)
    assert_same(with_added(tj, ["ab"], rstrip=True), texts)


def test_word_cache_replays_ids_under_limits(lines):
    # A word's ids are cached per batch (unigram.cpp) and replayed through the limits: the
    # same words again and again in one batch, cut at every token count, with unknowns.
    hf, nt = pair(_json("spm"))
    texts = [t for t in lines[:40] for _ in range(3)] + ["\u2603 \u2603 zz\u2603 zz\u2603"] * 5
    want = hf_ids(hf, texts)
    assert native_ids(nt, texts) == want
    for max_tokens in (0, 1, 3, 7):
        cut = [[i for i in w[:max_tokens] if i != nt.unk_id] for w in want]
        assert native_ids(nt, texts, max_tokens=max_tokens, drop_unk=True) == cut


def _evicting_texts(often: list[str]) -> list[str]:
    """140,000 distinct words, 20 a text, with the `often` texts after every 50 texts: two
    evictions of a full word cache (65,536 words), the often texts' words looked up between."""
    words = [f"{chr(0x61 + i % 26)}{i}{chr(0x7A - i // 26 % 26)}" for i in range(140_000)]
    texts = []
    for k in range(0, len(words), 20):
        texts.append(" ".join(words[k : k + 20]))
        if k // 20 % 50 == 0:
            texts.extend(often)
    return texts


def test_word_cache_outlives_calls_and_evicts(lines):
    # The tokenizer pools its scratches (text_tokenizer.h), so a word cache fills in one call
    # and serves the next; a full one keeps the words looked up again and drops the rest
    # (word_cache.h). Ids never depend on any of it.
    hf, nt = pair(_json("spm"))
    head = list(lines[:200])
    want = hf_ids(hf, head)
    assert native_ids(nt, head, n_threads=1) == want
    assert native_ids(nt, head, n_threads=1) == want  # every word from the last call's cache
    texts = _evicting_texts(head[:20])
    assert native_ids(nt, texts, n_threads=1) == hf_ids(hf, texts)
    assert native_ids(nt, head, n_threads=1) == want  # after the evictions
    for max_tokens in (1, 4):  # cached ids replayed through the limits, in a later call
        cut = [w[:max_tokens] for w in want]
        assert native_ids(nt, head, n_threads=1, max_tokens=max_tokens, drop_unk=False) == cut


def test_word_cache_full_batch():
    # More distinct words in one batch than the cache holds (it evicts at 65,536).
    hf, nt = pair(_json("spm"))
    words = [f"{chr(0x61 + i % 26)}{i}{chr(0x7A - i // 26 % 26)}" for i in range(70_000)]
    texts = [" ".join(words[k : k + 20]) for k in range(0, len(words), 20)]
    texts += texts[:50]
    assert native_ids(nt, texts, n_threads=1) == hf_ids(hf, texts)


def _waiting_rows(lines: list[str], cjk: str) -> list[str]:
    """Rows that make tokenize_rows() wait (unigram.cpp): cached rows, rows with new words
    (a chunk of 32 rows walks its new words together, 32 words a walk), one new word
    repeated in a row and across rows, a row of more than 32 new words, added tokens
    between new words, and words of 1,000+ bytes (too long to batch: walked alone)."""
    fresh = [f"{chr(0x61 + i % 26)}q{i}z" for i in range(400)]
    long_word = cjk[:700]
    rows = []
    for k in range(120):
        if k % 4 == 0:
            rows.append(lines[k])  # seen before: cached
        elif k % 4 == 1:
            rows.append(f"{lines[k]} {fresh[k]} <mask> {fresh[k]} {fresh[k + 1]}ab")
        elif k % 4 == 2:
            rows.append(" ".join(fresh[k : k + 40]) + " <mask>")  # > 32 new words
        else:
            rows.append(f"{fresh[k - 2]} {long_word[: 300 + k]} {lines[k]}")
    return rows


def test_rows_wait_for_new_words(lines):
    # A row's ids go out at once until a word is new; from there that row and the later
    # ones of its chunk wait for the walk, and go out with the limits as in one pass.
    tj = with_added(_json("spm"), ["<mask>", "ab"])
    hf, nt = pair(tj)
    head = list(lines[:120])
    cjk = "".join(t.replace(" ", "") for t in lines if any("\u3040" <= c <= "\u9fff" for c in t))
    rows = _waiting_rows(head, cjk)
    assert any(len(r.encode()) > 1024 for r in rows)
    want = hf_ids(hf, rows)
    unk = nt.unk_id
    for max_tokens in (None, 1, 2, 5, 9, 40):
        for drop_unk in (False, True):
            nt.clear_cache()
            native_ids(nt, head, n_threads=1)  # the cached rows
            cut = [w if max_tokens is None else w[:max_tokens] for w in want]
            if drop_unk:
                cut = [[i for i in w if i != unk] for w in cut]
            got = native_ids(nt, rows, n_threads=1, max_tokens=max_tokens, drop_unk=drop_unk)
            assert got == cut, (max_tokens, drop_unk)
    for k in range(len(rows)):  # one row per call: the same ids
        assert native_ids(nt, rows[k : k + 1], n_threads=1) == want[k : k + 1]


def test_long_rows_drain_what_waits(lines):
    # Past 4,096 waiting words a row's words so far get their ids and go out (unigram.cpp:
    # drain), so a long text keeps bounded state; the limits still cut as in one pass.
    tj = with_added(_json("spm"), ["<mask>"])
    hf, nt = pair(tj)
    head = list(lines[:200])
    fresh = [f"{chr(0x61 + i % 26)}r{i}y" for i in range(30_000)]
    cached = " ".join(head).split()
    long_row = " ".join(
        f"{fresh[i]} {cached[i % len(cached)]} {cached[(7 * i) % len(cached)]}"
        + (" <mask>" if i % 997 == 0 else "")
        for i in range(6_000)
    )
    rows = [head[0], long_row, head[1] + " " + fresh[-1], long_row[: len(long_row) // 3]]
    want = hf_ids(hf, rows)
    assert len(want[1]) > 20_000
    for max_tokens in (None, 4_000, 9_000, 20_001):
        nt.clear_cache()
        native_ids(nt, head, n_threads=1)
        cut = [w if max_tokens is None else w[:max_tokens] for w in want]
        assert native_ids(nt, rows, n_threads=1, max_tokens=max_tokens) == cut, max_tokens
    nt.clear_cache()
    got = native_ids(nt, rows, n_threads=1, drop_unk=True)
    assert got == [[i for i in w if i != nt.unk_id] for w in want]


def test_thread_count_does_not_change_ids(lines):
    _, nt = pair(_json("spm"))
    one = native_ids(nt, lines, n_threads=1)
    assert native_ids(nt, lines, n_threads=2) == one


# ------------------------------------------------------------------ other normalizers


def _variant(normalizer) -> str:
    tj = json.loads(_json("trained"))
    tj["normalizer"] = normalizer
    return json.dumps(tj)


@pytest.mark.parametrize(
    "normalizer",
    [
        {"type": "Replace", "pattern": {"String": "e"}, "content": "\u00e9\u00e9"},
        {"type": "Replace", "pattern": {"String": "ab"}, "content": ""},
        {"type": "Prepend", "prepend": "\u2581"},
        {"type": "Strip", "strip_left": True, "strip_right": False},
        {"type": "Strip", "strip_left": True, "strip_right": True},
        {
            "type": "Sequence",
            "normalizers": [
                {"type": "Strip", "strip_left": False, "strip_right": True},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
                {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "x"}]},
            ],
        },
    ],
)
def test_simple_normalizers(normalizer, lines):
    tj = _variant(normalizer)
    assert native_support(tj) == (True, "")
    texts = lines[:300] + ["", " ", "\u3000 a \u2003", "abab e  e   e", "  x  "]
    assert_same(tj, texts)
    assert_same(tj, CODE_POINTS[::7])


def test_duplicate_pieces_keep_the_last_id():
    tj = json.loads(_json("trained"))
    vocab = tj["model"]["vocab"]
    vocab.append([vocab[10][0], vocab[10][1] - 1.0])
    vocab.append(["\u2581xyz", 0.0])
    vocab.append(["\u2581xyz", -50.0])
    s = json.dumps(tj)
    assert native_support(s) == (True, "")
    assert_same(s, [vocab[10][0].replace("\u2581", " "), "xyz xyzxyz", "a xyz"])


# ------------------------------------------------------------------ declined


def _mutated(fn) -> dict:
    tj = json.loads(_json("spm"))
    fn(tj)
    return tj


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda tj: tj.update(normalizer={"type": "NFKC", "x": 1}), "NFKC options"),
        (lambda tj: tj.update(normalizer={"type": "StripAccents"}), "normalizer 'StripAccents'"),
        (
            lambda tj: tj["normalizer"]["normalizers"][1].update(pattern={"Regex": " +"}),
            "Replace pattern",
        ),
        (
            lambda tj: tj["normalizer"]["normalizers"][0].update(precompiled_charsmap="!!"),
            "not valid base64",
        ),
        (
            lambda tj: tj["normalizer"]["normalizers"][0].update(precompiled_charsmap="AAAAAA=="),
            "invalid trie size",
        ),
        (
            lambda tj: tj.update(pre_tokenizer={"type": "BertPreTokenizer"}),
            "pre_tokenizer 'BertPreTokenizer'",
        ),
        (lambda tj: tj["pre_tokenizer"].update(prepend_scheme="sometimes"), "prepend_scheme"),
        (lambda tj: tj["pre_tokenizer"].update(replacement="ab"), "not one character"),
        (lambda tj: tj["model"].update(unk_id=None), "unk_id None"),
        (lambda tj: tj["model"].update(unk_id=10**6), "unk_id 1000000"),
        (lambda tj: tj["model"].update(fancy=1), "Unigram options \\['fancy'\\]"),
        (lambda tj: tj["model"].update(vocab=[]), "vocab is missing or empty"),
        (lambda tj: tj["model"]["vocab"].append(["x", "1"]), "scores must be numbers"),
        (lambda tj: tj["model"]["vocab"].append(["x", float("nan")]), "must be finite"),
        (lambda tj: tj["model"]["vocab"].append(["x"]), "\\[piece, score\\] pairs"),
        (lambda tj: tj["model"]["vocab"].append(["\ud800", 0.0]), "lone surrogate"),
        (
            lambda tj: tj.update(
                added_tokens=[
                    {
                        "id": 3,
                        "content": "<mask>",
                        "single_word": True,
                        "lstrip": True,
                        "rstrip": False,
                        "normalized": False,
                        "special": True,
                    }
                ]
            ),  # fmt: skip
            "has single_word=true",
        ),
        (
            lambda tj: tj.update(
                added_tokens=[
                    {
                        "id": 4000,
                        "content": " x",
                        "single_word": False,
                        "lstrip": False,
                        "rstrip": True,
                        "normalized": False,
                        "special": True,
                    }
                ]
            ),  # fmt: skip
            "starts with whitespace beside an rstrip token",
        ),
    ],
)
def test_native_support_rejects(mutate, match):
    tj = _mutated(mutate)
    ok, reason = native_support(tj)
    assert not ok
    assert re.search(match, reason), reason
    with pytest.raises(ValueError, match="not supported natively"):
        NativeTokenizer.from_json(tj)


def test_nfkc_trained_tokenizer_is_native(lines):
    """tokenizers' own UnigramTrainer with NFKC (test_native_tokenizer_normalize.py has more)."""
    tj = trained_json(normalizer="NFKC")
    assert native_support(tj) == (True, "")
    model = fastpool.StaticModel(
        np.zeros((tokenizers.Tokenizer.from_str(tj).get_vocab_size(), 4), np.float32),
        tokenizers.Tokenizer.from_str(tj),
    )
    assert model.tokenizer_backend == "native"


# ------------------------------------------------------------------ StaticModel


def test_static_model_picks_native_and_matches_tokenizers(lines):
    tj = _json("spm")
    hf = tokenizers.Tokenizer.from_str(tj)
    rng = np.random.default_rng(0)
    table = rng.standard_normal((hf.get_vocab_size(), 32)).astype(np.float32)
    native = fastpool.StaticModel(table, hf, normalize=True)
    assert native.tokenizer_backend == "native"
    ref = fastpool.StaticModel(table, hf, normalize=True, tokenizer_backend="tokenizers")
    texts = lines[:400] + ["", "\ue000\ue001", "x" * 3000]
    np.testing.assert_allclose(native.encode(texts), ref.encode(texts), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        native.encode(texts, max_length=5), ref.encode(texts, max_length=5), rtol=1e-6, atol=1e-6
    )


def test_copy_of_json_is_not_mutated():
    tj = json.loads(_json("spm"))
    before = copy.deepcopy(tj)
    NativeTokenizer.from_json(tj)
    assert tj == before
