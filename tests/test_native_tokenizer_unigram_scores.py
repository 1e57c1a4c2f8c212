"""Unigram scores read as Hugging Face tokenizers reads them, and the near-ties that needs.

tokenizers' JSON reader rounds twice (serde_json without float_roundtrip), so about one
score in seven it holds is an ulp away from Python's float(). Viterbi sums scores; where
two paths tie up to rounding (``S + SS`` against ``SS + S``), that ulp picks the path. The
native tokenizer reads the scores the same way (tokenizers_number.h)."""

from __future__ import annotations

import json
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastpool._tokenizer_doc import parse
from fastpool.tokenizer import _bridge
from fastpool.tokenizer.native import NativeTokenizer

tokenizers = pytest.importorskip("tokenizers")

META = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}


def _tokenizer_json(entries: list[str]) -> str:
    """A Unigram tokenizer.json whose vocab entries are ``["piece", literal]`` texts."""
    doc: dict[str, object] = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": META,
        "post_processor": None,
        "decoder": None,
        "model": {"type": "Unigram", "unk_id": 0, "vocab": "@", "byte_fallback": False},
    }
    return json.dumps(doc).replace('"@"', "[" + ", ".join(entries) + "]")


def _literal_json(literals: list[str]) -> str:
    return _tokenizer_json([f'["t{k}", {v}]' for k, v in enumerate(literals)])


def tokenizers_reads(text: str) -> list[float]:
    """The scores tokenizers holds for a tokenizer.json (written back shortest, read exactly)."""
    written = tokenizers.Tokenizer.from_str(text).to_str()
    return [score for _, score in json.loads(written)["model"]["vocab"]]


def _random_literals(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = [repr(-rng.uniform(0, 30)) for _ in range(n)]  # log-probabilities
    while len(out) < 2 * n:  # any finite double's shortest digits
        x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if x == x and abs(x) < 1e300:
            out.append(repr(x))
    return out


EDGE_LITERALS = [
    "-7.28998613357543950",  # not the shortest digits: trailing zero after 17 digits
    "-7.2899861335754395000000001",
    "-12345678901234567890123",  # integer past u64: digits dropped
    "18446744073709551615",
    "18446744073709551616",
    "18446744073709551616.5",  # a fraction digit that still fits after the overflow
    "-9223372036854775809",
    "123.456789012345678901234e-3",
    "0.000123",
    "1e-320",
    "4.9e-324",
    "1E2",
    "-0",
    "0",
    "-0.0e5",
]


def test_native_pass_reads_scores_as_tokenizers_does():
    literals = _random_literals(4000, seed=7) + EDGE_LITERALS
    text = _literal_json(literals)
    table = parse(text)["model"]["vocab"]
    want = tokenizers_reads(text)
    assert table.tokenizer_scores.tolist() == want
    # The document keeps Python's reading: saving the vocab again writes the file's numbers.
    assert table.scores.tolist() == [float(json.loads(v)) for v in literals]
    assert table.scores.tolist() != want  # the two readings do differ here


def test_list_path_reads_scores_as_tokenizers_does_after_json_dumps():
    literals = _random_literals(2000, seed=11)
    vocab = [[f"t{k}", json.loads(v)] for k, v in enumerate(literals)]
    vocab += [["big", 12345678901234567890123], ["int", -3]]
    _, _, scores, _ = _bridge.unigram_vocab(vocab, set())
    entries = [json.dumps(e) for e in vocab]
    assert scores.tolist() == tokenizers_reads(_tokenizer_json(entries))


@settings(max_examples=200, deadline=None)
@given(score=st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_any_float_literal(score):
    text = _literal_json([json.dumps(score)])
    assert parse(text)["model"]["vocab"].tokenizer_scores.tolist() == tokenizers_reads(text)


def _near_tie_vocab(rng: random.Random) -> list[list]:
    """Pieces where "SSS"-like runs split into S/SS in either order at a near-tied score."""
    return [
        ["<unk>", 0.0],
        ["\u2581", -rng.uniform(1, 4)],
        ["\u2581D", -rng.uniform(2, 9)],
        ["D", -rng.uniform(2, 9)],
        ["S", -rng.uniform(2, 9)],
        ["SS", -rng.uniform(4, 14)],
        ["SSS", -rng.uniform(30, 40)],  # present, never best: keeps the run in one trie walk
        ["L", -rng.uniform(2, 9)],
        ["\u2581S", -rng.uniform(2, 9)],
    ]


TEXTS = ["DSSSL", "DSSSSL", "SSS", "SSSSS", "DSSSSSSSL", "D SSS L", "SSSSSSSSSSS"]


@pytest.mark.parametrize("as_text", [True, False], ids=["json-text", "dict"])
def test_near_ties_break_as_tokenizers_breaks_them(as_text):
    """300 random vocabularies with S + SS == SS + S up to rounding: same ids every time."""
    rng = random.Random(3)
    differ = 0
    for _ in range(300):
        vocab = _near_tie_vocab(rng)
        text = _tokenizer_json([json.dumps(e) for e in vocab])
        hf = tokenizers.Tokenizer.from_str(text)
        nt = NativeTokenizer.from_json(text if as_text else json.loads(text))
        ids, offsets = nt.tokenize_csr(TEXTS)
        got = [ids[offsets[k] : offsets[k + 1]].tolist() for k in range(len(TEXTS))]
        want = [e.ids for e in hf.encode_batch(TEXTS, add_special_tokens=False)]
        assert got == want, vocab
        differ += tokenizers_reads(text) != [s for _, s in vocab]
    assert differ > 20  # the vocabularies did exercise scores the two readings disagree on
