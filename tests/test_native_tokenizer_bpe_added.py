"""Byte-level BPE added tokens with lstrip / rstrip, and RoBERTa's mix of normalized and
raw added tokens, against `tokenizers` id for id (the BPE variants are
test_native_tokenizer_bpe's, trained here)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from native_tokenizer_util import assert_same, hf_ids, native_ids, pair

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import AddedToken, Tokenizer  # noqa: E402

from fastpool.tokenizer.native import native_support  # noqa: E402

pytest.importorskip("test_native_tokenizer_bpe")
from test_native_tokenizer_bpe import variant_json  # noqa: E402

STRIP_TEXTS = [
    "x <mask>y",
    "a \u3000 <mask> <mask>  b",
    "  <mask>",
    "<mask>  ",
    "a<mask>\t\nb c",
    "<mask><mask> ab \u2003ab",
    " ab  <mask>  ab ",
    "\u00a0<mask>\u00a0ab\u0085",
    "ab",
    "",
]


def _with(name: str, tokens: list[AddedToken], normalizer: dict | None = None) -> str:
    """A BPE variant's tokenizer.json with these added tokens, numbered by tokenizers."""
    tj = json.loads(variant_json(name, added=False))
    if normalizer is not None:
        tj["normalizer"] = normalizer
    tok = Tokenizer.from_str(json.dumps(tj))
    tok.add_tokens(tokens)
    return tok.to_str()


def _raw(content: str, **flags: bool) -> AddedToken:
    return AddedToken(content, normalized=False, **flags)


@pytest.mark.parametrize(
    "flags", [{"lstrip": True}, {"rstrip": True}, {"lstrip": True, "rstrip": True}]
)
@pytest.mark.parametrize("variant", ["gpt2", "roberta", "qwen2", "prefix"])
def test_strip_takes_the_whitespace_beside_a_match(flags, variant):
    tj = _with(variant, [_raw("<mask>", **flags), _raw("ab", **flags)])
    assert native_support(tj) == (True, "")
    assert_same(tj, STRIP_TEXTS)


def test_strip_with_a_normalizer():
    """The raw text is split first (the whitespace taken there), then each piece is NFC'd."""
    tj = _with("qwen2", [_raw("<mask>", lstrip=True), _raw("ab", rstrip=True)], {"type": "NFC"})
    assert native_support(tj) == (True, "")
    assert_same(tj, STRIP_TEXTS + ["cafe\u0301 <mask>\u0301 ab  A\u030a"])


_piece = st.sampled_from(["<mask>", "ab", " ", "\u3000", "x", "\t", "é", "\n", "\u00a0", "a"])


@settings(max_examples=80, deadline=None)
@given(texts=st.lists(st.lists(_piece, max_size=12).map("".join), min_size=1, max_size=6))
def test_strip_adversarial(texts):
    tj = _with("roberta", [_raw("<mask>", lstrip=True), _raw("ab", rstrip=True)])
    assert_same(tj, texts)


_byte_piece = st.sampled_from([b"<mask>", b"ab", b" ", b"\x80", b"\xe3", b"\xe3\x80", b"\t", b"x"])


@settings(max_examples=80, deadline=None)
@given(data=st.lists(st.lists(_byte_piece, max_size=10).map(b"".join), min_size=1, max_size=6))
def test_strip_on_invalid_utf8(data):
    """A stray byte before a match is U+FFFD, not whitespace: lstrip stops there."""
    hf, nt = pair(_with("gpt2", [_raw("<mask>", lstrip=True), _raw("ab", rstrip=True)]))
    assert native_ids(nt, data) == hf_ids(hf, [b.decode("utf-8", "replace") for b in data])


def test_rstrip_beside_a_token_starting_with_whitespace_is_declined():
    tj = _with("gpt2", [_raw("<mask>", rstrip=True), _raw(" y")])
    ok, reason = native_support(tj)
    assert not ok and "starts with whitespace beside an rstrip token" in reason


def _roberta_specials() -> str:
    """roberta-base's added tokens: <s> <pad> </s> <unk> normalized, <mask> raw with lstrip."""
    tj = json.loads(variant_json("roberta", added=False))
    tok = Tokenizer.from_str(json.dumps(tj))
    tok.add_special_tokens(
        [AddedToken(t, normalized=True, special=True) for t in ("<s>", "<pad>", "</s>", "<unk>")]
        + [AddedToken("<mask>", lstrip=True, normalized=False, special=True)]
    )
    return tok.to_str()


def test_roberta_added_tokens_run_natively():
    tj = _roberta_specials()
    kinds = {a["content"]: (a["normalized"], a["lstrip"]) for a in json.loads(tj)["added_tokens"]}
    assert kinds["<s>"] == (True, False) and kinds["<mask>"] == (False, True)
    assert native_support(tj) == (True, "")
    texts = ["<s> Hello <mask>!</s>", "a <mask> <s><pad></s>", "<unk>  <mask><mask>", "<s<mask>>"]
    assert_same(tj, texts + STRIP_TEXTS)


@pytest.mark.parametrize(
    ("normalized", "raw"),
    [
        ("xa", "ab"),  # one's suffix starts the other: two passes differ from one
        ("ab", "xaby"),  # one inside the other
        ("c ", "<mask>"),  # a normalized token ending in the space a raw lstrip token takes
    ],
)
def test_mixed_normalized_tokens_that_could_interact_are_declined(normalized, raw):
    tj = _with("gpt2", [AddedToken(normalized, normalized=True), _raw(raw, lstrip=True)])
    ok, reason = native_support(tj)
    assert not ok and "normalized=true" in reason
