"""End-to-end encode on a 250,000-piece SentencePiece Unigram model and real multilingual
text: fastpool native vs fastpool on `tokenizers` vs model2vec 0.10 vs laghu-rs, each in
its own process (peers_e2e.py's harness and contestants).

    python benchmarks/peers_unigram.py [--threads 1] [--laghu-python /path/to/venv/bin/python]
                                       [--normalizer NFKC]

The model: a real SentencePiece Unigram model (nmt_nfkc) trained on Debian's translated
package descriptions (de, fr, es, ja, ru, zh_CN; tests/unigram_util.py reads them), in
the tokenizer.json shape XLM-R-family models carry (Precompiled + Replace(" {2,}"),
Metaspace, Unigram; --normalizer NFC / NFD / NFKC / NFKD puts that form before the
charsmap). SentencePiece cannot train 250,000 pieces on this corpus, so the
vocabulary is *synthesized* up to 250,000: the trained pieces first, then the corpus's
most frequent whitespace words (as "\u2581word") not yet in it, each scored by its log
frequency, as a large multilingual vocabulary holds whole words. A random float32 table
(dim 64). Texts: 20,000 held-out lines of the same corpus (every 7th line, not trained on),
spread evenly over the six languages, the same every round (best of rounds after a warm-up
on them). Every contestant keeps caches across calls (tokenizers' Unigram word cache,
fastpool's pooled per-thread word caches), so that measures warm caches; --fresh measures
a stream instead: new held-out text every round after a warm-up on training text;
--one-at-a-time makes one encode call per text (a server's queries) instead of one per round.
Also prints the build time of the native tokenizer from the parsed tokenizer.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import peers_e2e  # noqa: E402

VOCAB = 250_000
DIM = 64

LAGHU = """
import laghu
m = laghu.load(MODEL, fallback=False)
m.tokenizer.threads = THREADS
run = lambda: m.encode(TEXTS, use_multiprocessing=False)
"""


FRESH_TEXTS = 10_000  # per round with --fresh (the held-out lines hold 43,165)


def one_line(lines) -> tuple[str, ...]:
    """The lines that stay one text in the texts file (no newline, no form feed)."""
    return tuple(t for t in lines if "\n" not in t and "\f" not in t)


def make_model(
    folder: Path, normalizer: str = "none", fresh_rounds: int = 0
) -> tuple[Path, Path, int, int]:
    """The model folder, the texts file, its (per-round) token count and texts per round."""
    import numpy as np
    import tokenizers
    from unigram_util import multilingual_lines, sample, spm_model, spm_tokenizer

    import fastpool

    lines = multilingual_lines()
    train, held = [t for k, t in enumerate(lines) if k % 7], lines[::7]
    proto = spm_model(32000, False, 60000)
    tj = json.loads(spm_tokenizer(proto).to_str())
    vocab = tj["model"]["vocab"]
    have = {p for p, _ in vocab}
    counts = Counter(w for t in train for w in t.split())
    total = sum(counts.values())
    for word, count in counts.most_common():
        if len(vocab) >= VOCAB:
            break
        piece = "\u2581" + word
        if piece not in have:
            have.add(piece)
            vocab.append([piece, math.log(count / total)])
    assert len(vocab) == VOCAB, len(vocab)
    tj["truncation"] = tj["padding"] = None
    if normalizer != "none":  # the form first, then the charsmap and Replace
        tj["normalizer"] = {
            "type": "Sequence",
            "normalizers": [{"type": normalizer}, tj["normalizer"]],
        }
    hf = tokenizers.Tokenizer.from_str(json.dumps(tj))
    table = np.random.default_rng(0).standard_normal((VOCAB, DIM)).astype(np.float32)
    fastpool.StaticModel(table, hf, normalize=True).save_pretrained(folder)
    tok_path = folder / "tokenizer.json"
    saved = json.loads(tok_path.read_text(encoding="utf-8"))
    saved["truncation"] = saved["padding"] = None
    tok_path.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
    texts = folder.parent / "texts.txt"
    held = one_line(held)
    model = fastpool.load(folder)
    if fresh_rounds:
        # A warm-up on 20,000 training lines (text the stream brought before), then per
        # round 10,000 held-out lines no round has seen, each set spread over the languages.
        spread = sample(held, FRESH_TEXTS * fresh_rounds)
        rounds = [spread[k::fresh_rounds] for k in range(fresh_rounds)]
        assert all(len(r) == FRESH_TEXTS for r in rounds), [len(r) for r in rounds]
        warm = sample(one_line(train), 20000)
        texts.write_text("\f".join("\n".join(r) for r in [warm, *rounds]), encoding="utf-8")
        n_ids = sum(model.tokenize_csr(r, max_length=None)[0].size for r in rounds)
        return folder, texts, round(n_ids / fresh_rounds), FRESH_TEXTS
    # 20,000 spread evenly over the held-out lines, so every language is in (the lines come
    # language by language: the first 20,000 were German and French only).
    held = sample(held, 20000)
    texts.write_text("\n".join(held), encoding="utf-8")
    ids, _ = model.tokenize_csr(held, max_length=None)
    return folder, texts, int(ids.size), len(held)


def build_ms(model: Path) -> tuple[float, float]:
    """Best-of-5 (json parse + build, build alone) of the native tokenizer, in ms."""
    from fastpool.tokenizer.native import NativeTokenizer

    text = (model / "tokenizer.json").read_text(encoding="utf-8")
    parsed = json.loads(text)
    both, alone = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        NativeTokenizer(json.loads(text))
        t1 = time.perf_counter()
        NativeTokenizer(parsed)
        t2 = time.perf_counter()
        both.append(t1 - t0)
        alone.append(t2 - t1)
    return min(both) * 1e3, min(alone) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--laghu-python", default=None)
    parser.add_argument("--normalizer", choices=peers_e2e.NORMALIZERS, default="none")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="new text every round (a stream): warm up on 20,000 training lines, then each "
        "round encodes 10,000 held-out lines no round saw; reports the rounds' mean",
    )
    parser.add_argument(
        "--one-at-a-time",
        action="store_true",
        help="one encode call per text (a server's queries) instead of one call per round",
    )
    args = parser.parse_args()
    peers_e2e.CONTESTANTS["laghu-rs"] = LAGHU
    with tempfile.TemporaryDirectory() as tmp:
        fresh = args.rounds if args.fresh else 0
        model, texts, n_tokens, n_texts = make_model(Path(tmp) / "model", args.normalizer, fresh)
        both, alone = build_ms(model)
        print(
            f"{VOCAB} pieces; native build {alone:.0f} ms from the parsed json "
            f"({both:.0f} ms with json.loads); load average {os.getloadavg()[0]:.1f}"
        )
        what = "new texts every round" if fresh else "texts, the same every round"
        if args.one_at_a_time:
            what += ", one call per text"
        print(f"{n_texts} {what}, {n_tokens} tokens (mean {n_tokens / n_texts:.1f}), float32 table")
        for threads in args.threads:
            times = {}
            for name in peers_e2e.CONTESTANTS:
                python = args.laghu_python if name == "laghu-rs" else sys.executable
                if python is None:
                    continue
                times[name] = peers_e2e.run(
                    python, name, model, texts, threads, args.rounds, args.one_at_a_time
                )
            base = times["fastpool-native"]
            for name, seconds in times.items():
                print(
                    f"{threads} thread(s)  {name:20s} {n_texts / seconds:12,.0f} texts/s "
                    f"{n_tokens / seconds / 1e6:7.2f} M tokens/s   fastpool-native is "
                    f"{seconds / base:6.2f}x faster"
                )
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
