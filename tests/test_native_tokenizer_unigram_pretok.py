"""The native Unigram family's other pre-tokenizers and Lowercase vs `tokenizers`, id for id.

WhitespaceSplit, Whitespace (the regex ``\\w+|[^\\w\\s]+``), Punctuation (every behavior),
Digits and Sequences of them with Metaspace, and the Lowercase normalizer, on a real
SentencePiece model trained offline on Debian's translated descriptions (unigram_util.py).
The T5 shape is the one transformers' T5 converter writes (Precompiled, Strip, Replace)
with the ``[WhitespaceSplit, Metaspace]`` pre-tokenizer and legacy Metaspace keys that
sentence-t5 / GTR files carry. Character classes are checked on every code point through
the pieces the model sees (stronger than ids, where an unknown piece hides a split).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from native_tokenizer_util import assert_same, hf_ids, native_ids, pair
from unigram_util import multilingual_lines, sample, spm_json, spm_model, with_added

from fastpool.tokenizer.native import NativeTokenizer, native_support

tokenizers = pytest.importorskip("tokenizers")
pytest.importorskip("sentencepiece")

CODE_POINTS = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
META = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
# The legacy Metaspace older T5-family files carry (add_prefix_space, str_rep).
T5_META: dict[str, object] = {"type": "Metaspace", "replacement": "\u2581", "str_rep": "\u2581"}
T5_META["add_prefix_space"] = True
BEHAVIORS = ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]
SPLITTERS = {
    "whitespace_split": {"type": "WhitespaceSplit"},
    "whitespace": {"type": "Whitespace"},
    **{f"punct_{b}": {"type": "Punctuation", "behavior": b} for b in BEHAVIORS},
    "digits": {"type": "Digits", "individual_digits": True},
    "digits_runs": {"type": "Digits", "individual_digits": False},
}


def _seq(*steps) -> dict:
    return {"type": "Sequence", "pretokenizers": list(steps)}


@cache
def t5_json() -> str:
    """transformers' T5 converter on the trained model, with the T5-family pre-tokenizer
    (transformers is not in the test-core extra: variant("t5") assembles the same shape)."""
    T5Converter = pytest.importorskip("transformers.convert_slow_tokenizer").T5Converter

    class _Slow:  # what the converter reads of a slow T5Tokenizer
        _extra_ids = 100
        legacy = True
        add_prefix_space = True

        def __init__(self, path: str) -> None:
            self.vocab_file = path

        def convert_tokens_to_ids(self, token: str) -> int:
            return 1

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "spiece.model")
        with open(path, "wb") as f:
            f.write(spm_model(4000, False, 8000).SerializeToString())
        tj = json.loads(T5Converter(_Slow(path)).converted().to_str())
    tj["pre_tokenizer"] = _seq({"type": "WhitespaceSplit"}, T5_META)
    return json.dumps(tj)


@cache
def variant(pre: str | None, lowercase: str = "", normalizer: bool = True) -> str:
    """The XLM-R-shaped spm tokenizer (Precompiled + Replace) with another pre-tokenizer:
    a SPLITTERS name alone, "<name>+meta" (then Metaspace), "meta+<name>", or "t5"; and
    Lowercase "before" / "after" the normalizer (or as the only one with normalizer False)."""
    tj = json.loads(spm_json(vocab_size=4000))
    steps = tj["normalizer"]["normalizers"] if normalizer else []
    if lowercase:
        lower = [{"type": "Lowercase"}]
        steps = lower + steps if lowercase == "before" else steps + lower
    tj["normalizer"] = {"type": "Sequence", "normalizers": steps} if steps else None
    if pre == "t5":
        tj["pre_tokenizer"] = _seq({"type": "WhitespaceSplit"}, T5_META)
    elif pre is None:
        tj["pre_tokenizer"] = None
    elif pre.endswith("+meta"):
        tj["pre_tokenizer"] = _seq(SPLITTERS[pre[:-5]], META)
    elif pre.startswith("meta+"):
        tj["pre_tokenizer"] = _seq(dict(META, prepend_scheme="first"), SPLITTERS[pre[5:]])
    else:
        tj["pre_tokenizer"] = SPLITTERS[pre]
    return json.dumps(tj)


KINDS = [
    "t5",
    *[f"{name}+meta" for name in SPLITTERS],
    "meta+whitespace",
    "meta+digits_runs",
    "whitespace_split",
]


@pytest.fixture(scope="module")
def lines():
    return sample(multilingual_lines(), 1000)


def _words(hf, texts) -> list[list[str]]:
    def one(t: str) -> list[str]:
        n = hf.normalizer.normalize_str(t) if hf.normalizer else t
        return [w for w, _ in hf.pre_tokenizer.pre_tokenize_str(n)]

    return [one(t) for t in texts]


def assert_same_words(tj: str, texts) -> None:
    hf, nt = pair(tj)
    texts = list(texts)
    got = nt._pretokenize(texts)
    bad = [(t, w, g) for t, w, g in zip(texts, _words(hf, texts), got, strict=True) if w != g]
    assert not bad, f"{len(bad)} texts differ; first: {bad[0]!r}"


# ------------------------------------------------------------------ support


def test_t5_converted_tokenizer_is_native(lines):
    tj = t5_json()
    assert native_support(tj) == (True, "")
    assert_same(tj, lines)
    assert_same(tj, ["  Hello,\tworld!\n  ", "<extra_id_0> x </s>", "", " ", "a\u2581 b\u3000c"])


@pytest.mark.parametrize("kind", KINDS)
def test_real_multilingual_text(kind, lines):
    tj = variant(kind)
    assert native_support(tj) == (True, "")
    assert_same(tj, lines)
    assert_same(tj, [" ".join(lines[k : k + 5]) for k in range(0, 300, 5)])


@pytest.mark.parametrize("lowercase", ["before", "after"])
def test_lowercase_on_real_text(lowercase, lines):
    tj = variant("t5", lowercase)
    assert native_support(tj) == (True, "")
    assert_same(tj, lines)
    assert_same(tj, ["ΑΣ ΟΔΟΣ İstanbul ǅ ẞ", "ＡＢＣ Ⅻ ⓐⒶ", "\u0130\u0307 \u1e9e"])


# ------------------------------------------------------------------ every code point

# Packed: each code point beside a word character, punctuation, a digit, a space, itself;
# "a{c}!" alone tells every class apart (word, other, space; split or not), so every code
# point gets that and a sample gets the rest.
_RUN = "a{c}!{c}1{c} {c}{c}"
# One splitter per character class (the other behaviors share the class).
CLASSES = ["whitespace_split", "whitespace", "punct_Isolated", "digits"]


def _packed(points: list[str], run: str = _RUN, n: int = 64) -> list[str]:
    return ["".join(run.format(c=c) for c in points[k : k + n]) for k in range(0, len(points), n)]


@pytest.mark.parametrize("name", CLASSES)
def test_every_code_point_splits(name):
    """The splitter alone, no normalizer: its character class on every code point."""
    assert_same_words(variant(name, normalizer=False), _packed(CODE_POINTS, "a{c}!"))


@pytest.mark.parametrize("name", list(SPLITTERS))
def test_sampled_code_points_split(name):
    assert_same_words(variant(name, normalizer=False), _packed(CODE_POINTS[::17]))


def test_every_code_point_t5_ids():
    """The whole T5 shape (charsmap, splits, Metaspace, Viterbi) on runs of code points."""
    runs = ["".join(CODE_POINTS[k : k + 6]) + " " for k in range(0, len(CODE_POINTS), 6)]
    assert_same(variant("t5"), ["".join(runs[k : k + 4]) for k in range(0, len(runs), 4)])


def test_every_code_point_lowercases():
    hf, nt = pair(variant(None, "after", normalizer=False))
    texts = ["".join(CODE_POINTS[k : k + 64]) for k in range(0, len(CODE_POINTS), 64)]
    got = nt._tok.normalize(tuple(texts))
    bad = [(t, g) for t, g in zip(texts, got, strict=True) if hf.normalizer.normalize_str(t) != g]
    assert not bad, f"{len(bad)} differ; first: {bad[0]!r}"


# ------------------------------------------------------------------ adversarial

_CHARS = " \t\n\u3000\u00a0\u2581.,!?-_'\"()[]{}«»、。・…0123456789٠١٢³½ⅫaAzZéÉßİΣσς\u0301\u200d"
_piece = st.one_of(
    st.text(st.sampled_from(_CHARS), min_size=1, max_size=8),
    st.text(min_size=1, max_size=6),
    st.text(
        st.characters(codec="utf-8", categories=["P", "N", "Z", "Lu", "Lt", "Mn", "Cc", "So"]),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["<unk>", "</s>", "<extra_id_3>", "\u2581de", "A.B.", "12,345.6"]),
)
_texts = st.lists(st.lists(_piece, max_size=10).map("".join), min_size=1, max_size=6)
_ALL = [(k, "") for k in KINDS] + [("t5", "before"), ("t5", "after"), ("whitespace+meta", "after")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=_texts, kind=st.sampled_from(_ALL))
def test_adversarial_text(texts, kind):
    tj = variant(*kind)
    assert_same(tj, texts)
    assert_same_words(tj, texts)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.binary(max_size=40), min_size=1, max_size=6),
    kind=st.sampled_from(["t5", "whitespace+meta", "punct_Contiguous+meta"]),
)
def test_invalid_utf8_is_replacement_characters(data, kind):
    hf, nt = pair(variant(kind, "after"))
    want = hf_ids(hf, [b.decode("utf-8", "replace") for b in data])
    assert native_ids(nt, data) == want


@settings(max_examples=40, deadline=None)
@given(
    texts=_texts,
    max_chars=st.one_of(st.none(), st.integers(0, 30)),
    max_tokens=st.one_of(st.none(), st.integers(0, 12)),
)
def test_limits_on_the_t5_shape(texts, max_chars, max_tokens):
    hf, nt = pair(variant("t5"))
    cut = [t if max_chars is None else t[:max_chars] for t in texts]
    want = [w if max_tokens is None else w[:max_tokens] for w in hf_ids(hf, cut)]
    assert native_ids(nt, texts, max_chars=max_chars, max_tokens=max_tokens) == want


@pytest.mark.parametrize("flags", [{}, {"lstrip": True}, {"rstrip": True}])
@pytest.mark.parametrize("kind", ["t5", "meta+digits_runs", "punct_MergedWithNext+meta"])
def test_added_tokens_between_pieces(kind, flags):
    """Segments after an added token: Metaspace's "first" is the first segment only."""
    tj = with_added(variant(kind, "after"), ["<m>"], **flags)
    assert native_support(tj) == (True, "")
    assert_same(tj, ["<m>12 a", "x<m>12 3", " <m> 1<m>", "<m>", "ab <m>  cd 45<m>!", "\u3000<m>x"])


# ------------------------------------------------------------------ declined


def _with_pre(pre) -> dict:
    tj = json.loads(spm_json(vocab_size=4000))
    tj["pre_tokenizer"] = pre
    return tj


@pytest.mark.parametrize(
    ("pre", "match"),
    [
        (_seq({"type": "WhitespaceSplit"}, dict(META, prepend_scheme="first")), "'first' after"),
        (_seq(META, META), "more than one Metaspace"),
        (_seq({"type": "BertPreTokenizer"}, META), "pre_tokenizer 'BertPreTokenizer'"),
        ({"type": "Split", "pattern": {"String": " "}, "behavior": "Removed"}, "'Split'"),
        ({"type": "Digits"}, "individual_digits None"),
        ({"type": "Punctuation", "behavior": "isolated"}, "behavior 'isolated'"),
        ({"type": "Whitespace", "x": 1}, "Whitespace options \\['x'\\]"),
        (_seq({"type": "WhitespaceSplit"}, dict(T5_META, add_prefix_space=False)), "disagrees"),
        (dict(META, add_prefix_space=1), "add_prefix_space 1"),
    ],
)
def test_native_support_rejects(pre, match):
    tj = _with_pre(pre)
    ok, reason = native_support(tj)
    assert not ok
    assert re.search(match, reason), reason
    with pytest.raises(ValueError, match="not supported natively"):
        NativeTokenizer.from_json(tj)


def test_empty_sequence_is_no_pre_tokenizer(lines):
    tj = json.dumps(_with_pre(_seq()))
    assert native_support(tj) == (True, "")
    assert_same(tj, lines[:200])
