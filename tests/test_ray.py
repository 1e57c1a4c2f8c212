"""fastpool.ray.Embedder on a local 3-node Ray cluster (head + 2 workers, 2 CPUs each).

The cluster listens on 127.0.0.1 only and is stopped (``ray stop --force``)
when the module's tests end. Skipped when ray is not installed; deselect with
``-m "not ray"``.
"""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np
import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")
pa = pytest.importorskip("pyarrow")

import fastpool  # noqa: E402
import fastpool.ray  # noqa: E402
from fastpool._api import default_model_path  # noqa: E402

pytestmark = pytest.mark.ray

_MODULES = ("builtins", "os", "collections", "json", "re", "inspect", "pathlib", "functools",
            "itertools", "typing", "argparse", "logging", "subprocess", "socket", "threading",
            "email.message", "http.client", "unittest", "decimal", "datetime")  # fmt: skip


def _docstring_lines() -> list[str]:
    """Non-empty lines of standard-library docstrings: real English on every machine."""
    import importlib

    lines: set[str] = set()
    for name in _MODULES:
        mod = importlib.import_module(name)
        for obj in [mod, *vars(mod).values()]:
            doc = getattr(obj, "__doc__", None)
            if isinstance(doc, str):
                lines.update(line.strip() for line in doc.splitlines() if line.strip())
    return sorted(lines)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    lines = _docstring_lines()
    assert len(lines) > 3000
    # Empty and whitespace-only texts too: they must come back as zero rows.
    return ["", "   ", *lines[:6000]]


@pytest.fixture(scope="module")
def model_path() -> str:
    return str(default_model_path())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A head and two worker nodes on the loopback address, 2 CPUs each."""
    # Ray's command line run by this very interpreter: nodes start their workers with the
    # interpreter that started them, and a `ray` found on PATH may belong to another
    # Python (e.g. the system one, next to a venv made with --system-site-packages),
    # whose workers would import another installation of fastpool.
    ray_cli = [sys.executable, "-m", "ray.scripts.scripts"]
    port = _free_port()
    address = f"127.0.0.1:{port}"
    # Say whether to authenticate, for every node and this driver: left implicit, Ray 2.60
    # turns token authentication on for a head that finds ~/.ray/auth_token (which any
    # local ray.init() writes) but not for a worker joining it. Off: the cluster listens
    # on 127.0.0.1 only and lives for this module's tests. (Token mode would need the
    # driver's cached Ray config refreshed through private APIs.)
    auth = {"RAY_AUTH_MODE": "disabled"}
    saved = {key: os.environ.get(key) for key in auth}
    os.environ.update(auth)
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    common = ["--num-cpus=2", "--object-store-memory=100000000", "--node-ip-address=127.0.0.1",
              "--disable-usage-stats"]  # fmt: skip
    head = ["--head", f"--port={port}", "--include-dashboard=false"]
    commands = [[*ray_cli, "start", *head, *common]]
    commands += [[*ray_cli, "start", f"--address={address}", *common]] * 2
    try:
        for command in commands:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        ray.init(address=address, _node_ip_address="127.0.0.1", log_to_driver=False)
        deadline = time.monotonic() + 60
        while ray.cluster_resources().get("CPU", 0) < 6:
            assert time.monotonic() < deadline, f"cluster not up: {ray.cluster_resources()}"
            time.sleep(0.5)
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        where = ray.get(ray.remote(lambda: fastpool.__file__).remote())
        assert where == fastpool.__file__, f"workers import {where}, not {fastpool.__file__}"
        yield address
    finally:
        ray.shutdown()
        subprocess.run([*ray_cli, "stop", "--force"], env=env, capture_output=True, timeout=120)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _dataset(texts: list[str], n_blocks: int):
    """Texts with their row id, split into ``n_blocks`` blocks (one actor call each at least)."""
    table = pa.table({"id": np.arange(len(texts), dtype=np.int64), "text": texts})
    step = -(-len(texts) // n_blocks)
    return ray.data.from_arrow([table.slice(k, step) for k in range(0, len(texts), step)])


def _actor_args(concurrency: int, num_cpus: float) -> dict:
    """map_batches arguments for an actor pool of ``concurrency`` actors.

    Nothing about restarts: Ray Data gives actor pools ``max_restarts=-1`` and
    ``max_task_retries=-1`` itself (and 2.60 deprecates passing them);
    test_survives_a_killed_actor checks that it still does.
    """
    return {"compute": ray.data.ActorPoolStrategy(size=concurrency), "num_cpus": num_cpus}


def _collect(ds, column: str = "embedding") -> tuple[np.ndarray, object]:
    """All rows of ``ds`` ordered by id: (vectors, table)."""
    table = pa.concat_tables(ray.get(ds.to_arrow_refs()))
    table = table.sort_by("id")
    vectors = table.column(column).combine_chunks()
    dim = vectors.type.list_size
    return vectors.flatten().to_numpy().reshape(-1, dim), table


@pytest.mark.parametrize(
    ("concurrency", "batch_size", "n_blocks"), [(1, 4096, 2), (3, 500, 12), (6, 97, 9)]
)
def test_bit_identical_to_encode(ray_cluster, texts, model_path, concurrency, batch_size, n_blocks):
    expected = fastpool.load(model_path).encode(texts, n_threads=1)
    ds = _dataset(texts, n_blocks).map_batches(
        fastpool.ray.Embedder,
        fn_constructor_kwargs={"model": model_path},
        batch_format="pyarrow",
        batch_size=batch_size,
        **_actor_args(concurrency, 1 if concurrency > 3 else 2),
    )
    vectors, table = _collect(ds)
    assert table.column("id").to_pylist() == list(range(len(texts)))
    assert table.column("text").to_pylist() == texts  # the input columns pass through
    assert table.schema.field("embedding").type == pa.list_(pa.float32(), expected.shape[1])
    assert vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors, expected)
    assert not vectors[:2].any()  # empty and blank texts: zero vectors


def test_model_object_and_options(ray_cluster, texts, model_path):
    """A loaded model travels as its path and options; numpy batches work too."""
    model = fastpool.load(model_path, normalize=True, max_length=16)
    assert len(pickle.dumps(model)) < 10_000  # a path, not the table
    expected = model.encode(texts)
    ds = _dataset(texts, 4).map_batches(
        fastpool.ray.Embedder,
        fn_constructor_kwargs={"model": model, "output_column": "vec"},
        batch_format="numpy",
        batch_size=1000,
        **_actor_args(2, 2),
    )
    rows = ds.to_pandas().sort_values("id")
    np.testing.assert_array_equal(np.stack(rows["vec"].to_numpy()), expected)


def _thread_probe_class():
    """An Embedder that reports its threads; defined in a function so Ray ships it by value."""

    class ThreadProbe(fastpool.ray.Embedder):
        def __call__(self, batch):
            before = set(os.listdir("/proc/self/task"))
            out = super().__call__(batch)  # the first call starts the thread pools
            started = len(set(os.listdir("/proc/self/task")) - before)
            texts = batch.column(self.text_column).to_pylist()
            # CPU seconds per wall second over repeated encodes of this batch.
            cpu0, wall0, wall = time.process_time(), time.perf_counter(), 0.0
            while wall < 0.5:
                self._encode(texts)
                wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
            row = [
                self.n_threads,
                fastpool._core.openmp_max_threads(),
                int(os.environ.get("RAYON_NUM_THREADS", -1)),
                started,
                cpu / wall,
            ]
            return out.append_column(
                "probe", pa.array([row] * out.num_rows, type=pa.list_(pa.float64()))
            )  # fmt: skip

    return ThreadProbe


@pytest.mark.parametrize("num_cpus", [1, 2])
def test_threads_follow_num_cpus(ray_cluster, texts, model_path, num_cpus):
    """Each actor's kernel and tokenizer pools are sized to its num_cpus, not the node's cores.

    Two actors with ``num_cpus=1`` share one 2-CPU node: each must run one thread.
    """
    ds = _dataset(texts, 4).map_batches(
        _thread_probe_class(),
        fn_constructor_kwargs={"model": model_path},
        batch_format="pyarrow",
        batch_size=len(texts) // 4 + 1,
        **_actor_args(2, num_cpus),
    )
    table = pa.concat_tables(ray.get(ds.to_arrow_refs()))
    probes = np.unique(np.array(table.column("probe").to_pylist()), axis=0)
    for n_threads, omp_max, rayon, started, cpu_per_wall in probes:
        assert n_threads == num_cpus  # the kernel's team
        assert omp_max == num_cpus  # Ray's OMP_NUM_THREADS for the actor
        assert rayon == num_cpus  # the Hugging Face tokenizers pool
        # Threads one call left running: at most the OpenMP team's num_cpus - 1
        # and the tokenizers pool's num_cpus (Ray's own threads start elsewhere).
        assert started <= 2 * num_cpus - 1, started
        # CPU seconds per wall second (Ray's own threads included): never beyond num_cpus.
        assert cpu_per_wall <= num_cpus + 0.25, cpu_per_wall


def test_survives_a_killed_actor(ray_cluster, texts, model_path, tmp_path):
    """An actor killed mid-run is restarted and its batch retried: same output."""
    marker = str(tmp_path / "killed")

    class KilledOnce(fastpool.ray.Embedder):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.calls = 0

        def __call__(self, batch):
            self.calls += 1
            if self.calls == 2:
                try:  # the first actor to reach its second batch dies, once
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
                    os.kill(os.getpid(), 9)
                except FileExistsError:
                    pass
            return super().__call__(batch)

    expected = fastpool.load(model_path).encode(texts, n_threads=1)
    ds = _dataset(texts, 12).map_batches(
        KilledOnce,
        fn_constructor_kwargs={"model": model_path},
        batch_format="pyarrow",
        batch_size=500,
        **_actor_args(2, 2),
    )
    vectors, table = _collect(ds)
    assert os.path.exists(marker), "no actor was killed"
    assert table.column("id").to_pylist() == list(range(len(texts)))
    np.testing.assert_array_equal(vectors, expected)


def test_importing_fastpool_does_not_import_ray():
    code = "import sys, fastpool; assert 'ray' not in sys.modules, 'ray imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
