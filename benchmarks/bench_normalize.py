"""The throughput cost of a Unicode normalizer (NFC, NFD, NFKC, NFKD) on the native tokenizers.

    python benchmarks/bench_normalize.py [--rounds 7]

The same tokenizer.json with its normalizer off and on, tokenize_csr at 1 thread, rounds
interleaved (off, NFC, ..., off, NFC, ...) so load shifts hit every setting alike; the
median per setting. Tokenizers: a byte-level BPE (Qwen2's Split + ByteLevel, 8,000 tokens)
and tokenizers' UnigramTrainer + Metaspace (8,000 pieces), both trained here on Debian's
translated descriptions (tests/unigram_util.py). Texts: those descriptions as written
(mostly NFC already: the quick check passes), and fully decomposed (NFD: every accented
letter and Hangul syllable takes the slow path under NFC/NFKC).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

FORMS = ["none", "NFC", "NFD", "NFKC", "NFKD"]


def tokenizers_json(lines: list[str]) -> dict[str, str]:
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

    qwen2 = (
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}"
        "\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
    )
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(qwen2), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    bpe.train_from_iterator(
        lines,
        trainers.BpeTrainer(
            vocab_size=8000,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    ug = Tokenizer(models.Unigram())
    ug.pre_tokenizer = pre_tokenizers.Metaspace()
    ug.train_from_iterator(
        lines,
        trainers.UnigramTrainer(vocab_size=8000, unk_token="<unk>", special_tokens=["<unk>"]),
    )
    return {"BPE": bpe.to_str(), "Unigram": ug.to_str()}


def with_normalizer(tj: str, form: str) -> str:
    data = json.loads(tj)
    data["normalizer"] = None if form == "none" else {"type": form}
    return json.dumps(data)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    from tokenizers import normalizers
    from unigram_util import multilingual_lines, sample

    from fastpool.tokenizer.native import NativeTokenizer

    lines = sample(multilingual_lines(), 20000)
    texts = {
        "as written": lines,
        "decomposed": normalizers.NFD().normalize_str("\0".join(lines)).split("\0"),
    }
    print(f"{len(lines)} texts; load average {os.getloadavg()[0]:.1f}")
    for family, tj in tokenizers_json(lines[::2]).items():
        toks = {f: NativeTokenizer.from_json(with_normalizer(tj, f)) for f in FORMS}
        for name, batch in texts.items():
            times: dict[str, list[float]] = {f: [] for f in FORMS}
            for _ in range(args.rounds):
                for form, tok in toks.items():
                    t0 = time.perf_counter()
                    tok.tokenize_csr(batch, n_threads=1)
                    times[form].append(time.perf_counter() - t0)
            med = {f: statistics.median(t) for f, t in times.items()}
            row = "  ".join(
                f"{f} {len(batch) / m:9,.0f}/s ({m / med['none']:4.2f}x)" for f, m in med.items()
            )
            print(f"{family:8s} {name:11s} {row}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
