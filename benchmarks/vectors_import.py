"""Time ``fastpool.import_vectors`` on a generated word2vec/GloVe file and report peak memory.

    python benchmarks/vectors_import.py --words 400000 --dim 300 --format glove

Writes the file in a temporary folder (nothing is committed), imports it in a fresh child
process and prints the wall time and the child's peak RSS (``ru_maxrss``) next to the size of
the table itself.
"""

from __future__ import annotations

import argparse
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
t = time.perf_counter()
fastpool.import_vectors(sys.argv[1], sys.argv[2], format=sys.argv[3])
wall = time.perf_counter() - t
print(f"{wall:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=400_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--format", default="glove")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "vectors.txt"
        write_vectors(src, args.words, args.dim, args.format)
        base = subprocess.run(
            [sys.executable, "-c", "import resource, fastpool; print(resource.getrusage("
             "resource.RUSAGE_SELF).ru_maxrss / 1024)"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(src), str(Path(tmp) / "model"), args.format],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        table_mib = args.words * args.dim * 4 / 2**20
        print(
            f"{args.format}: {args.words:,} x {args.dim}, file {src.stat().st_size / 2**20:.0f} "
            f"MiB: {out[0]} s, peak RSS {out[1]} MiB (import fastpool alone: {float(base):.0f} "
            f"MiB; table {table_mib:.0f} MiB)"
        )


if __name__ == "__main__":
    main()
