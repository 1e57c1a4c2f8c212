"""Helpers for the command-line tests (no tests here): run ``fastpool`` in-process or as a child."""

from __future__ import annotations

import glob
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from model_factory import CORPUS


def run_cli(argv: list[str], capsys, stdin: bytes | None = None, monkeypatch=None):
    """``fastpool.cli.main(argv)`` in this process: (exit status, stdout, stderr)."""
    from fastpool.cli import main

    if stdin is not None:
        fake = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        monkeypatch.setattr(sys, "stdin", fake)
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors and --help
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(
    argv: list[str], *, env: dict | None = None, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """``python -m fastpool ARGV`` in a child process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "fastpool", *map(str, argv)],
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=timeout,
    )


def texts(n: int, seed: int = 0) -> list[str]:
    """``n`` short documents drawn from the factory corpus, some of them changed a little."""
    rng = np.random.default_rng(seed)
    words = " ".join(CORPUS).split()
    out = []
    for i in range(n):
        k = int(rng.integers(0, 12))
        out.append(" ".join(rng.choice(words, size=k)) + f" {i}")
    return out


def load_npy_parts(directory: Path) -> np.ndarray:
    paths = sorted(glob.glob(str(directory / "part-*.npy")))
    return np.concatenate([np.load(p) for p in paths]) if paths else np.empty((0, 0))


def manifest(directory: Path) -> dict:
    return json.loads((directory / "_manifest.json").read_text())


def write_inputs(folder: Path, docs: list[str]) -> dict[str, Path]:
    """The same documents as .txt, .jsonl (key 'body'), .csv ('text') and .parquet ('text')."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "text": folder / "docs.txt",
        "jsonl": folder / "docs.jsonl",
        "csv": folder / "docs.csv",
        "parquet": folder / "docs.parquet",
    }
    paths["text"].write_text("".join(d + "\n" for d in docs), encoding="utf-8")
    with open(paths["jsonl"], "w", encoding="utf-8") as f:
        for i, d in enumerate(docs):
            f.write(json.dumps({"id": i, "body": d}) + "\n")
    with open(paths["csv"], "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        for i, d in enumerate(docs):
            w.writerow([i, d])
    table = pa.table({"n": list(range(len(docs))), "text": docs})
    pq.write_table(table, paths["parquet"], row_group_size=23)
    return paths
