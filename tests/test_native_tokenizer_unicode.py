"""Every code point through the native tokenizer and `tokenizers`, in every BertNormalizer variant.

Code points are batched 64 to a text, two ways: each between letters and
followed by a space ("a<c>b "), which checks its class on its own, and all 64
back to back, which checks them against their neighbours (combining-mark
reordering, mark stripping across characters, punctuation next to marks).
Surrogates are skipped: neither Python's UTF-8 nor `tokenizers` accepts them.
Both ids and the words handed to WordPiece (normalized + pre-tokenized) are compared.
"""

from __future__ import annotations

from functools import cache

import pytest
from native_tokenizer_util import VARIANTS, assert_same, assert_same_words, variant_json

CODE_POINTS = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
CHUNK = 64


@cache
def _isolated() -> tuple[str, ...]:
    return tuple(
        "".join(f"a{chr(c)}b " for c in CODE_POINTS[i : i + CHUNK])
        for i in range(0, len(CODE_POINTS), CHUNK)
    )


@cache
def _adjacent() -> tuple[str, ...]:
    cps = CODE_POINTS
    return tuple("".join(map(chr, cps[i : i + CHUNK])) for i in range(0, len(cps), CHUNK))


def test_every_code_point_isolated_bert():
    assert_same(variant_json("bert"), _isolated())


@pytest.mark.parametrize("variant", [*VARIANTS, "no_normalizer"])
def test_every_code_point_adjacent(variant):
    assert_same(variant_json(variant), _adjacent())


@pytest.mark.parametrize("variant", [*VARIANTS, "no_normalizer"])
def test_every_code_point_words(variant):
    """Normalized, pre-tokenized words: ids alone would hide a wrong normalization
    of any character outside the vocabulary (its word is [UNK] either way)."""
    assert_same_words(variant, _adjacent())
    if variant in ("bert", "cased_strip", "no_clean"):
        assert_same_words(variant, _isolated())
