"""Loading reads tokenizer.json once: the vocabulary goes to a native string table
(``_core.json_vocab``), the ``tokenizers.Tokenizer`` is built only on demand, and
every answer (ids, stats, refusals and their reasons) is the one of the slow path."""

from __future__ import annotations

import copy
import json
import math
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from native_tokenizer_util import bert_json
from tokenizers import Tokenizer

import fastpool
from fastpool import _core, _tokenizer_doc
from fastpool._api import default_model_path
from fastpool._tokenizer_doc import TokenizerDoc, VocabTable, parse
from fastpool.tokenizer.native import native_support

CLEAN, DUPLICATE, NOT_OBJECT, BAD_TOKEN, LONG_TOKEN, BAD_ID, EMPTY = 0, 2, 3, 4, 5, 6, 7


def _table_dict(table: VocabTable) -> dict[str, int]:
    blob, offsets, ids = table.string_table()
    tokens = [blob[offsets[k] : offsets[k + 1]].decode() for k in range(len(ids))]
    return dict(zip(tokens, ids.tolist(), strict=True))


def _status(text: str) -> int:
    return _core.json_vocab(text.encode("utf-8"), _tokenizer_doc.MAX_TOKEN_CHARS)["status"]


# ------------------------------------------------------------------ the native pass


def test_bundled_vocabulary_matches_json_loads():
    text = (default_model_path() / "tokenizer.json").read_text(encoding="utf-8")
    want = json.loads(text)
    got = parse(text)
    assert got is not None
    table = got["model"]["vocab"]
    assert isinstance(table, VocabTable)
    assert _table_dict(table) == want["model"]["vocab"]
    assert list(_table_dict(table)) == list(want["model"]["vocab"])  # the file's order
    assert table.chars.tolist() == [len(t) for t in want["model"]["vocab"]]
    del got["model"]["vocab"], want["model"]["vocab"]
    assert got == want  # the rest as json.loads reads it


@pytest.mark.parametrize(
    ("vocab_json", "status"),
    [
        ('{"a": 0, "b": 1}', CLEAN),
        ('{"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t": 0}', CLEAN),
        ('{"\\ud83d\\ude00": 0, "\\u0000": 1, "": 2}', CLEAN),
        ('{"a": 0, "a": 1}', DUPLICATE),
        ('{"\\u00e9": 0, "é": 1}', DUPLICATE),  # equal once decoded
        ('{"\\ud800": 0}', BAD_TOKEN),  # lone surrogates
        ('{"\\udc00x": 0}', BAD_TOKEN),
        ('{"\\ud800\\u0041": 0}', BAD_TOKEN),
        ('{"a\tb": 0}', BAD_TOKEN),  # a raw control character
        ('{"' + "a" * 1001 + '": 0}', LONG_TOKEN),
        ('{"' + "é" * 1000 + '": 0}', CLEAN),  # code points, not bytes
        ('{"a": 1}', BAD_ID),
        ('{"a": -0}', BAD_ID),
        ('{"a": 0.0}', BAD_ID),
        ('{"a": 0e0}', BAD_ID),
        ('{"a": 00}', BAD_ID),
        ('{"a": true}', BAD_ID),
        ('{"a": "0"}', BAD_ID),
        ('{"a": 99999999999}', BAD_ID),
        ("{}", EMPTY),
        ("[]", EMPTY),  # a list: Unigram's shape
        ("3", NOT_OBJECT),
        ('"a"', NOT_OBJECT),
        ('{"a": 0,}', 8),
    ],
)
def test_vocabulary_statuses(vocab_json, status):
    assert _status('{"model": {"type": "WordPiece", "vocab": ' + vocab_json + "}}") == status


def test_only_the_top_level_model_vocab_counts():
    inner = '{"a": 0}'
    assert _status('{"x": {"model": {"vocab": 3}}, "model": {"vocab": ' + inner + "}}") == CLEAN
    assert _status('{"model": {"x": {"vocab": 3}, "vocab": ' + inner + "}}") == CLEAN
    assert _status('{"s": "\\"model\\": {", "model": {"vocab": ' + inner + "}}") == CLEAN
    assert _status('{"mod\\u0065l": {"voc\\u0061b": ' + inner + "}}") == CLEAN
    assert _status('{"model": {"vocab": ' + inner + '}, "model": {}}') == DUPLICATE
    assert _status('{"model": {"vocab": ' + inner + ', "vocab": {}}}') == DUPLICATE
    assert _status('{"model": [], "x": 1}') == 1
    assert _status("[]") == 1
    assert _status('{"model": {"vocab": {"a": 0') == 8


token = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=150, deadline=None)
@given(tokens=st.lists(token, min_size=1, max_size=40, unique=True), ascii_only=st.booleans())
def test_any_clean_vocabulary_reads_as_json_loads(tokens, ascii_only):
    vocab = {t: i for i, t in enumerate(reversed(tokens))}
    tj = {"version": "1.0", "model": {"type": "WordPiece", "unk_token": tokens[0], "vocab": vocab}}
    got = parse(json.dumps(tj, ensure_ascii=ascii_only))
    assert got is not None
    assert list(_table_dict(got["model"]["vocab"]).items()) == list(vocab.items())


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60))
def test_arbitrary_text_never_crashes_the_pass(text):
    # Whatever the bytes, a status; never a crash (the caller falls back on non-zero).
    for wrapped in (text, '{"model": {"vocab": ' + text, '{"model": {"vocab": {' + text + "}}}"):
        status = _status(wrapped)
        assert 0 <= status <= 10  # json_vocab.h: kClean .. kBadMerge
        if status == CLEAN:
            json.loads(wrapped[: wrapped.rindex("}") + 1] if wrapped.endswith("}") else wrapped)


def test_parse_falls_back_on_other_models_and_unclean_vocabularies():
    tj = copy.deepcopy(bert_json())
    assert isinstance(parse(json.dumps(tj))["model"]["vocab"], VocabTable)
    tj["model"]["type"] = "WordLevel"
    assert parse(json.dumps(tj)) is None  # a family that does not take a VocabTable yet
    tj["model"]["type"] = "Unigram"
    assert parse(json.dumps(tj)) is None  # an object vocab where a list belongs
    tj = copy.deepcopy(bert_json())
    text = json.dumps(tj)
    assert parse(text.replace('"[UNK]": 100', '"[UNK]": 100.0', 1)) is None
    assert parse(text[:-1]) is None  # the text around the vocabulary is not JSON
    doc = TokenizerDoc(text.replace('"[UNK]": 100', '"[UNK]": 100.0', 1))
    assert doc.data["model"]["vocab"]["[UNK]"] == 100.0  # read by json.loads instead


def test_vocab_table_is_a_mapping():
    table = parse(json.dumps(bert_json()))["model"]["vocab"]
    vocab = bert_json()["model"]["vocab"]
    assert len(table) == len(vocab)
    assert table["[UNK]"] == vocab["[UNK]"] and table.get("no-such-token") is None
    assert "[CLS]" in table and "\ud800" not in table and 3 not in table
    with pytest.raises(KeyError):
        table["no-such-token"]
    assert dict(table.items()) == vocab


# ------------------------------------------------------------------ same refusals, same reasons


BAD_VOCABULARIES = [
    lambda v: v.update({"\ud800": len(v)}),
    lambda v: v.update({"a" * 1001: len(v)}),
    lambda v: v.update({"[UNK]": len(v) + 7}),
    lambda v: v.update({"[UNK]": -1}),
    lambda v: v.update({"[UNK]": 1.5}),
    lambda v: v.update({"[UNK]": True}),
    lambda v: v.update({"[UNK]": "100"}),
    lambda v: v.clear(),
]


@pytest.mark.parametrize("mutate", BAD_VOCABULARIES)
def test_bad_vocabularies_are_refused_with_the_same_reason(mutate):
    tj = copy.deepcopy(bert_json())
    mutate(tj["model"]["vocab"])
    ok, reason = native_support(tj)
    assert not ok and reason
    assert native_support(TokenizerDoc(json.dumps(tj)).data) == (False, reason)


def test_duplicate_tokens_read_as_json_loads_reads_them():
    text = json.dumps(bert_json())
    dup = text.replace('"[UNK]": 100', '"[UNK]": 100, "[CLS]": 101', 1)
    assert parse(dup) is None
    assert native_support(TokenizerDoc(dup).data) == native_support(json.loads(dup))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("load-once") / "model"
    shutil.copytree(default_model_path(), dest)
    return dest


def _with_tokenizer(folder: Path, tmp_path: Path, edit) -> Path:
    dest = tmp_path / "edited"
    shutil.copytree(folder, dest)
    tj = json.loads((dest / "tokenizer.json").read_text(encoding="utf-8"))
    edit(tj)
    (dest / "tokenizer.json").write_text(json.dumps(tj), encoding="utf-8")
    return dest


def test_a_file_tokenizers_refuses_is_refused_at_load(folder, tmp_path):
    # The native tokenizer ignores the decoder, but the file is still checked whole.
    path = _with_tokenizer(folder, tmp_path, lambda t: t.update(decoder={"type": "NoSuch"}))
    with pytest.raises(ValueError, match=r"tokenizer\.json: not a valid tokenizer"):
        fastpool.load(path)


def test_unknown_token_outside_the_vocabulary_is_refused(folder, tmp_path):
    path = _with_tokenizer(folder, tmp_path, lambda t: t["model"].update(unk_token="[NO]"))
    with pytest.raises(ValueError, match=r"the unknown token '\[NO\]' is not in the vocabulary"):
        fastpool.load(path)


def _long_token(tj: dict) -> None:
    vocab = tj["model"]["vocab"]
    token = next(t for t, i in vocab.items() if i == 2000)
    vocab["a" * 1001] = vocab.pop(token)


def test_native_backend_names_the_vocabulary_fault(folder, tmp_path):
    path = _with_tokenizer(folder, tmp_path, _long_token)
    assert fastpool.load(path).tokenizer_backend == "tokenizers"
    with pytest.raises(ValueError, match="longer than 1000 characters"):
        fastpool.load(path, tokenizer_backend="native")


# ------------------------------------------------------------------ the lazy Tokenizer


def test_the_tokenizer_is_built_only_when_asked_for(folder):
    model = fastpool.load(folder)
    assert model.tokenizer_backend == "native"
    assert not model._doc.built
    texts = ["Hello world, naïve café", "the unknown ☃ token"]
    vectors = model.encode(texts)
    model.tokenize_csr(texts)
    assert not model._doc.built
    hf = model.tokenizer  # model2vec's attribute: truncation at max_length
    assert hf.truncation is not None and hf.truncation["max_length"] == model.max_length
    assert model._tokenizer.truncation is None  # the private one, built now
    assert model._doc.built
    want = Tokenizer.from_file(str(folder / "tokenizer.json"))
    assert hf.encode(texts[0]).ids == want.encode(texts[0]).ids
    np.testing.assert_array_equal(model.encode(texts), vectors)


def test_stats_without_the_tokenizer_equal_the_tokenizers_ones(folder):
    lazy = fastpool.load(folder)
    eager = fastpool.load(folder, tokenizer_backend="tokenizers")
    assert not lazy._doc.built and eager._doc.built
    for name in ("n_tokens", "max_id", "median_token_length", "unk_id", "drop_id"):
        assert getattr(lazy._pipeline, name) == getattr(eager._pipeline, name), name
    assert lazy._doc.padding == eager._doc.padding
    texts = ["Hello world, naïve café", "x" * 300, "", "[UNK] [CLS] tokens"]
    for a, b in zip(lazy.tokenize_csr(texts), eager.tokenize_csr(texts), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(lazy.encode(texts), eager.encode(texts), atol=1e-6)


def test_stats_of_added_tokens_outside_the_vocabulary(tmp_path):
    tj = copy.deepcopy(bert_json())
    n = len(tj["model"]["vocab"])
    tj["added_tokens"].append(
        {"id": n, "content": "<new-token>", "single_word": False, "lstrip": False,
         "rstrip": False, "normalized": False, "special": True}
    )  # fmt: skip
    tokenizer = Tokenizer.from_str(json.dumps(tj))
    table = np.ones((n + 1, 4), dtype=np.float32)
    model = fastpool.StaticModel(table, tokenizer)
    assert model.tokenizer_backend == "native"
    model.save_pretrained(tmp_path / "m")
    lazy = fastpool.load(tmp_path / "m")
    assert not lazy._doc.built
    assert (lazy._pipeline.n_tokens, lazy._pipeline.max_id) == (n + 1, n)
    assert lazy._pipeline.median_token_length == model._pipeline.median_token_length
    assert lazy.tokenize_csr(["a <new-token> b"])[0].tolist() == [1037, n, 1038]


def test_pickles_and_copies_keep_working(folder):
    model = fastpool.load(folder)
    again = pickle.loads(pickle.dumps(model))
    assert not again._doc.built
    arrays = fastpool.StaticModel(np.array(model.table), model._tokenizer)
    restored = pickle.loads(pickle.dumps(arrays))
    texts = ["pickled text"]
    np.testing.assert_array_equal(restored.encode(texts), arrays.encode(texts))
    assert (
        restored.tokenizer.encode("pickled text").ids == model.tokenizer.encode("pickled text").ids
    )


def test_save_without_building_the_private_tokenizer(folder, tmp_path):
    model = fastpool.load(folder)
    model.save_pretrained(tmp_path / "saved")
    assert not model._doc.built
    saved = fastpool.load(tmp_path / "saved")
    texts = ["saved and loaded"]
    np.testing.assert_array_equal(saved.encode(texts), model.encode(texts))


def test_setting_a_tokenizer_rebuilds(folder):
    model = fastpool.load(folder)
    hf = Tokenizer.from_file(str(folder / "tokenizer.json"))
    hf.enable_padding(pad_id=0, pad_token="[PAD]")
    model.tokenizer = hf
    assert model._doc.padding is not None and model._doc.padding["pad_token"] == "[PAD]"
    assert model.tokenizer.padding is not None
    assert re.search("native", model.tokenizer_backend)


def test_import_does_not_build_anything_heavy():
    import subprocess
    import sys

    code = (
        "import sys, fastpool; "
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'model2vec', "
        "'scipy', 'pandas', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------ Unigram and BPE tables

BAD_SCORE, BAD_MERGE = 9, 10


def _unigram_status(entries: str) -> int:
    return _status('{"model": {"type": "Unigram", "unk_id": 0, "vocab": ' + entries + "}}")


@pytest.mark.parametrize(
    ("entries", "status"),
    [
        ('[["a", -1.5], ["b", 0]]', CLEAN),
        ('[["\\u00e9", -0.0], ["", 1e-3], ["c", 12345678901234567890]]', CLEAN),
        ('[["a", -1], ["a", -2]]', DUPLICATE),
        ('[["\\ud800", -1]]', BAD_TOKEN),
        ('[["a", NaN]]', BAD_SCORE),
        ('[["a", -Infinity]]', BAD_SCORE),
        ('[["a", 1e400]]', BAD_SCORE),  # Python: inf, refused as not finite
        ('[["a", true]]', BAD_SCORE),
        ('[["a", "1"]]', BAD_SCORE),
        ('[["a", 01]]', BAD_SCORE),
        ('[["a", 1.]]', BAD_SCORE),
        ('[["a"]]', BAD_SCORE),
        ('[["a", 1, 2]]', BAD_SCORE),
        ("[[1, 1]]", BAD_SCORE),
        ('["a"]', BAD_SCORE),
        ("[]", EMPTY),
        ('[["a", 1],]', BAD_SCORE),
    ],
)
def test_unigram_statuses(entries, status):
    assert _unigram_status(entries) == status


@settings(max_examples=200, deadline=None)
@given(score=st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**30), 10**30))
def test_scores_read_as_json_loads_reads_them(score):
    text = json.dumps({"model": {"type": "Unigram", "unk_id": 0, "vocab": [["a", score]]}})
    got = parse(text)
    assert got is not None
    assert got["model"]["vocab"].scores.tolist() == [float(score)]


@pytest.mark.parametrize("literal", ["-0", "0", "-0.0", "-0e5", "1E2", "-12345678901234567890"])
def test_score_literals_read_as_python_reads_them(literal):
    text = '{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["a", ' + literal + "]]}}"
    want = float(json.loads(text)["model"]["vocab"][0][1])
    got = parse(text)["model"]["vocab"].scores[0]
    assert (got, math.copysign(1, got)) == (want, math.copysign(1, want))


@pytest.mark.parametrize(
    ("merges", "status"),
    [
        ('["a b", "ab c"]', CLEAN),
        ('[["a", "b"], ["ab", "c"]]', CLEAN),
        ("[]", CLEAN),
        ('["a b", ["ab", "c"]]', BAD_MERGE),
        ('[["a", "b"], "ab c"]', BAD_MERGE),
        ('[["a", "b", "c"]]', BAD_MERGE),
        ('[["a"]]', BAD_MERGE),
        ('["a\\u0000b"]', BAD_MERGE),
        ('["a \\ud800"]', BAD_MERGE),
        ("[1]", BAD_MERGE),
    ],
)
def test_merge_statuses(merges, status):
    text = '{"model": {"type": "BPE", "merges": ' + merges + ', "vocab": {"a": 0}}}'
    assert _status(text) == status


def test_merges_read_as_json_loads_reads_them():
    for merges in (["a b", "ab c", "é ü"], [["a", "b"], ["a b", "c"]], []):
        tj = {"model": {"type": "BPE", "vocab": {"a": 0}, "merges": merges}}
        got = parse(json.dumps(tj, ensure_ascii=False))
        assert got is not None
        table = got["model"]["merges"]
        assert isinstance(table, _tokenizer_doc.MergeTable)
        assert len(table) == len(merges) and list(table) == merges


@pytest.fixture(scope="module")
def unigram_json() -> str:
    from unigram_util import spm_json, with_added

    return with_added(spm_json(2000, n_lines=4000), ["<new>", "▁the"])


@pytest.fixture(scope="module")
def bpe_json() -> str:
    from test_native_tokenizer_bpe import variant_json

    return variant_json("gpt2")


def _folder(tj: str, dest: Path) -> Path:
    tokenizer = Tokenizer.from_str(tj)
    n = tokenizer.get_vocab_size(with_added_tokens=True)
    table = np.random.default_rng(0).standard_normal((n, 6)).astype(np.float32)
    fastpool.StaticModel(table, tokenizer).save_pretrained(dest)
    return dest


FAMILY_TEXTS = [
    "Hello world, naïve café",
    "Паке́т для работы с изображениями <new> 日本語のテキスト",
    "",
    "  spaces   and\ttabs <|endoftext|> ▁the end",
    "x" * 500,
]


@pytest.mark.parametrize("family", ["unigram", "bpe"])
def test_unigram_and_bpe_load_without_the_tokenizer(family, request, tmp_path):
    tj = request.getfixturevalue(f"{family}_json")
    folder = _folder(tj, tmp_path / family)
    lazy = fastpool.load(folder)
    eager = fastpool.load(folder, tokenizer_backend="tokenizers")
    assert lazy.tokenizer_backend == "native" and not lazy._doc.built
    assert isinstance(lazy._doc.data["model"]["vocab"], VocabTable | _tokenizer_doc.PieceTable)
    for name in ("n_tokens", "max_id", "median_token_length", "unk_id", "drop_id"):
        assert getattr(lazy._pipeline, name) == getattr(eager._pipeline, name), name
    assert lazy._doc.padding == eager._doc.padding
    for a, b in zip(lazy.tokenize_csr(FAMILY_TEXTS), eager.tokenize_csr(FAMILY_TEXTS), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(lazy.encode(FAMILY_TEXTS), eager.encode(FAMILY_TEXTS), atol=1e-6)
    assert not lazy._doc.built
    # Pickling, saving and the tokenizers Tokenizer on demand, as the slow path gives them.
    again = pickle.loads(pickle.dumps(lazy))
    assert not again._doc.built
    np.testing.assert_array_equal(again.encode(FAMILY_TEXTS), lazy.encode(FAMILY_TEXTS))
    lazy.save_pretrained(tmp_path / "lazy")
    eager.save_pretrained(tmp_path / "eager")
    for name in ("tokenizer.json", "model.safetensors"):
        assert (tmp_path / "lazy" / name).read_bytes() == (tmp_path / "eager" / name).read_bytes()
    text = FAMILY_TEXTS[1]
    assert lazy.tokenizer.encode(text).ids == eager.tokenizer.encode(text).ids


def _unigram_edit(tj: dict, how: str) -> None:
    vocab = tj["model"]["vocab"]
    if how == "duplicate":
        vocab.append(list(vocab[5]))
    elif how == "nan":
        vocab[7][1] = float("nan")
    elif how == "string score":
        vocab[7][1] = "-1.0"
    elif how == "bool score":
        vocab[7][1] = True
    elif how == "triple":
        vocab[7].append(0.0)
    elif how == "surrogate":
        vocab[7][0] = "\ud800"
    elif how == "unk_id":
        tj["model"]["unk_id"] = len(vocab)


@pytest.mark.parametrize(
    "how", ["duplicate", "nan", "string score", "bool score", "triple", "surrogate", "unk_id"]
)
def test_dirty_unigram_vocabularies_fall_back_with_the_same_reason(unigram_json, how):
    tj = json.loads(unigram_json)
    _unigram_edit(tj, how)
    text = json.dumps(tj)
    assert native_support(TokenizerDoc(text).data) == native_support(json.loads(text))


def _bpe_edit(tj: dict, how: str) -> None:
    model = tj["model"]
    if how == "mixed merges":
        model["merges"][3] = " ".join(model["merges"][3])
    elif how == "nul merge":
        model["merges"][3] = ["a\0", "b"]
    elif how == "unknown merge":
        model["merges"][3] = ["no-such-token", "b"]
    elif how == "nul token":
        model["vocab"]["a\0b"] = len(model["vocab"])
    elif how == "long token":
        model["vocab"]["a" * 1001] = len(model["vocab"])


@pytest.mark.parametrize(
    "how", ["mixed merges", "nul merge", "unknown merge", "nul token", "long token"]
)
def test_dirty_bpe_files_fall_back_with_the_same_reason(bpe_json, how):
    tj = json.loads(bpe_json)
    _bpe_edit(tj, how)
    text = json.dumps(tj)
    assert native_support(TokenizerDoc(text).data) == native_support(json.loads(text))


def test_a_bpe_file_tokenizers_refuses_is_refused_at_load(bpe_json, tmp_path):
    folder = _folder(bpe_json, tmp_path / "bpe")
    tj = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    tj["model"]["merges"][3] = ["no-such-token", "b"]  # clean for the native pass
    (folder / "tokenizer.json").write_text(json.dumps(tj), encoding="utf-8")
    with pytest.raises(ValueError, match=r"tokenizer\.json: not a valid tokenizer"):
        fastpool.load(folder)


def test_bpe_builds_its_native_tables_once(bpe_json, monkeypatch):
    from fastpool.tokenizer import bpe, native

    calls = []
    real = bpe._construct
    monkeypatch.setattr(bpe, "_construct", lambda tj: calls.append(1) or real(tj))
    tok = native.NativeTokenizer(bpe_json)
    assert len(calls) == 1
    want = Tokenizer.from_str(bpe_json)
    for text in FAMILY_TEXTS:
        ids, _ = tok.tokenize_csr([text])
        assert ids.tolist() == want.encode(text, add_special_tokens=False).ids


def test_find_many_agrees_with_the_dict():
    table = parse(json.dumps(bert_json()))["model"]["vocab"]
    vocab = bert_json()["model"]["vocab"]
    tokens = [*list(vocab)[::97], "no-such-token", "\ud800", "", "[UNK]", "##s"]
    for some in (tokens[:3], tokens):  # a few: linear look-ups; many: one hashed pass
        assert table.find_many(some) == [vocab.get(t) for t in some]
    pieces = parse(json.dumps({"model": {"type": "Unigram", "vocab": [["a", 0], ["", 1]]}}))
    table = pieces["model"]["vocab"]
    assert table.find_many(["", "a", "b", "\ud800"] * 3) == [1, 0, None, None] * 3
    assert table[1] == ["", 1.0] and table[-2] == ["a", 0.0] and list(table) == table.as_list()


@pytest.mark.parametrize("family", ["wordpiece", "unigram", "bpe", "bpe-strings", "empty-merges"])
def test_extent_of_the_rest_plus_the_tables_is_the_whole_texts(family, request):
    if family == "wordpiece":
        tj = json.dumps(bert_json())
    elif family == "unigram":
        tj = request.getfixturevalue("unigram_json")
    else:
        data = json.loads(request.getfixturevalue("bpe_json"))
        merges = data["model"]["merges"]
        data["model"]["merges"] = (
            [] if family == "empty-merges" else [" ".join(m) for m in merges]
            if family == "bpe-strings" else merges
        )  # fmt: skip
        tj = json.dumps(data)
    raw = tj.encode("utf-8")
    scanned = _tokenizer_doc.scan(raw)
    assert scanned is not None
    depth, whole = _core.json_extent(raw, 128)
    rest_depth, rest = _core.json_extent(scanned.rest, 128)
    assert rest + scanned.structurals == whole
    # The tables nest at most one level below the vocab / merges value (depth 3).
    assert max(rest_depth, 4 if family in ("unigram", "bpe") else 3) == depth
