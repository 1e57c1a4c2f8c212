"""A Ray Data pipeline (fastpool.ray.Embedder) against plain StaticModel.encode, one machine.

Run:   python benchmarks/bench_ray.py                      # 200,000 texts, 3 rounds
       python benchmarks/bench_ray.py --texts 1000000 --actors 2 --cpus-per-actor 1

Starts a local Ray instance (127.0.0.1, no dashboard, 200 MB object store) with as
many CPUs as this process may use, and in each round times, on the same texts:

* ``encode``: ``model.encode(texts, n_threads=<all usable cores>)`` in this process;
* ``encode-arrow``: ``model.encode_arrow(table["text"], n_threads=<cores>)`` in this
  process, the call each actor makes (native tokenizer: read from the Arrow buffers);
* ``ray``: ``from_arrow(table) -> map_batches(Embedder) -> materialize()`` with
  ``--actors`` actors of ``--cpus-per-actor`` CPUs each: actor start, model load
  (memory-mapped, once per actor), the object store and the scheduler included,
  i.e. what a job pays per corpus;
* ``ray-warm``: the same minus actor start-up (the time from the first batch done to
  the last, scaled to all rows), an upper bound on a long job's steady state;
* ``ray-pylist`` (and ``-warm``): the same pipeline with the Embedder's previous text
  path, ``to_pylist()`` then ``encode``, for an A/B in the same conditions.

Rounds alternate the rows; the ratio (texts/s of ray over encode) is taken within each
round and the median printed, so a busy machine skews both sides alike. On one
machine Ray can only lose (same cores, plus serialization); the figure tells what the
pipeline costs per core, which is what a cluster multiplies. docs/ray.md says how to
run this on a real cluster.

Data: lines of Python standard-library docstrings (real English, present everywhere),
repeated to ``--texts``. Model: the bundled default (all-MiniLM-L6-v2 distilled, 256-d).
"""

from __future__ import annotations

import argparse
import importlib
import os
import secrets
import statistics
import time

import numpy as np

MODULES = ("builtins", "os", "collections", "json", "re", "inspect", "pathlib", "functools",
           "itertools", "typing", "argparse", "logging", "subprocess", "socket", "threading",
           "email.message", "http.client", "unittest", "decimal", "datetime")  # fmt: skip


def docstring_lines(n: int) -> list[str]:
    lines: set[str] = set()
    for name in MODULES:
        mod = importlib.import_module(name)
        for obj in [mod, *vars(mod).values()]:
            doc = getattr(obj, "__doc__", None)
            if isinstance(doc, str):
                lines.update(line.strip() for line in doc.splitlines() if line.strip())
    unique = sorted(lines)
    return (unique * (n // len(unique) + 1))[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--actors", type=int, default=None, help="default: usable cores")
    parser.add_argument("--cpus-per-actor", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=8192, help="rows per Ray batch")
    args = parser.parse_args()

    # Token authentication with a token of this run's own, set before Ray is imported: left
    # to itself, a local ray.init() writes ~/.ray/auth_token, which later `ray start`
    # clusters on this machine then half-use (tests/test_ray.py explains).
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
    import pyarrow as pa
    import ray

    import fastpool
    import fastpool.ray
    from fastpool._api import default_model_path
    from fastpool._threads import usable_cpu_count

    cores = usable_cpu_count()
    actors = args.actors or max(1, cores // args.cpus_per_actor)
    path = str(default_model_path())
    texts = docstring_lines(args.texts)
    model = fastpool.load(path)
    n_blocks = max(actors * 4, -(-len(texts) // args.batch_size))
    table = pa.table({"text": texts})
    step = -(-len(texts) // n_blocks)
    blocks = [table.slice(k, step) for k in range(0, len(texts), step)]

    ray.init(
        num_cpus=cores, include_dashboard=False, object_store_memory=200 * 2**20,
        _node_ip_address="127.0.0.1", log_to_driver=False,
    )  # fmt: skip
    ray.data.DataContext.get_current().enable_progress_bars = False
    print(
        f"{len(texts):,} texts, {cores} usable cores; Ray: {actors} actors x "
        f"{args.cpus_per_actor} CPU, {n_blocks} blocks; backend {model.tokenizer_backend}"
    )

    class Timed(fastpool.ray.Embedder):
        def __call__(self, batch):  # type: ignore[no-untyped-def]
            out = super().__call__(batch)
            now = time.time()
            return out.append_column("done_at", pa.array(np.full(out.num_rows, now)))

    class TimedPylist(Timed):
        """The Embedder before encode_arrow: one Python str per row, then encode."""

        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            model = self.model
            model.encode_arrow = lambda column, **options: model.encode(
                column.to_pylist(), **options
            )

    expected = model.encode(texts, n_threads=cores)
    assert np.array_equal(model.encode_arrow(table.column("text"), n_threads=cores), expected)

    def pipeline(embedder: type) -> tuple[float, float, float]:
        """(texts/s of the whole job, texts/s after the first batch, s to the first batch)."""
        start = time.time()
        t0 = time.perf_counter()
        ds = ray.data.from_arrow(blocks).map_batches(
            embedder, fn_constructor_kwargs={"model": path}, batch_format="pyarrow",
            batch_size=args.batch_size, compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=args.cpus_per_actor,
        ).materialize()  # fmt: skip
        rate = len(texts) / (time.perf_counter() - t0)
        out = pa.concat_tables(ray.get(ds.to_arrow_refs()))
        vectors = out.column("embedding").combine_chunks().flatten().to_numpy()
        assert out.num_rows == len(texts) and vectors.size == expected.size
        done = np.sort(out.column("done_at").to_numpy())
        # Free the output (1 GB for 1M texts) before the next run: held, it filled the
        # 200 MB object store and every other run was ~10x slower, spilling to disk.
        del ds, out, vectors
        warm = max(done[-1] - done[0], 1e-9) * len(texts) / (len(texts) - step)
        return rate, len(texts) / warm, done[0] - start

    names = ["encode", "encode-arrow", "ray", "ray-warm", "ray-pylist", "ray-pylist-warm"]
    rows: dict[str, list[float]] = {name: [] for name in names}
    ratios: list[float] = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        model.encode(texts, n_threads=cores)
        rows["encode"].append(len(texts) / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        model.encode_arrow(table.column("text"), n_threads=cores)
        rows["encode-arrow"].append(len(texts) / (time.perf_counter() - t0))
        ray_rate, ray_warm, first_batch = pipeline(Timed)
        rows["ray"].append(ray_rate)
        rows["ray-warm"].append(ray_warm)
        rate, warm, _ = pipeline(TimedPylist)
        rows["ray-pylist"].append(rate)
        rows["ray-pylist-warm"].append(warm)
        ratios.append(ray_rate / rows["encode"][-1])
        print(
            "  round: "
            + "  ".join(f"{name} {rows[name][-1]:,.0f}/s" for name in names)
            + f"  (first batch after {first_batch:.1f} s)  ratio {ratios[-1]:.2f}"
        )
    ray.shutdown()
    print("\nmedian texts/s:")
    for name, rates in rows.items():
        print(f"  {name:15s} {statistics.median(rates):>12,.0f}")
    print(f"ray / encode (median of per-round ratios): {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
