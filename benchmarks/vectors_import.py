"""Time ``fastpool.import_vectors`` on a generated word2vec/GloVe file and report peak memory.

    python benchmarks/vectors_import.py --words 400000 --dim 300 --format glove
    python benchmarks/vectors_import.py --file glove.txt --python ../venv-main/bin/python \
        --python .venv/bin/python   # before / after on the same file, in one run

Writes the file in a temporary folder (nothing is committed) unless ``--file`` names one,
imports it in a fresh child process per ``--python`` interpreter (default: this one) and
prints the wall time, the child's peak RSS (``ru_maxrss``) and that peak less the RSS of
``import fastpool`` alone and less the table itself: the memory the import needs beyond the
table. Also prints the load average, since a shared machine moves the figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def write_vectors(path: Path, n_words: int, dim: int, fmt: str, seed: int = 0) -> list[str]:
    """A vectors file in ``fmt`` with words "w0", "w1", ...; rows of ``np.random`` floats."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n_words)]
    with open(path, "wb") as f:
        if fmt != "glove":
            f.write(f"{n_words} {dim}\n".encode())
        for start in range(0, n_words, 10_000):
            block = rng.standard_normal((min(10_000, n_words - start), dim)).astype(np.float32)
            for word, row in zip(words[start : start + len(block)], block, strict=True):
                if fmt == "word2vec-binary":
                    f.write(word.encode() + b" " + row.astype("<f4").tobytes() + b"\n")
                else:
                    f.write((word + " " + " ".join(f"{x:.6f}" for x in row) + "\n").encode())
    return words


CHILD = """
import resource, sys, time
import fastpool
usage = resource.getrusage(resource.RUSAGE_SELF)
base, cpu0 = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
t = time.perf_counter()
out = fastpool.import_vectors(sys.argv[1], sys.argv[2], format=sys.argv[3])
wall = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
peak, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime - cpu0
rows, dim = fastpool.StaticModel.from_pretrained(out).embedding.shape
print(f"{wall:.2f} {cpu:.2f} {peak:.0f} {base:.0f} {rows * dim * 4 / 2**20:.0f}")
"""


def import_once(python: str, src: Path, out: Path, fmt: str) -> list[float]:
    """One import in a fresh ``python`` process: wall s, CPU s, peak, base and table MiB."""
    return [
        float(x)
        for x in subprocess.run(
            [python, "-c", CHILD, str(src), str(out), fmt],
            capture_output=True, text=True, check=True,
        ).stdout.split()
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=400_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--format", default="glove")
    ap.add_argument("--file", type=Path, help="import this file instead of writing one")
    ap.add_argument("--python", action="append", help="interpreter(s) to import with")
    ap.add_argument("--rounds", type=int, default=1, help="imports per interpreter, interleaved")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = args.file
        if src is None:
            src = Path(tmp) / "vectors.txt"
            write_vectors(src, args.words, args.dim, args.format)
        print(f"{args.format}: {src.stat().st_size / 2**20:.0f} MiB file")
        pythons = args.python or [sys.executable]
        runs: dict[str, list[list[float]]] = {p: [] for p in pythons}
        for _ in range(args.rounds):  # interleaved: a busy spell hits every interpreter
            for i, python in enumerate(pythons):
                runs[python].append(import_once(python, src, Path(tmp) / f"m{i}", args.format))
        for python, figures in runs.items():
            wall = min(f[0] for f in figures)
            cpu = min(f[1] for f in figures)
            peak, base, table = max(f[2] for f in figures), figures[0][3], figures[0][4]
            print(
                f"  {python}: best of {len(figures)}: {wall:.2f} s wall, {cpu:.2f} s CPU; peak RSS"
                f" {peak:.0f} MiB (import fastpool alone {base:.0f} MiB, table {table:.0f} MiB,"
                f" beyond both {peak - base - table:.0f} MiB)"
            )
        print(f"  load average {os.getloadavg()[0]:.1f} (the machine's, not this benchmark's)")


if __name__ == "__main__":
    main()
