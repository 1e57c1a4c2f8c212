"""Native NFC / NFD / NFKC / NFKD (csrc/fastpool/tokenizer/unicode_norm.h) vs `tokenizers`.

The forms alone (the `_bridge.unicode_normalize` test hook) on every code point, real
multilingual text and generated text, then as normalizers of real Unigram and
byte-level BPE tokenizers, id for id.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from native_tokenizer_util import assert_same, hf_ids, native_ids, pair
from unigram_util import multilingual_lines, sample, spm_json, trained_json

from fastpool.tokenizer import _bridge
from fastpool.tokenizer.native import native_support

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import normalizers  # noqa: E402

FORMS = list(_bridge.UNICODE_FORMS)
CODE_POINTS = [chr(c) for c in range(1, 0x110000) if not 0xD800 <= c < 0xE000]
# Code points whose order and composition matter: combining marks of many classes,
# Hangul jamo and syllables, precomposed letters, singletons, compatibility forms.
TRICKY = (
    [chr(c) for c in range(0x300, 0x370)]
    + [chr(c) for c in range(0x1100, 0x1200)]
    + [chr(c) for c in range(0xAC00, 0xAC40)]
    + list("AaeEoOuUnNcCkK\u00c5\u00e9\u1e0b\u0323\u0f71\u0f72\u0f74\u0f80\u0344\u0b47\u0b3e")
    + list("\u0b57\u05b0\u05b4\u0591\u3099\u304b\u309a\U0001d15e\U0001d165\u2126\ufb2c\uff76")
    + list("\uff9e\u212b\u1e9b\u0cc6\u0cc2\u0cd5\u0915\u093c\u094d\u0e48\u0e38\u3000\u00a0 ")
)


def _reference(form: str, texts: list[str]) -> list[str]:
    """tokenizers' form of each text (none holding NUL): one call, joined by NUL (a
    starter that decomposes and composes with nothing, so nothing crosses it)."""
    out = getattr(normalizers, form)().normalize_str("\0".join(texts)).split("\0")
    assert len(out) == len(texts)
    return out


def _assert_forms_equal(form: str, texts: list[str]) -> None:
    want = _reference(form, texts)
    got = _bridge.unicode_normalize(_bridge.UNICODE_FORMS[form], tuple(texts))
    bad = [(t, w, g) for t, w, g in zip(texts, want, got, strict=True) if w != g]
    assert not bad, f"{len(bad)} texts differ; first: {bad[0]!r}"


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return sample(multilingual_lines(), 3000)


# ------------------------------------------------------------------ the forms alone


@pytest.mark.parametrize("form", FORMS)
def test_every_code_point_alone(form):
    _assert_forms_equal(form, CODE_POINTS)


@pytest.mark.parametrize("form", FORMS)
def test_every_code_point_between_marks(form):
    """Each code point after a starter with marks and before marks of other classes:
    reordering and composition across it (planes 0 and 1, where the marks are)."""
    points = [c for c in CODE_POINTS if ord(c) < 0x20000]
    _assert_forms_equal(form, [f"a\u0301{c}\u0316\u0301\u1161\u11a8" for c in points])


@pytest.mark.parametrize("form", FORMS)
def test_real_multilingual_text(form, lines):
    """Debian descriptions (de, fr, es, ja, ru, zh_CN), as written and fully decomposed."""
    _assert_forms_equal(form, lines)
    _assert_forms_equal(form, _reference("NFKD", lines))


@pytest.mark.parametrize("form", FORMS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(st.sampled_from(TRICKY), max_size=16), min_size=1, max_size=40))
def test_combining_marks_and_jamo(form, texts):
    _assert_forms_equal(form, texts)


@pytest.mark.parametrize("form", FORMS)
@settings(max_examples=100, deadline=None)
@given(data=st.lists(st.binary(max_size=24), min_size=1, max_size=20))
def test_invalid_utf8_is_replacement_characters(form, data):
    data = [b.replace(b"\0", b"") for b in data]  # NUL joins the reference's texts
    want = _reference(form, [b.decode("utf-8", "replace") for b in data])
    assert _bridge.unicode_normalize(_bridge.UNICODE_FORMS[form], tuple(data)) == want


def test_unknown_form_is_refused():
    with pytest.raises(ValueError, match="form must be 0..3"):
        _bridge.unicode_normalize(4, ("a",))


# ------------------------------------------------------------------ Unigram


def _spm_with(step: dict, before: bool) -> str:
    """The SentencePiece tokenizer.json with a step before or after its charsmap and Replace."""
    tj = json.loads(spm_json(vocab_size=4000))
    steps = [step, tj["normalizer"]] if before else [tj["normalizer"], step]
    tj["normalizer"] = {"type": "Sequence", "normalizers": steps}
    return json.dumps(tj)


def test_unigram_with_nfkc_runs_natively(lines):
    tj = trained_json(normalizer="NFKC")
    assert native_support(tj) == (True, "")
    assert_same(tj, lines)
    assert_same(tj, _reference("NFD", lines[:1000]))


def test_every_code_point_unigram_nfkc_in_runs():
    runs = ["".join(CODE_POINTS[k : k + 7]) for k in range(0, len(CODE_POINTS), 7)]
    assert_same(trained_json(normalizer="NFKC"), runs)


@pytest.mark.parametrize("before", [True, False])
@pytest.mark.parametrize("form", FORMS)
def test_unigram_form_beside_a_charsmap(form, before, lines):
    """A form before or after the grapheme-wise charsmap: the steps run in Sequence order."""
    tj = _spm_with({"type": form}, before)
    assert native_support(tj) == (True, "")
    texts = lines[:400] + _reference("NFD", lines[:200])
    assert_same(tj, texts)
    hf, nt = pair(tj)
    tricky = ["".join(TRICKY[k : k + 9]) for k in range(0, len(TRICKY), 3)]
    assert nt._tok.normalize(tuple(tricky)) == [hf.normalizer.normalize_str(t) for t in tricky]


# ------------------------------------------------------------------ byte-level BPE


@pytest.fixture(scope="module")
def bpe_variant_json():
    pytest.importorskip("test_native_tokenizer_bpe")
    from test_native_tokenizer_bpe import variant_json

    return variant_json


#: (BPE variant of test_native_tokenizer_bpe, normalizer)
BPE_CASES = [
    ("qwen2", {"type": "NFC"}),  # Qwen2's shape
    ("roberta", {"type": "NFKC"}),  # add_prefix_space sees the normalized text
    ("gpt2", {"type": "NFD"}),
    ("qwen2_prefix", {"type": "NFKD"}),
    ("roberta", {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "NFKC"}]}),
]


def _bpe(bpe_variant_json, name: str, norm: dict) -> str:
    tj = json.loads(bpe_variant_json(name))
    tj["normalizer"] = norm
    return json.dumps(tj)


@pytest.mark.parametrize(("name", "norm"), BPE_CASES)
def test_bpe_with_a_unicode_normalizer_runs_natively(bpe_variant_json, name, norm, lines):
    tj = _bpe(bpe_variant_json, name, norm)
    assert native_support(tj) == (True, "")
    texts = lines[:1500] + _reference("NFD", lines[:500])
    texts += ["\u3000x <|endoftext|>\u3000e\u0301<mask>\uff21", "\u00a0", "A\u030a<m>\u0301"]
    assert_same(tj, texts)


@pytest.mark.parametrize(("name", "norm"), BPE_CASES[:2])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(st.sampled_from(TRICKY), max_size=16), min_size=1, max_size=20))
def test_bpe_normalized_generated_text(bpe_variant_json, name, norm, texts):
    assert_same(_bpe(bpe_variant_json, name, norm), texts)


# Bytes that decode to marks, jamo and precomposed letters, cut and broken.
_PIECES = [t.encode() for t in TRICKY] + [b"\xcc", b"\xe1\x84", b"\xff", b"\xed\xa0\x80"]


@pytest.mark.parametrize(("name", "norm"), BPE_CASES[:2])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(st.lists(st.sampled_from(_PIECES), max_size=12), min_size=1, max_size=8))
def test_bpe_normalized_invalid_utf8(bpe_variant_json, name, norm, data):
    """Ill-formed UTF-8 becomes U+FFFD natively before the normalizer, as in tokenizers."""
    hf, nt = pair(_bpe(bpe_variant_json, name, norm))
    raw = [b"".join(parts) for parts in data]
    assert native_ids(nt, raw) == hf_ids(hf, [b.decode("utf-8", "replace") for b in raw])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(st.lists(st.sampled_from(_PIECES), max_size=12), min_size=1, max_size=8))
def test_unigram_normalized_invalid_utf8(data):
    hf, nt = pair(trained_json(normalizer="NFKC"))
    raw = [b"".join(parts) for parts in data]
    assert native_ids(nt, raw) == hf_ids(hf, [b.decode("utf-8", "replace") for b in raw])


@pytest.mark.parametrize(
    ("norm", "match"),
    [
        ({"type": "Lowercase"}, "normalizer 'Lowercase' (native for BPE: NFC, NFD"),
        ({"type": "NFC", "x": 1}, "normalizer 'NFC'"),
        ({"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Strip"}]}, "'Strip'"),
    ],
)
def test_bpe_declines_other_normalizers(bpe_variant_json, norm, match):
    tj = json.loads(_bpe(bpe_variant_json, "qwen2", norm))
    ok, reason = native_support(tj)
    assert not ok and match in reason


def test_bpe_normalized_added_tokens_with_a_normalizer_are_declined(bpe_variant_json):
    """A normalized added token matches the normalized text, which the one raw pass here
    does not see (">" + U+0338 composes to U+226F under NFC)."""
    tj = json.loads(_bpe(bpe_variant_json, "qwen2", {"type": "NFC"}))
    for a in tj["added_tokens"]:
        a["normalized"] = True
    ok, reason = native_support(tj)
    assert not ok and "normalized=true" in reason


@pytest.mark.parametrize("form", FORMS)
def test_long_runs_of_marks(form):
    """Thousands of marks after one starter, in falling and mixed class order (sorted
    stably, in n log n), and jamo runs."""
    marks = "\u0301\u0316\u0345\u0334\u05b0\u0f71\u0323\u0308"
    _assert_forms_equal(
        form,
        [
            "e" + "\u0301\u0316" * 3000,
            "a" + marks * 700 + "b" + marks[::-1] * 300,
            "\u1100\u1161\u11a8" * 2000 + "\u1100" * 50 + "\u1161" * 50,
        ],
    )


def test_bpe_build_cache_tells_normalizers_apart(bpe_variant_json):
    """support_reason keeps its native build for build(); one parsed table pair under
    another normalizer must not get that build back."""
    from fastpool._tokenizer_doc import parse
    from fastpool.tokenizer import bpe

    text = _bpe(bpe_variant_json, "roberta", {"type": "NFKC"})
    plain = parse(text)
    assert plain is not None
    plain["normalizer"] = None
    nfkc = {**plain, "normalizer": {"type": "NFKC"}}
    assert bpe.support_reason(plain) == "" and bpe.support_reason(nfkc) == ""
    hf = tokenizers.Tokenizer.from_str(text)
    texts = ["\uff21\uff22 \u3000x\u00bd", "e\u0301 \ufb01"]
    assert bpe.support_reason(plain) == ""  # the cache now holds the build without one
    ids, offsets = bpe.build(nfkc).tok.tokenize_csr(tuple(texts), -1, -1, False, 1)
    got = [ids[offsets[k] : offsets[k + 1]].tolist() for k in range(len(texts))]
    assert got == hf_ids(hf, texts)
