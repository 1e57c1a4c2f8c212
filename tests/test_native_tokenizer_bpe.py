"""The native byte-level BPE tokenizer against `tokenizers`, id for id.

The tokenizers are real: trained here with `tokenizers`' BpeTrainer (ByteLevel
pre-tokenizer, the full byte alphabet) on stdlib docstrings and, where apt's
translated Debian descriptions are present, on text in seven languages. Small
vocabularies keep training to about a second; each variant is trained once.
"""

from __future__ import annotations

import glob
import inspect
import json
import subprocess
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from native_tokenizer_util import assert_same, hf_ids, native_ids, pair

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import AddedToken, Regex, Tokenizer, models, pre_tokenizers, trainers  # noqa: E402

from fastpool.tokenizer.bpe import SPLIT_PATTERNS  # noqa: E402
from fastpool.tokenizer.native import native_support  # noqa: E402

LISTS = "/var/lib/apt/lists"
LANGUAGES = ("en", "de", "fr", "es", "ja", "ru", "zh%5fCN")
ADDED = ["<|endoftext|>", "<mask>", "<m>", " spaced ", "日本"]


@cache
def docstrings() -> tuple[str, ...]:
    """Docstrings of a few stdlib modules and their members (real English text)."""
    import collections
    import json as json_module
    import os
    import pathlib
    import re
    import string

    out = []
    for module in (collections, json_module, os, pathlib, re, string, inspect, subprocess):
        for obj in [module] + [getattr(module, a) for a in sorted(vars(module))]:
            doc = inspect.getdoc(obj) if not isinstance(obj, str | int) else None
            if doc:
                out.append(doc)
    return tuple(dict.fromkeys(out))


@cache
def debian(per_language: int = 400) -> tuple[str, ...]:
    """Long descriptions from apt's translated Debian descriptions; () when absent."""
    out = []
    for lang in LANGUAGES:
        files = sorted(glob.glob(f"{LISTS}/*_main_i18n_Translation-{lang}*"))
        if not files:
            continue
        raw = subprocess.run(
            ["/usr/lib/apt/apt-helper", "cat-file", files[0]], capture_output=True, check=True
        ).stdout.decode("utf-8", "replace")
        for block in raw.split("\n\n")[:per_language]:
            lines = [ln for ln in block.split("\n") if ln.startswith(("Description", " "))]
            text = "\n".join(ln.split(":", 1)[1] if ln.startswith("D") else ln for ln in lines)
            if text.strip():
                out.append(text)
    return tuple(out)


def _needs_debian() -> tuple[str, ...]:
    texts = debian()
    if not texts:
        pytest.skip(f"no apt Translation files in {LISTS}: run `apt-get update -o "
                    "Acquire::Languages=en,de,fr,es,ja,ru,zh_CN`")  # fmt: skip
    return texts


def _train(vocab_size: int, model: dict, pre: dict, trainer: dict, alphabet: bool) -> Tokenizer:
    tok = Tokenizer(models.BPE(**model))
    pre = dict(pre)
    split = pre.pop("split", None)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(**pre)
    if split is not None:  # Qwen2's shape: Split, then ByteLevel without its own regex
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Split(Regex(SPLIT_PATTERNS[split]), "isolated"), tok.pre_tokenizer]
        )
    extra = {"initial_alphabet": pre_tokenizers.ByteLevel.alphabet()} if alphabet else {}
    tr = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False, **extra, **trainer)
    tok.train_from_iterator(list(docstrings()) + list(debian(150)), tr)
    return tok


#: name -> (vocab size, BPE options, ByteLevel options, trainer options, json edits)
VARIANTS: dict[str, tuple] = {
    "gpt2": (4000, {}, {"add_prefix_space": False}, {}, {}),
    "roberta": (3000, {}, {"add_prefix_space": True}, {}, {}),
    "no_regex": (2000, {}, {"add_prefix_space": True, "use_regex": False}, {}, {}),
    "ignore_merges": (3000, {}, {"add_prefix_space": False}, {}, {"ignore_merges": True}),
    "prefix": (2500, {}, {"add_prefix_space": False}, {"continuing_subword_prefix": "##"}, {}),
    "suffix": (2500, {}, {"add_prefix_space": True}, {"end_of_word_suffix": "</w>"}, {}),
    # No initial alphabet: bytes never seen in training are unknown.
    "unk": (2000, {"unk_token": "<unk>"}, {"add_prefix_space": False},
            {"special_tokens": ["<unk>"]}, {}),
    "unk_fused": (2000, {"unk_token": "<unk>", "fuse_unk": True}, {"add_prefix_space": False},
                  {"special_tokens": ["<unk>"]}, {}),
    "qwen2": (3000, {}, {"split": "qwen2", "add_prefix_space": False, "use_regex": False},
              {}, {}),
    "qwen2_prefix": (2000, {}, {"split": "qwen2", "add_prefix_space": True, "use_regex": True},
                     {}, {}),
    "byte_fallback": (2000, {"unk_token": "<unk>"}, {"add_prefix_space": False},
                      {"special_tokens": ["<unk>"] + [f"<0x{b:02X}>" for b in range(0, 256, 3)]},
                      {"byte_fallback": True}),
}  # fmt: skip
ALPHABET = {"unk": False, "unk_fused": False, "byte_fallback": False}


@cache
def variant_json(name: str, added: bool = True) -> str:
    size, model, pre, trainer, edits = VARIANTS[name]
    tok = _train(size, model, pre, trainer, ALPHABET.get(name, True))
    if added:
        tok.add_special_tokens(["<|endoftext|>", "<mask>"])
        tok.add_tokens([AddedToken(t, normalized=False) for t in ADDED[2:]])
    tj = json.loads(tok.to_str())
    tj["model"].update(edits)
    for key, value in {**model, **trainer}.items():
        if key in tj["model"]:
            assert tj["model"][key] == value, (name, key)
    return json.dumps(tj)


def test_every_variant_is_native():
    for name in VARIANTS:
        assert native_support(variant_json(name)) == (True, ""), name


# ------------------------------------------------------------------ every code point

CODE_POINTS = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
CHUNK = 64


@cache
def _isolated() -> tuple[str, ...]:
    """Each code point after a letter, before a digit, after a space, before a symbol:
    whether it joins each tells its class."""
    return tuple(
        "".join(f"a{chr(c)}1 {chr(c)}!" for c in CODE_POINTS[i : i + CHUNK])
        for i in range(0, len(CODE_POINTS), CHUNK)
    )


@cache
def _adjacent() -> tuple[str, ...]:
    cps = CODE_POINTS
    return tuple("".join(map(chr, cps[i : i + CHUNK])) for i in range(0, len(cps), CHUNK))


@pytest.mark.parametrize("variant", ["gpt2", "qwen2"])
def test_every_code_point_isolated(variant):
    assert_same(variant_json(variant), _isolated())


@pytest.mark.parametrize("variant", ["gpt2", "unk_fused", "byte_fallback", "qwen2"])
def test_every_code_point_adjacent(variant):
    assert_same(variant_json(variant), _adjacent())


# ------------------------------------------------------------------ real text


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_stdlib_docstrings(variant):
    assert_same(variant_json(variant), docstrings())


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_debian_descriptions_in_seven_languages(variant):
    assert_same(variant_json(variant), _needs_debian())


def test_every_vocabulary_token_and_merge():
    """Each vocabulary token as text (in and out of context) is one of the corner cases."""
    hf, _ = pair(variant_json("gpt2"))
    decoded = [hf.decode([i]) for i in range(hf.get_vocab_size())]
    assert_same(variant_json("gpt2"), decoded)
    assert_same(variant_json("roberta"), ["".join(decoded[i : i + 16]) for i in range(0, 3000, 16)])


# ------------------------------------------------------------------ adversarial text

_SPACES = " \t\n\r\x0b\x0c\x1c\x1f\x85\u00a0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u3000"
_WORDSY = "'sStTrReEvVmMlLdDſK\r\n"
_DIGITS = "0123456789٣४௫१²½Ⅻ"
_SCRIPTS = "aéßДжعربיעहि日本語한국어ไทย🙂👍🏽‍♀️\u0301\u200b\ufffd\x00"
_piece = st.one_of(
    st.text(min_size=1, max_size=6),  # any non-surrogate code point
    st.text(st.sampled_from(_SPACES), min_size=1, max_size=5),
    st.text(st.sampled_from(_WORDSY + " "), min_size=1, max_size=6),
    st.text(st.sampled_from(_DIGITS + " ."), min_size=1, max_size=6),
    st.text(st.sampled_from(_SCRIPTS + " !?"), min_size=1, max_size=6),
    st.sampled_from(ADDED + ["<|endoftext", "mask>", "<", "'ll", "'re", " 's", "the", "  "]),
)
_texts = st.lists(st.lists(_piece, max_size=12).map("".join), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=_texts, variant=st.sampled_from(list(VARIANTS)))
def test_adversarial_text(texts, variant):
    assert_same(variant_json(variant), texts)


@settings(max_examples=100, deadline=None)
@given(
    data=st.lists(st.binary(max_size=40), min_size=1, max_size=6),
    variant=st.sampled_from(["gpt2", "roberta", "unk"]),
)
def test_invalid_utf8_is_replacement_characters(data, variant):
    """bytes tokenize as bytes.decode("utf-8", "replace") does in tokenizers."""
    hf, nt = pair(variant_json(variant))
    assert native_ids(nt, data) == hf_ids(hf, [b.decode("utf-8", "replace") for b in data])


def test_known_cases():
    texts = [
        "",
        " ",
        "   ",
        "a   b",
        "a\n\n b",
        "it's we'll they're I've I'm he'd 'S 'LL",
        "''s '''",
        "x <|endoftext|>y<mask><mask> z",
        "<m>ask <mask",
        "abc spaced def",
        "日本語 日本",
        "\u00a0\u00a0a\u3000\u3000",
        "9" * 300,
        "word " * 500,
        "é" * 2000,
        b"\xff\xfe a \xed\xa0\x80 b \xf0\x9f\x98",
    ]
    for name in VARIANTS:
        hf, nt = pair(variant_json(name))
        want = hf_ids(hf, [t.decode("utf-8", "replace") if isinstance(t, bytes) else t
                           for t in texts])  # fmt: skip
        assert native_ids(nt, texts) == want, name


def test_lone_surrogates_read_as_the_replacement_character():
    hf, nt = pair(variant_json("gpt2"))
    assert native_ids(nt, ["a\ud800b"]) == hf_ids(hf, ["a\ufffdb"])


# ------------------------------------------------------------------ limits and threads


@settings(max_examples=60, deadline=None)
@given(
    texts=_texts,
    max_chars=st.one_of(st.none(), st.integers(0, 30)),
    max_tokens=st.one_of(st.none(), st.integers(0, 12)),
    drop_unk=st.booleans(),
    variant=st.sampled_from(["roberta", "unk"]),
)
def test_limits_follow_model2vec_order(texts, max_chars, max_tokens, drop_unk, variant):
    """Cut to max_chars code points, tokenize, keep max_tokens, then drop unk."""
    hf, nt = pair(variant_json(variant))
    want = hf_ids(hf, [t if max_chars is None else t[:max_chars] for t in texts])
    if max_tokens is not None:
        want = [w[:max_tokens] for w in want]
    if drop_unk:
        want = [[i for i in w if i != nt.unk_id] for w in want]
    got = native_ids(nt, texts, max_chars=max_chars, max_tokens=max_tokens, drop_unk=drop_unk)
    assert got == want


def test_thread_count_does_not_change_ids():
    """Each thread has its own word cache: ids never depend on it."""
    _, nt = pair(variant_json("gpt2"))
    texts = list(docstrings()) * 2
    one = nt.tokenize_csr(texts, n_threads=1)
    for n in (2, 3):
        got = nt.tokenize_csr(texts, n_threads=n)
        np.testing.assert_array_equal(got[0], one[0])
        np.testing.assert_array_equal(got[1], one[1])


def test_word_cache_full_batch():
    """More distinct words in one batch than the word cache holds (word_cache.h evicts at
    65,536 and grows its slots on the way): ids are still tokenizers'."""
    hf, nt = pair(variant_json("gpt2"))
    words = [f"{chr(0x61 + i % 26)}{i}{chr(0x7A - i // 26 % 26)}" for i in range(70_000)]
    texts = [" ".join(words[k : k + 20]) for k in range(0, len(words), 20)]
    texts += texts[:50]  # words seen before the cache was evicted
    assert native_ids(nt, texts, n_threads=1) == hf_ids(hf, texts)


def test_word_cache_outlives_calls_and_evicts():
    """Scratches are pooled across calls (text_tokenizer.h): the next call starts from the
    last one's word cache; a full cache keeps the words looked up again and drops the rest.
    Ids never depend on it, in the call that fills it or the ones after."""
    hf, nt = pair(variant_json("gpt2"))
    head = list(docstrings())[:150]
    want = hf_ids(hf, head)
    assert native_ids(nt, head, n_threads=1) == want
    assert native_ids(nt, head, n_threads=1) == want
    words = [f"{chr(0x61 + i % 26)}{i}{chr(0x7A - i // 26 % 26)}" for i in range(140_000)]
    texts = []
    for k in range(0, len(words), 20):  # two evictions, head[:10]'s words hit between
        texts.append(" ".join(words[k : k + 20]))
        if k // 20 % 50 == 0:
            texts.extend(head[:10])
    assert native_ids(nt, texts, n_threads=1) == hf_ids(hf, texts)
    assert native_ids(nt, head, n_threads=1) == want


# ------------------------------------------------------------------ what is declined


def _edit(tj: dict, path: str, value) -> dict:
    target = tj
    *head, last = path.split(".")
    for key in head:
        target = target[key]
    target[last] = value
    return tj


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        ("model.dropout", 0.1, "dropout"),
        ("model.unk_token", "<nope>", "unk_token"),
        ("model.fuse_unk", 1, "fuse_unk"),
        ("model.merges", ["a b c"], "merge 0 ('a b c')"),
        ("model.merges", ["ab"], "merge 0 ('ab')"),
        ("model.merges", ["t h", ["Ġ", "t"]], "all be 'left right' strings or all [left, right]"),
        ("model.merges", [["Ġ", "zzzq"]], "merge 0 (['Ġ', 'zzzq'])"),
        ("model.merges", [["Ġ", 3]], "merge tokens must be strings"),
        ("model.vocab", {"a": 0, "b\0": 1}, "NUL"),
        ("model.vocab", {"a": 0, "b": 2}, "[0, 2)"),
        ("model.vocab", {"a": 0, "\ud800": 1}, "not valid UTF-8"),
        ("model.continuing_subword_prefix", 3, "continuing_subword_prefix"),
        ("normalizer", {"type": "Lowercase"}, "normalizer 'Lowercase'"),
        ("pre_tokenizer", {"type": "Whitespace"}, "pre_tokenizer 'Whitespace'"),
        ("pre_tokenizer", {"type": "Sequence", "pretokenizers": []}, "pre_tokenizer Sequence"),
        ("pre_tokenizer.add_prefix_space", "yes", "add_prefix_space"),
        ("added_tokens", [{"id": 0, "content": "x", "single_word": True}], "single_word"),
    ],
)
def test_native_support_declines(path, value, match):
    tj = _edit(json.loads(variant_json("gpt2", added=False)), path, value)
    ok, reason = native_support(tj)
    assert not ok and match in reason


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda split: split.update(pattern={"Regex": "\\s+"}), "Split pattern"),
        (lambda split: split.update(pattern={"String": " "}), "Split pattern"),
        (lambda split: split.update(behavior="Removed"), "Split options"),
        (lambda split: split.update(invert=True), "Split options"),
    ],
)
def test_other_split_pre_tokenizers_are_declined(edit, match):
    tj = json.loads(variant_json("qwen2", added=False))
    edit(tj["pre_tokenizer"]["pretokenizers"][0])
    ok, reason = native_support(tj)
    assert not ok and match in reason


def test_qwen_with_its_nfc_normalizer_is_native():
    """Qwen2's shape with its NFC normalizer (test_native_tokenizer_normalize.py has more)."""
    tj = json.loads(variant_json("qwen2", added=False))
    tj["normalizer"] = {"type": "NFC"}
    assert native_support(tj) == (True, "")
    assert_same(json.dumps(tj), ["cafe\u0301 \u1100\u1161\u11a8 Ko\u0308ln", "A\u030a"])


def test_added_tokens_all_normalized_run_natively_without_a_normalizer():
    """GPT-2's tokenizer.json marks <|endoftext|> normalized: with no normalizer that is
    the raw text. A mix of normalized and raw tokens (two passes in tokenizers) runs
    natively where one pass gives the same, as here (no token overlaps one of the other
    kind; test_native_tokenizer_bpe_added.py has the declined mixes)."""
    tj = json.loads(variant_json("roberta"))
    for a in tj["added_tokens"]:
        a["normalized"] = True
    text = json.dumps(tj)
    assert native_support(text) == (True, "")
    assert_same(text, ["x <|endoftext|>y<mask><mask> z", "<m>ask spaced 日本語", "<|endoftext|>"])
    tj["added_tokens"][0]["normalized"] = False
    text = json.dumps(tj)
    assert native_support(text) == (True, "")
    assert_same(text, ["x <|endoftext|>y<mask><mask> z", "<m>ask spaced 日本語", "<|endoftext|>"])


def test_prefix_merges_must_carry_the_prefix():
    tj = json.loads(variant_json("prefix", added=False))
    tj["model"]["merges"][0] = ["t", "h"]
    ok, reason = native_support(tj)
    assert not ok and "merge 0 (['t', 'h'])" in reason and "continuing_subword_prefix" in reason


# ------------------------------------------------------------------ StaticModel


def test_static_model_runs_bpe_natively_with_the_tokenizers_vectors():
    from fastpool import StaticModel

    tok = Tokenizer.from_str(variant_json("roberta"))
    rng = np.random.default_rng(0)
    table = rng.standard_normal((tok.get_vocab_size(), 24)).astype(np.float32)
    native = StaticModel(table, tok)
    hf = StaticModel(table, tok, tokenizer_backend="tokenizers")
    assert native.tokenizer_backend == "native"
    texts = list(docstrings()[:200]) + list(debian(20)) + ["", "<mask> x", "é" * 600]
    for kw in ({}, {"max_length": 16}, {"normalize": False}):
        np.testing.assert_array_equal(native.encode(texts, **kw), hf.encode(texts, **kw))
    assert native.tokenize(texts) == hf.tokenize(texts)
