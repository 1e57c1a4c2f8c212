"""End-to-end encode (text in, normalised vectors out) of fastpool against its peers,
each in its own process (model2vec sets process-wide state; laghu needs its own venv).

    python benchmarks/peers_e2e.py [--threads 1 2] [--laghu-python /path/to/venv/bin/python]
                                   [--tokenizer bpe]

Contestants, on the same model and the same texts (sentences of Python's standard-library
docstrings, short English text present on every machine):
  fastpool-native      StaticModel.encode with the native tokenizer fused with pooling
  fastpool-tokenizers  StaticModel.encode on Hugging Face tokenizers
  model2vec            model2vec 0.10 StaticModel.encode, use_multiprocessing=False
  laghu-rs             laghu 0.4 + laghu-rs 0.2 (Rust tokenizer and pooling), when a
                       python with laghu is given (it needs tokenizers 0.23, a separate venv)
The model is the bundled default converted to a float32 table (laghu-rs pools float32
only) with truncation and padding removed from tokenizer.json (laghu-rs' condition).
With --tokenizer bpe the model is a byte-level BPE one instead (RoBERTa-shaped: ByteLevel
with add_prefix_space, 30,000 tokens trained here by tokenizers' BpeTrainer on the same
sentences, a random 256-wide float32 table): fastpool-native then runs the native BPE family;
--normalizer NFC (or NFD, NFKC, NFKD) gives that model the normalizer (Qwen2 has NFC).
Thread counts are set per process: OMP/RAYON_NUM_THREADS and each library's own knob.
Reported: best-of-rounds texts/s and tokens/s (the same texts every round, after a warm-up on
them), and every ratio against fastpool-native.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONTESTANTS = {
    "fastpool-native": """
import fastpool
m = fastpool.load(MODEL)
assert m.tokenizer_backend == "native"
run = lambda: m.encode(TEXTS, n_threads=THREADS)
""",
    "fastpool-tokenizers": """
import fastpool
m = fastpool.load(MODEL, tokenizer_backend="tokenizers")
run = lambda: m.encode(TEXTS, n_threads=THREADS)
""",
    "model2vec": """
from model2vec import StaticModel
m = StaticModel.from_pretrained(MODEL)
run = lambda: m.encode(TEXTS, use_multiprocessing=False)
""",
    "laghu-rs": """
import laghu
m = laghu.load(MODEL)
assert m.rust_ready() if hasattr(m, "rust_ready") else True
m.tokenizer.threads = THREADS
run = lambda: m.encode(TEXTS, use_multiprocessing=False)
""",
}

TIMER = """
import json, sys, time
MODEL, TEXTS_PATH, THREADS, ROUNDS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
SETS = [s.split("\\n") for s in open(TEXTS_PATH, encoding="utf-8").read().split("\\f")]
TEXTS = SETS[0]
{setup}
if len(sys.argv) > 5 and sys.argv[5] == "one-at-a-time":  # a server's calls: one text each
    batch_run = run

    def run():
        global TEXTS
        whole = TEXTS
        try:
            for text in whole:
                TEXTS = [text]
                batch_run()
        finally:
            TEXTS = whole
        return whole
out = run()
times = []
for r in range(ROUNDS):
    TEXTS = SETS[(r + 1) % len(SETS)]
    start = time.perf_counter()
    run()
    times.append(time.perf_counter() - start)
seconds = min(times) if len(SETS) == 1 else sum(times) / len(times)
print(json.dumps({{"seconds": seconds, "rows": len(out)}}))
"""
# A texts file holds one set of texts (lines), or several separated by form feeds: then
# the warm-up runs on the first and each round on the next one (fresh text every round,
# as a stream brings it; the time reported is the rounds' mean, not the best).


NORMALIZERS = ["none", "NFC", "NFD", "NFKC", "NFKD"]


def make_model(folder: Path) -> Path:
    import fastpool

    model = fastpool.load(quantize_to="float32")
    model.save_pretrained(folder)
    tok_path = folder / "tokenizer.json"
    tok = json.loads(tok_path.read_text(encoding="utf-8"))
    tok["truncation"] = None
    tok["padding"] = None
    tok_path.write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")
    return folder


def sentences() -> list[str]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from stdlib_sentences import sentences as stdlib_sentences

    return [t.replace("\n", " ") for t in stdlib_sentences()]


def make_bpe_model(
    folder: Path, vocab_size: int = 30_000, dim: int = 256, normalizer: str = "none"
) -> Path:
    """A byte-level BPE model (RoBERTa-shaped) trained on the benchmark's sentences, with
    a Unicode normalizer (NFC, NFD, NFKC, NFKD) or none."""
    import numpy as np
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    import fastpool

    tok = Tokenizer(models.BPE())
    if normalizer != "none":
        tok.normalizer = getattr(normalizers, normalizer)()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        show_progress=False,
    )
    tok.train_from_iterator(sentences(), trainer)
    table = np.random.default_rng(0).standard_normal((tok.get_vocab_size(), dim), np.float32)
    fastpool.StaticModel(table, tok, normalize=True).save_pretrained(folder)
    return folder


def texts_file(folder: Path, model: Path) -> tuple[Path, int]:
    texts = sentences() * 4
    path = folder / "texts.txt"
    path.write_text("\n".join(texts), encoding="utf-8")
    import fastpool

    ids, _ = fastpool.load(model).tokenize_csr(texts, max_length=None)
    return path, int(ids.size)


def run(
    python: str,
    name: str,
    model: Path,
    texts: Path,
    threads: int,
    rounds: int,
    one_at_a_time: bool = False,
) -> float:
    """Seconds per round of contestant `name` (see TIMER), in a fresh process of `python`."""
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "RAYON_NUM_THREADS": str(threads),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "true",
    }
    code = TIMER.format(setup=CONTESTANTS[name])
    result = subprocess.run(
        [python, "-c", code, str(model), str(texts), str(threads), str(rounds)]
        + (["one-at-a-time"] if one_at_a_time else []),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1])["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--laghu-python", default=None)
    parser.add_argument("--tokenizer", choices=["default", "bpe"], default="default")
    parser.add_argument("--normalizer", choices=NORMALIZERS, default="none", help="bpe only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.tokenizer == "bpe":
            model = make_bpe_model(Path(tmp) / "model", normalizer=args.normalizer)
        else:
            model = make_model(Path(tmp) / "model")
        texts, n_tokens = texts_file(Path(tmp), model)
        n_texts = len(texts.read_text(encoding="utf-8").split("\n"))
        print(f"{n_texts} texts, {n_tokens} tokens (mean {n_tokens / n_texts:.1f}), float32 table")
        for threads in args.threads:
            times = {}
            for name in CONTESTANTS:
                python = args.laghu_python if name == "laghu-rs" else sys.executable
                if python is None:
                    continue
                try:
                    times[name] = run(python, name, model, texts, threads, args.rounds)
                except subprocess.CalledProcessError as err:  # e.g. a peer without BPE
                    last = (err.stderr or "").strip().splitlines()[-1:]
                    print(f"{threads} thread(s)  {name:20s} failed: {' '.join(last)}")
            base = times["fastpool-native"]
            for name, seconds in times.items():
                print(
                    f"{threads} thread(s)  {name:20s} {n_texts / seconds:12,.0f} texts/s "
                    f"{n_tokens / seconds / 1e6:7.2f} M tokens/s   fastpool-native is "
                    f"{seconds / base:6.2f}x faster"
                )


if __name__ == "__main__":
    main()
