"""Threads and processes: shared models and inputs, OpenMP team sizes, racing writers, fork.

- 16 Python threads x 100 calls of ``fastpool.encode`` and ``StaticModel.encode``
  on one model and one input, released together behind a barrier with a 1 us
  switch interval, give output byte-identical to sequential calls.
- Python threads sharing one native Unigram or BPE tokenizer (its pooled scratches and word
  caches, text_tokenizer.h) get the ids of sequential calls, whatever they encoded before.
- ``n_threads`` 1..16 give bit-identical output.
- A thread that rewrites ``ids`` (or ``mapping``, or ``offsets``) while ``encode`` reads it gets an
  error or a wrong result, never a crash: the kernel bounds every id where it
  reads it (pool_impl.h ``bounded``). Run in a subprocess so a crash fails one
  test instead of the session; under the sanitizer build any out-of-bounds read
  aborts that subprocess.
- ``encode``, ``os.fork()``, ``encode`` in the child finishes within 10 s, also when
  another thread holds the native tokenizer's scratch-pool lock at the fork.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from model_factory import make_model_folder

import fastpool
from fastpool import StaticModel

N_THREADS = 16
N_ITER = 100


def _batch(rng: np.random.Generator, n_rows: int, vocab: int, max_len: int = 40):
    lengths = rng.integers(0, max_len, n_rows)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    ids = rng.integers(0, vocab, int(offsets[-1])).astype(np.int32)
    return ids, offsets


def _hammer(fn, n_threads: int = N_THREADS, n_iter: int = N_ITER) -> list[list[bytes]]:
    """Run fn() n_iter times in each of n_threads threads started together."""
    barrier = threading.Barrier(n_threads)
    results: list[list[bytes]] = [[] for _ in range(n_threads)]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(n_iter):
                results[i].append(fn().tobytes())
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors[:3]
    return results


@pytest.mark.parametrize("extras", ["plain", "weights+mapping"])
def test_threads_share_inputs_fastpool_encode(extras):
    rng = np.random.default_rng(0)
    table = rng.standard_normal((500, 32)).astype(np.float32)
    ids, offsets = _batch(rng, 64, 500)
    kwargs = {}
    if extras != "plain":
        kwargs = {
            "mapping": rng.integers(0, 500, 800).astype(np.int32),
            "weights": rng.uniform(0.1, 2, 800).astype(np.float32),
        }
        ids, offsets = _batch(rng, 64, 800)
    expected = fastpool.encode(ids, offsets, table, **kwargs).tobytes()
    results = _hammer(lambda: fastpool.encode(ids, offsets, table, **kwargs))
    assert sum(len(r) for r in results) == N_THREADS * N_ITER
    assert all(b == expected for r in results for b in r)


@pytest.mark.parametrize("backend", ["native", "tokenizers"])
def test_threads_share_a_static_model(tmp_path, backend):
    model = StaticModel.from_pretrained(
        make_model_folder(tmp_path, vocab_quantized=True), tokenizer_backend=backend
    )
    texts = ["The quick brown fox jumps over the lazy dog."] * 8 + [
        "Café, naïve; threads share one model.",
        "",
        "x" * 300,
    ]
    expected = model.encode(texts).tobytes()
    results = _hammer(lambda: model.encode(texts))
    assert all(b == expected for r in results for b in r)


@pytest.mark.parametrize("family", ["unigram", "bpe"])
def test_threads_share_a_pooled_native_tokenizer(family):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from fastpool.tokenizer.native import NativeTokenizer

    corpus = [str(getattr(np, a).__doc__) for a in sorted(dir(np))][:300]
    if family == "unigram":
        tok = Tokenizer(models.Unigram())
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        trainer = trainers.UnigramTrainer(vocab_size=800, show_progress=False, unk_token="<unk>")
    else:
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
        alphabet = pre_tokenizers.ByteLevel.alphabet()
        trainer = trainers.BpeTrainer(
            vocab_size=800, initial_alphabet=alphabet, show_progress=False
        )
    tok.train_from_iterator(corpus, trainer)
    native = NativeTokenizer.from_json(tok.to_str())
    # Each thread encodes its own slice, with 1 or 2 OpenMP threads: the pool hands its
    # scratches (warm from other threads' texts) to whichever call comes next.
    slices = [corpus[k::8] for k in range(8)]
    want = [native.tokenize_csr(s, n_threads=1)[0].tobytes() for s in slices]
    calls = iter(range(10**9))
    lock = threading.Lock()

    def one() -> np.ndarray:
        with lock:
            k = next(calls)
        ids = native.tokenize_csr(slices[k % 8], n_threads=1 + k % 2)[0]
        assert ids.tobytes() == want[k % 8], k % 8
        return ids

    _hammer(one, n_threads=8, n_iter=20)


def test_openmp_thread_counts_are_bit_identical():
    rng = np.random.default_rng(1)
    table = rng.standard_normal((2000, 48)).astype(np.float32)
    # Enough tokens that even 16 threads each get more than the kernel's minimum share.
    ids, offsets = _batch(rng, 12_000, 2000, max_len=60)
    weights = rng.uniform(0.1, 2, 2000).astype(np.float32)
    for kwargs in ({}, {"weights": weights}):
        ref = fastpool.encode(ids, offsets, table, n_threads=1, **kwargs)
        for n in range(2, 17):
            got = fastpool.encode(ids, offsets, table, n_threads=n, **kwargs)
            assert got.tobytes() == ref.tobytes(), n


def _run(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter; on timeout kill its whole process group
    (a hung forked grandchild included) and fail."""
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"did not finish within {timeout} s")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


_REWRITER = """
import sys, threading, numpy as np, fastpool
rng = np.random.default_rng(2)
table = rng.standard_normal((1000, 64)).astype(np.float32)
mapping = rng.integers(0, 1000, 1000).astype(np.int32)
weights = np.ones(1000, np.float32)
ids = rng.integers(0, 1000, {n_ids}).astype({id_dtype})
offsets = np.arange(0, ids.size + 1, 40, dtype=np.int64)
target = {target}
stop = threading.Event()
sys.setswitchinterval(1e-6)
bad = np.resize(np.array([2**31 - 1, -1, 10**6, -(2**31)], dtype=target.dtype), 512)
def rewrite():
    i = 0
    n = target.size - bad.size
    while not stop.is_set():
        start = (i * 7919) % n
        target[start:start + bad.size] = bad
        i += 1
t = threading.Thread(target=rewrite)
t.start()
outcomes = {{"ok": 0, "error": 0}}
for k in range(60):
    target[:] = {good}
    try:
        fastpool.encode(ids, offsets, table, mapping={mapping}, weights={weights}, n_threads=2)
        outcomes["ok"] += 1
    except ValueError:
        outcomes["error"] += 1
stop.set()
t.join()
print(fastpool.__file__, outcomes)
"""


@pytest.mark.parametrize(
    "target,id_dtype,with_mapping",
    [
        ("ids", "np.int32", False),
        ("ids", "np.int64", False),
        ("ids", "np.int32", True),
        ("mapping", "np.int32", True),
        ("offsets", "np.int32", False),
    ],
)
def test_rewriting_inputs_during_encode_never_crashes(target, id_dtype, with_mapping):
    valid = {
        "offsets": "np.arange(0, ids.size + 1, 40, dtype=np.int64)",
    }.get(target, "rng.integers(0, 1000, target.size).astype(target.dtype)")
    code = _REWRITER.format(
        id_dtype=id_dtype,
        target=target,
        good=valid,
        # A rewritten offset can stretch a row over every id: fewer ids keep that fast.
        n_ids=20_000 if target == "offsets" else 400_000,
        mapping="mapping" if with_mapping else "None",
        weights="weights" if with_mapping else "None",
    )
    proc = _run(code, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "'ok'" in proc.stdout


_FORK = """
import os, sys, numpy as np, fastpool
rng = np.random.default_rng(3)
table = rng.standard_normal((1000, 64)).astype(np.float32)
ids = rng.integers(0, 1000, 300_000).astype(np.int32)
offsets = np.arange(0, ids.size + 1, 30, dtype=np.int64)
ref = fastpool.encode(ids, offsets, table, n_threads=2)  # starts the OpenMP team
pid = os.fork()
if pid == 0:
    try:
        out = fastpool.encode(ids, offsets, table, n_threads=2)
        os._exit(0 if out.tobytes() == ref.tobytes() else 3)
    except BaseException:
        os._exit(4)
_, status = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(status))
again = fastpool.encode(ids, offsets, table, n_threads=2)
assert again.tobytes() == ref.tobytes()
"""


def _assert_child_ok(code: str, timeout: float) -> None:
    """Run a script that forks and prints its child's exit code: both must exit 0."""
    if sys.platform == "win32":
        pytest.skip("no fork")
    proc = _run(code, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "child 0" in proc.stdout, proc.stdout


def test_encode_after_fork_completes():
    _assert_child_ok(_FORK, timeout=10)


_FORK_WHILE_POOL_LOCKED = """
import os, threading, time, fastpool
model = fastpool.load()
texts = ["The quick brown fox jumps over the lazy dog."] * 2000
ref = model.encode(texts).tobytes()
native = model._pipeline.native
holder = threading.Thread(target=native._tok._hold_pool_lock, args=(400,))
holder.start()
time.sleep(0.1)  # the other thread now holds the scratch pool's lock
pid = os.fork()
if pid == 0:
    os._exit(0 if model.encode(texts).tobytes() == ref else 3)
_, status = os.waitpid(pid, 0)
holder.join()
print("child", os.waitstatus_to_exitcode(status))
assert model.encode(texts).tobytes() == ref
"""


def test_fork_while_another_thread_holds_the_pool_lock():
    # The native tokenizer's scratch pool has a lock (text_tokenizer.h); fork handlers
    # take it before the fork, so the child never inherits it held by a thread it lacks.
    _assert_child_ok(_FORK_WHILE_POOL_LOCKED, timeout=20)


def test_model_encode_after_fork_completes(tmp_path):
    folder = make_model_folder(tmp_path)
    code = f"""
    import os, fastpool
    model = fastpool.StaticModel.from_pretrained({str(folder)!r})
    texts = ["The quick brown fox jumps over the lazy dog."] * 5000
    ref = model.encode(texts).tobytes()
    pid = os.fork()
    if pid == 0:
        os._exit(0 if model.encode(texts).tobytes() == ref else 3)
    _, status = os.waitpid(pid, 0)
    print("child", os.waitstatus_to_exitcode(status))
    """
    _assert_child_ok(code, timeout=10)


def test_tokenizers_backend_in_a_fork_pool_with_parallelism_on(tmp_path):
    """Issue 19, item 12: with TOKENIZERS_PARALLELISM=true, a forked child's
    encode_batch waited forever on the parent's Rayon pool; fastpool's child
    tokenizes one text at a time instead (tokenizer/hf.py)."""
    if sys.platform == "win32":
        pytest.skip("no fork")
    folder = make_model_folder(tmp_path)
    code = f"""
    import os
    os.environ["TOKENIZERS_PARALLELISM"] = "true"
    import multiprocessing as mp, fastpool
    model = fastpool.StaticModel.from_pretrained({str(folder)!r}, tokenizer_backend="tokenizers")
    texts = ["The quick brown fox jumps over the lazy dog."] * 3000
    ref = model.encode(texts).tobytes()  # the parent's pool is up
    def work(_):
        return model.encode(texts).tobytes() == ref
    with mp.get_context("fork").Pool(2) as pool:
        print("children", pool.map_async(work, range(2)).get(timeout=30))
    """
    proc = _run(code, timeout=45)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "children [True, True]" in proc.stdout, proc.stdout
