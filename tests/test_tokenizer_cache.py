"""What the native tokenizers keep between calls: clear_cache, cache_words, cache_info.

Each thread of a call keeps its scratch (buffers and, for Unigram and byte-level BPE, a
word cache) for the next call (text_tokenizer.h). These tests check that the memory can
be given back and bounded, and that ids never depend on any of it: every cache size,
cleared or not, mid-stream or from another thread, gives `tokenizers`' ids.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from native_tokenizer_util import hf_ids, native_ids, pair
from test_native_tokenizer_bpe import docstrings, variant_json
from unigram_util import multilingual_lines, sample, spm_json

import fastpool
from fastpool.tokenizer.native import MAX_CACHE_WORDS, CacheInfo

SIZES = [0, 1, 2, 7, 100, 65_536]


@pytest.fixture(scope="module")
def unigram_pair():
    return pair(spm_json(vocab_size=4000))


@pytest.fixture(scope="module")
def bpe_pair():
    return pair(variant_json("gpt2"))


def _texts(kind: str) -> list[str]:
    if kind == "unigram":
        return sample(multilingual_lines(), 3000)
    return list(docstrings())[:3000]


@pytest.mark.parametrize("kind", ["unigram", "bpe"])
@pytest.mark.parametrize("words", SIZES)
def test_every_cache_size_gives_tokenizers_ids(kind, words, request):
    hf, nt = request.getfixturevalue(f"{kind}_pair")
    texts = _texts(kind)
    want = hf_ids(hf, texts)
    nt.cache_words = words
    try:
        assert nt.cache_words == words
        for _ in range(2):  # the second call starts from the first one's caches
            assert native_ids(nt, texts, n_threads=1) == want
        info = nt.cache_info()
        assert info.scratches == 1 and info.max_words == words
        # A cache of n words evicts at n and keeps at most n/2 after: never more than n.
        assert info.words <= words
        if words >= 100:
            assert info.words > 0
        assert native_ids(nt, texts, n_threads=2) == want
    finally:
        nt.cache_words = 65_536


@pytest.mark.parametrize("kind", ["unigram", "bpe"])
def test_clear_cache_frees_the_pool(kind, request):
    hf, nt = request.getfixturevalue(f"{kind}_pair")
    texts = _texts(kind)
    want = hf_ids(hf, texts)
    assert native_ids(nt, texts, n_threads=2) == want
    full = nt.cache_info()
    assert full.scratches >= 1 and full.words > 0 and full.bytes > 0
    nt.clear_cache()
    assert nt.cache_info() == CacheInfo(0, 0, 0, nt.cache_words)
    assert native_ids(nt, texts, n_threads=1) == want  # refilled from nothing
    assert nt.cache_info().words > 0


def test_clear_cache_while_other_threads_encode(unigram_pair):
    # Scratches leased by a running call when the cache is cleared are freed when that
    # call ends, not pooled; the ids of every call stay those of a sequential call.
    hf, nt = unigram_pair
    texts = sample(multilingual_lines(), 400)
    want = native_ids(nt, texts, n_threads=1)
    assert want == hf_ids(hf, texts)
    errors: list[BaseException] = []
    stop = threading.Event()

    def encode() -> None:
        try:
            for _ in range(15):
                assert native_ids(nt, texts, n_threads=2) == want
        except BaseException as err:  # reported by the main thread
            errors.append(err)

    def clear() -> None:
        k = 0
        while not stop.is_set():
            if k % 3 == 2:
                nt.cache_words = 50 + k % 7
            else:
                nt.clear_cache()
            k += 1

    workers = [threading.Thread(target=encode) for _ in range(4)]
    clearer = threading.Thread(target=clear)
    clearer.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    clearer.join()
    nt.cache_words = 65_536
    assert not errors, errors[0]
    assert native_ids(nt, texts, n_threads=1) == want


@pytest.mark.parametrize("bad", [-1, MAX_CACHE_WORDS + 1, 2.0, True, None, "10"])
def test_bad_cache_sizes_are_refused(unigram_pair, bad):
    _, nt = unigram_pair
    with pytest.raises(TypeError if not isinstance(bad, int) or bad is True else ValueError,
                       match="cache_words"):  # fmt: skip
        nt.cache_words = bad
    assert nt.cache_words == 65_536


def test_static_model_cache_api(tmp_path):
    hf, _ = pair(variant_json("gpt2"))
    table = np.random.default_rng(0).standard_normal((hf.get_vocab_size(), 8)).astype(np.float32)
    model = fastpool.StaticModel(table, hf)
    assert model.tokenizer_backend == "native"
    texts = list(docstrings())[:500]
    want = model.encode(texts)
    assert model.cache_info().words > 0
    model.clear_cache()
    assert model.cache_info().scratches == 0
    model.cache_words = 3
    np.testing.assert_array_equal(model.encode(texts), want)
    info = model.cache_info()
    assert 0 < info.words <= 3 * info.scratches  # one word cache per thread that ran
    # The setting survives a rebuild (a new table rebuilds the tokenizer pipeline).
    model.embedding = table * 2
    assert model.cache_words == 3
    np.testing.assert_allclose(model.encode(texts), 2 * want, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="cache_words"):
        model.cache_words = -5
    assert model.cache_words == 3


def test_wordpiece_keeps_no_words():
    model = fastpool.load()
    model.encode(["a sentence", "another one"])
    info = model.cache_info()
    assert info.words == 0 and info.scratches >= 1
    model.cache_words = 0  # accepted, nothing to size
    model.clear_cache()
    assert model.cache_info().scratches == 0


def test_tokenizers_backend():
    model = fastpool.load(tokenizer_backend="tokenizers")
    assert model.cache_info() is None and model.cache_words is None
    before = model.encode(["one text", "two texts"])
    model.clear_cache()
    model.cache_words = 10
    np.testing.assert_array_equal(model.encode(["one text", "two texts"]), before)
