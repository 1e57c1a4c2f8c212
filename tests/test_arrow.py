"""StaticModel.encode_arrow and fastpool.ray.Embedder's Arrow path (no Ray cluster here).

The spec: ``encode_arrow(array, **options)`` is bit-identical to
``encode(array.to_pylist(), **options)``; with the native tokenizer it reads the
Arrow buffers in place (no Python str per row); nulls and corrupt offsets raise
ValueError naming the row.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_factory import make_model_folder

import fastpool
from fastpool import StaticModel

pa = pytest.importorskip("pyarrow")

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "",
    "   ",
    "Café, naïve, résumé — İstanbul ΑΒΓ straße",
    "日本語のテキストと中文 mixed with English",
    "emoji 🙂👍🏽 and ZWJ 👩‍👩‍👧 sequences",
    "tabs\tand\nnewlines\r\n and \x00 controls \x01",
    "word " * 3000,  # long: past max_length in tokens and in characters
    "x" * 500,  # one word longer than max_input_chars_per_word
    "Return the number of items in a container, or raise an error.",
]


@pytest.fixture(scope="module")
def native() -> StaticModel:
    model = fastpool.load()
    assert model.tokenizer_backend == "native"
    return model


@pytest.fixture(scope="module")
def hf(native) -> StaticModel:
    """The same model on Hugging Face tokenizers: encode_arrow's fallback path."""
    model = fastpool.load(tokenizer_backend="tokenizers")
    assert model.tokenizer_backend == "tokenizers"
    return model


def _same(model: StaticModel, array, texts: list[str], **options) -> None:
    got = model.encode_arrow(array, **options)
    want = model.encode(texts, **options)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("kind", ["string", "large_string", "string_view"])
def test_bit_identical_to_encode(native, kind):
    array = pa.array(TEXTS, type=getattr(pa, kind)())
    _same(native, array, TEXTS)


@pytest.mark.parametrize(
    "options",
    [
        {"max_length": 4},
        {"max_length": None},
        {"normalize": False},
        {"truncate_dim": 32},
        {"truncate_dim": 32, "normalize": True, "max_length": 8},
        {"precision": "int8"},
        {"precision": "ubinary"},
        {"prompt": "query: "},
        {"n_threads": 1},
        {"n_threads": 2, "batch_size": 3},
        {"normalize_embeddings": True, "convert_to_numpy": True},
    ],
)
def test_options_match_encode(native, options):
    texts = TEXTS * 20  # enough bytes for the native pass to use several threads
    _same(native, pa.array(texts), texts, **options)


def test_sliced_and_chunked(native):
    texts = TEXTS * 5
    base = pa.array(texts, type=pa.large_string())
    _same(native, base.slice(7, 23), texts[7:30])  # nonzero offset into shared buffers
    _same(native, base.slice(len(texts)), [])  # empty slice
    kind = pa.string()
    chunks = [pa.array(texts[:3], kind), pa.array([], kind), pa.array(texts[3:], kind).slice(2)]
    _same(native, pa.chunked_array(chunks), texts[:3] + texts[5:])
    _same(native, pa.chunked_array([], type=pa.string()), [])


def test_other_tables_and_mapping(tmp_path):
    """A vocabulary-quantized float16 model (mapping + weights) and an int8 one."""
    for kwargs in ({"dtype": "float16", "vocab_quantized": True}, {"dtype": "int8"}):
        model = fastpool.load(make_model_folder(tmp_path, **kwargs))
        assert model.tokenizer_backend == "native"
        _same(model, pa.array(TEXTS), TEXTS)


_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60) | st.sampled_from(
    TEXTS
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(_TEXT, max_size=40),
    large=st.booleans(),
    cut=st.integers(0, 40),
    start=st.integers(0, 5),
)
def test_property_chunks_and_slices(native, texts, large, cut, start):
    kind = pa.large_string() if large else pa.string()
    cut = min(cut, len(texts))
    array = pa.chunked_array([pa.array(texts[:cut], kind), pa.array(texts[cut:], kind)], kind)
    _same(native, array, texts)
    _same(native, pa.array(texts, kind).slice(start), texts[start:])


def test_invalid_utf8_reads_as_replacement(native):
    """A hand-built array may hold invalid UTF-8: read as bytes.decode('utf-8', 'replace')."""
    data = b"caf\xe9 \xff\xfe ok \xed\xa0\x80 end"
    array = pa.Array.from_buffers(
        pa.string(), 1, [None, pa.py_buffer(np.array([0, len(data)], np.int32)), pa.py_buffer(data)]
    )
    got = native.encode_arrow(array)
    np.testing.assert_array_equal(got, native.encode([data.decode("utf-8", "replace")]))


# -- nulls and corrupt input ----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["native", "hf"])
def test_nulls_raise_naming_the_row(which, request):
    model = request.getfixturevalue(which)
    with pytest.raises(ValueError, match=r"null at row 2 \(2 nulls in all\); fill or drop"):
        model.encode_arrow(pa.array(["a", "b", None, "c", None]))
    chunked = pa.chunked_array([pa.array(["a", "b"]), pa.array(["c", None])])
    with pytest.raises(ValueError, match=r"null at row 3 \(1 nulls"):
        model.encode_arrow(chunked)
    # Slicing past the null leaves none; the (shared) bitmap is read at the right bits.
    sliced = pa.array([None, "a", "b", None, "c"]).slice(1, 2)
    np.testing.assert_array_equal(model.encode_arrow(sliced), model.encode(["a", "b"]))


def test_null_from_a_bitmap_of_unknown_count(native):
    """A hand-built array whose null count is left for Arrow to compute."""
    offsets = pa.py_buffer(np.array([0, 1, 2, 3], np.int32))
    validity = pa.py_buffer(np.packbits([1, 0, 1], bitorder="little").tobytes())
    array = pa.Array.from_buffers(
        pa.string(), 3, [validity, offsets, pa.py_buffer(b"abc")], null_count=-1
    )
    with pytest.raises(ValueError, match=r"null at row 1 \(1 nulls in all\)"):
        native.encode_arrow(array)


def _string_array(offsets, data: bytes, large: bool = False):
    kind, dtype = (pa.large_string(), np.int64) if large else (pa.string(), np.int32)
    buffers = [None, pa.py_buffer(np.array(offsets, dtype)), pa.py_buffer(data)]
    return pa.Array.from_buffers(kind, len(offsets) - 1, buffers)  # basic validation only


@pytest.mark.parametrize(
    ("offsets", "large", "row", "span"),
    [
        ([0, 5, 3], False, 1, r"\[5, 3\)"),  # decreasing
        ([0, 9, 5], False, 0, r"\[0, 9\)"),  # past the data buffer, inside the array
        ([0, -3, 5], False, 0, r"\[0, -3\)"),  # negative
        ([0, 1, 2**40, 5], True, 1, r"\[1, 1099511627776\)"),  # int64, far out
    ],
)
def test_corrupt_offsets_raise(native, offsets, large, row, span):
    array = _string_array(offsets, b"hello", large)
    message = rf"corrupt offsets at row {row}: {span} is not a byte range within its 5-byte"
    with pytest.raises(ValueError, match=message):
        native.encode_arrow(array)
    # The row is counted across chunks.
    chunked = pa.chunked_array([pa.array(["a", "b"], array.type), array])
    with pytest.raises(ValueError, match=rf"corrupt offsets at row {row + 2}:"):
        native.encode_arrow(chunked)


def test_short_buffers_raise():
    """Buffer sizes are checked before any offset is read (pyarrow itself rejects such
    arrays, so a stand-in chunk exercises the check)."""
    from fastpool.tokenizer.arrow import arrow_texts

    class Chunk:
        def __init__(self, offsets, validity, length, offset=0):
            self.type, self.offset, self._length = pa.string(), offset, length
            self._buffers = [
                None if validity is None else pa.py_buffer(validity),
                pa.py_buffer(offsets),
                pa.py_buffer(b"hello"),
            ]

        def __len__(self):
            return self._length

        def buffers(self):
            return self._buffers

    three = np.array([0, 1, 2, 3], np.int32).tobytes()
    with pytest.raises(ValueError, match=r"offsets buffer must hold 4 int32 values .* got 12"):
        arrow_texts(Chunk(three[:12], None, 3))
    with pytest.raises(ValueError, match=r"offsets buffer must hold 5 int32 .*offset 2"):
        arrow_texts(Chunk(three, None, 2, offset=2))
    with pytest.raises(ValueError, match=r"validity bitmap must hold 9 bits, got 1 bytes"):
        arrow_texts(Chunk(np.arange(10, dtype=np.int32).clip(0, 5).tobytes(), b"\xff", 9))


def test_not_strings(native):
    with pytest.raises(TypeError, match=r"must be Arrow string or large_string, got int64"):
        native.encode_arrow(pa.array([1, 2]))
    with pytest.raises(TypeError, match=r"pyarrow Array or ChunkedArray of strings, got list"):
        native.encode_arrow(["a list"])


# -- the fallback path ----------------------------------------------------------------------------


def test_fallback_tokenizers_backend(hf, native):
    array = pa.chunked_array([pa.array(TEXTS[:4]), pa.array(TEXTS[4:])])
    _same(hf, array, TEXTS)
    _same(hf, array.slice(3, 5), TEXTS[3:8], max_length=5, truncate_dim=16)
    # Both backends give the same vectors here (the native tokenizer is exact).
    np.testing.assert_allclose(hf.encode_arrow(array), native.encode_arrow(array), atol=1e-6)


def test_fallback_bpe_model(tmp_path):
    model = fastpool.load(make_model_folder(tmp_path, kind="bpe"))
    assert model.tokenizer_backend == "tokenizers"
    _same(model, pa.array(TEXTS).slice(1), TEXTS[1:], normalize=True)


def test_fallback_keeps_prompt_rules(tmp_path):
    """sentence-transformers semantics keep [UNK], so run through encode: a default
    prompt applies, prompt_name picks another, prompt="" switches it off."""
    folder = make_model_folder(tmp_path, layout="st")
    config = folder / "config_sentence_transformers.json"
    settings_ = json.loads(config.read_text())
    settings_.update(prompts={"query": "query: ", "doc": "passage: "}, default_prompt_name="query")
    config.write_text(json.dumps(settings_))
    model = fastpool.load(folder)
    array = pa.array(TEXTS)
    for options in ({}, {"prompt_name": "doc"}, {"prompt": ""}, {"prompt": "custom "}):
        _same(model, array, TEXTS, **options)


# -- no Python str per row ------------------------------------------------------------------------


def _python_peak(fn) -> int:
    """Peak bytes the Python allocators (and numpy's traced data) held during fn(),
    beyond what was held before. Arrow's and C++'s own allocations are not traced."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def test_native_path_makes_no_str_per_row(native, hf):
    """100,000 rows: a str per row would cost ~6 MB of Python objects on top of the
    output; the native path may add only a few KB (the output itself is traced, so it
    is subtracted). The same measurement of the to_pylist fallback shows the strs."""
    n = 100_000
    array = pa.array([f"row {k} text" for k in range(n)])
    native.encode_arrow(array[:10], truncate_dim=8)  # warm-up: lazy imports, caches
    out_bytes = n * 8 * 4
    extra = _python_peak(lambda: native.encode_arrow(array, truncate_dim=8)) - out_bytes
    assert extra < 200_000, f"native path held {extra:,} extra bytes of Python memory"
    fallback = _python_peak(lambda: hf.encode_arrow(array, truncate_dim=8)) - out_bytes
    assert fallback > 4_000_000, f"the fallback's strs should show: {fallback:,} bytes"


def test_import_without_pyarrow():
    """pyarrow stays optional: the package imports, and encodes lists, without it."""
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import fastpool, fastpool.ray\n"
        "m = fastpool.load(); assert m.encode(['a b']).shape == (1, m.dim)\n"
        "try:\n    m.encode_arrow(['a'])\nexcept TypeError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pyarrow Array or ChunkedArray" in done.stdout


# -- fastpool.ray.Embedder ------------------------------------------------------------------------


def test_embedder_reads_arrow_in_place(native, monkeypatch):
    """Embedder's pyarrow path goes through encode_arrow; with the native tokenizer that
    never calls encode (which would need a list of str)."""
    pytest.importorskip("ray")
    import fastpool.ray

    table = pa.table({"id": np.arange(len(TEXTS)), "text": TEXTS})
    table = pa.concat_tables([table.slice(0, 4), table.slice(4)])  # a two-chunk column
    expected = native.encode(TEXTS, n_threads=1)

    def no_encode(*args, **kwargs):
        raise AssertionError("encode called: texts were converted to Python strs")

    monkeypatch.setattr(StaticModel, "encode", no_encode)
    embedder = fastpool.ray.Embedder(native, n_threads=1)
    out = embedder(table)
    assert out.column_names == ["id", "text", "embedding"]
    assert out.schema.field("embedding").type == pa.list_(pa.float32(), native.dim)
    vectors = out.column("embedding").combine_chunks().flatten().to_numpy()
    np.testing.assert_array_equal(vectors.reshape(len(TEXTS), -1), expected)
