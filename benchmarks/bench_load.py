"""How long ``fastpool.load()`` takes and how much private memory it adds, each in a fresh process.

Run:  python benchmarks/bench_load.py [--rounds 7] [--python OTHER_PYTHON ...] [--case NAME ...]

Each round starts one new interpreter per (case, python) pair, in round-robin
order, so that a second ``--python`` (e.g. a venv with another fastpool build)
is measured beside this one under the same machine load. Each child imports
fastpool (timed), then times one load with ``time.perf_counter`` (wall) and
``time.process_time`` (CPU of the whole process: on a loaded machine wall time
mostly measures the wait for a core, CPU time what loading costs), and reads
private memory (``Private_Clean + Private_Dirty`` of /proc/self/smaps_rollup)
before and after. The memory-mapped table is file-backed and shared until it is
written, so it is not in the private figure. Medians over rounds are printed.

Cases (``CASES``; add one by name, a function that writes a model folder):

* ``default``: the bundled model (29,525-token WordPiece, the bar: <= 15 ms, <= 10 MB);
* ``wordpiece-250k``: the bundled tokenizer.json with its vocabulary grown to
  250,000 tokens (synthesized: ``w<i>`` and ``##w<i>``), a float16 table of 8 columns;
* ``default-tokenizers``: the bundled model with ``tokenizer_backend="tokenizers"``;
* ``unigram-250k``: peers_unigram.py's 250,000-piece SentencePiece Unigram model
  (XLM-R's tokenizer.json shape, float32 table of 64 columns; the bar: <= 150 ms);
* ``unigram-250k-tokenizers``: the same with ``tokenizer_backend="tokenizers"``;
* ``bpe-50k``: a byte-level BPE (GPT-2's shape) trained here with ``tokenizers`` on
  Debian's translated descriptions and stdlib docstrings, up to 50,000 tokens.

``--keep DIR`` keeps the built models in DIR for the next run (they take ~30 s to make).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

CHILD = r"""
import json, sys, time
def private_kb():
    with open("/proc/self/smaps_rollup") as f:
        return sum(int(l.split()[1]) for l in f if l.startswith("Private_"))
t = time.perf_counter()
import fastpool
import_ms = (time.perf_counter() - t) * 1e3
path, backend = sys.argv[1] or None, sys.argv[2]
m0 = private_kb()
c, t = time.process_time(), time.perf_counter()
model = fastpool.load(path, tokenizer_backend=backend)
wall, cpu = time.perf_counter() - t, time.process_time() - c
m1 = private_kb()
doc = getattr(model, "_doc", None)  # None: a fastpool from before the lazy tokenizer
print(json.dumps({"import_ms": import_ms, "wall_ms": wall * 1e3, "cpu_ms": cpu * 1e3,
                  "private_mb": (m1 - m0) / 1024, "backend": model.tokenizer_backend,
                  "hf_built": doc.built if hasattr(doc, "built") else None}))
"""


def _default(_: Path) -> tuple[str, str]:
    return "", "auto"


def _default_tokenizers(_: Path) -> tuple[str, str]:
    return "", "tokenizers"


def _wordpiece_250k(dest: Path) -> tuple[str, str]:
    folder = dest / "wordpiece-250k"
    if not (folder / "model.safetensors").is_file():
        import numpy as np
        from tokenizers import Tokenizer

        import fastpool
        from fastpool._api import default_model_path

        source = default_model_path() / "tokenizer.json"
        tj = json.loads(source.read_text(encoding="utf-8"))
        vocab = tj["model"]["vocab"]
        i = 0
        while len(vocab) < 250_000:
            for token in (f"w{i}", f"##w{i}"):
                if token not in vocab and len(vocab) < 250_000:
                    vocab[token] = len(vocab)
            i += 1
        tokenizer = Tokenizer.from_str(json.dumps(tj))
        table = np.random.default_rng(0).standard_normal((len(vocab), 8)).astype(np.float16)
        fastpool.StaticModel(table, tokenizer).save_pretrained(folder)
    return str(folder), "auto"


def _unigram_250k(dest: Path) -> tuple[str, str]:
    folder = dest / "unigram-250k"
    if not (folder / "model.safetensors").is_file():
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import peers_unigram

        peers_unigram.make_model(folder)
    return str(folder), "auto"


def _unigram_250k_tokenizers(dest: Path) -> tuple[str, str]:
    return _unigram_250k(dest)[0], "tokenizers"


def _bpe_50k(dest: Path) -> tuple[str, str]:
    folder = dest / "bpe-50k"
    if not (folder / "model.safetensors").is_file():
        import numpy as np
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers

        import fastpool

        root = Path(__file__).resolve().parents[1]
        sys.path[:0] = [str(root / "tests"), str(root / "scripts")]
        from stdlib_sentences import sentences
        from unigram_util import multilingual_lines

        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = trainers.BpeTrainer(
            vocab_size=50_000, show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )  # fmt: skip
        tok.train_from_iterator([*multilingual_lines(), *sentences()], trainer)
        n = tok.get_vocab_size(with_added_tokens=True)
        table = np.random.default_rng(0).standard_normal((n, 64)).astype(np.float32)
        fastpool.StaticModel(table, tok).save_pretrained(folder)
    return str(folder), "auto"


#: name -> function(scratch folder) -> (model folder, "" for the bundled one; backend)
CASES: dict[str, Callable[[Path], tuple[str, str]]] = {
    "default": _default,
    "wordpiece-250k": _wordpiece_250k,
    "default-tokenizers": _default_tokenizers,
    "unigram-250k": _unigram_250k,
    "unigram-250k-tokenizers": _unigram_250k_tokenizers,
    "bpe-50k": _bpe_50k,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--python", action="append", default=[], help="another interpreter")
    parser.add_argument("--case", action="append", choices=sorted(CASES), default=[])
    parser.add_argument("--keep", type=Path, default=None, help="keep built models here")
    args = parser.parse_args()
    pythons = [sys.executable, *args.python]
    cases = args.case or list(CASES)
    results: dict[tuple[str, str], list[dict]] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        models = args.keep or Path(scratch)
        models.mkdir(parents=True, exist_ok=True)
        targets = {name: CASES[name](models) for name in cases}
        env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        for _ in range(args.rounds):
            for name in cases:
                for python in pythons:
                    path, backend = targets[name]
                    out = subprocess.run(
                        [python, "-c", CHILD, path, backend],
                        capture_output=True, text=True, check=True, env=env,
                    )  # fmt: skip
                    results.setdefault((name, python), []).append(
                        json.loads(out.stdout.strip().splitlines()[-1])
                    )
    loads = " ".join(f"{x:.2f}" for x in load_before), " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {loads[0]} before, {loads[1]} after; medians of "
          f"{args.rounds} fresh processes")  # fmt: skip
    print(f"{'case':20} {'python':28} {'import ms':>9} {'wall ms':>8} {'cpu ms':>7} "
          f"{'private MB':>10}  backend / HF tokenizer built")  # fmt: skip
    for (name, python), runs in results.items():
        med = {
            k: statistics.median(r[k] for r in runs) for k in runs[0] if k.endswith(("ms", "mb"))
        }
        short = python if len(python) <= 28 else "..." + python[-25:]
        print(f"{name:20} {short:28} {med['import_ms']:9.1f} {med['wall_ms']:8.1f} "
              f"{med['cpu_ms']:7.1f} {med['private_mb']:10.1f}  "
              f"{runs[0]['backend']} / {runs[0]['hf_built']}")  # fmt: skip


if __name__ == "__main__":
    main()
