"""Real Unigram tokenizers for the native parity tests, built offline from real text.

``multilingual_lines()`` reads Debian's translated package descriptions (de, fr, es,
ja, ru, zh_CN; see /work/shared/DATA.md: ``apt-get update -o
Acquire::Languages=...``); tests skip when apt's files are absent. ``spm_json`` trains a
real SentencePiece model (``nmt_nfkc``) and builds the tokenizer.json XLM-R-family
models carry by hand: ``Precompiled`` charsmap + ``Replace(" {2,}", " ")``, the
pieces and scores in ``models.Unigram``, a ``Metaspace`` pre-tokenizer.
``trained_json`` trains ``tokenizers``' own UnigramTrainer.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import tempfile
from functools import cache

import pytest

tokenizers = pytest.importorskip("tokenizers")

LISTS = "/var/lib/apt/lists"
LANGS = ("de", "fr", "es", "ja", "ru", "zh%5fCN")
APT_HELPER = "/usr/lib/apt/apt-helper"


@cache
def multilingual_lines() -> tuple[str, ...]:
    """Description lines of every translated language, in file order (deduplicated)."""
    files = [f for lang in LANGS for f in sorted(glob.glob(f"{LISTS}/*_i18n_Translation-{lang}*"))]
    if len(files) < len(LANGS) or not os.path.exists(APT_HELPER):
        pytest.skip(
            "Debian translated descriptions absent: run apt-get update -o "
            "Acquire::Languages=en,de,fr,es,ja,ru,zh_CN"
        )
    seen: set[str] = set()
    lines: list[str] = []
    for path in files:
        out = subprocess.run([APT_HELPER, "cat-file", path], capture_output=True, check=True)
        for line in out.stdout.decode("utf-8", errors="replace").split("\n"):
            if line.startswith("Description-"):
                line = line.split(":", 1)[1]
            elif not line.startswith(" ") or line.strip() == ".":
                continue
            line = line.strip()
            if line and line not in seen:
                seen.add(line)
                lines.append(line)
    return tuple(lines)


def sample(lines: tuple[str, ...], n: int) -> list[str]:
    """n lines spread evenly over every language."""
    step = max(1, len(lines) // n)
    return list(lines[::step][:n])


@cache
def spm_model(vocab_size: int, byte_fallback: bool = False, n_lines: int = 8000):
    """A SentencePiece ModelProto trained (nmt_nfkc) on real multilingual lines."""
    spm = pytest.importorskip("sentencepiece")
    from sentencepiece import sentencepiece_model_pb2

    lines = sample(multilingual_lines(), n_lines)
    with tempfile.TemporaryDirectory() as d:
        corpus = os.path.join(d, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        spm.SentencePieceTrainer.train(
            input=corpus,
            model_prefix=os.path.join(d, "m"),
            vocab_size=vocab_size,
            model_type="unigram",
            normalization_rule_name="nmt_nfkc",
            character_coverage=0.9995,
            byte_fallback=byte_fallback,
            num_threads=1,
            minloglevel=2,
        )
        proto = sentencepiece_model_pb2.ModelProto()  # type: ignore[attr-defined]
        with open(os.path.join(d, "m.model"), "rb") as f:
            proto.ParseFromString(f.read())
    return proto


def spm_tokenizer(proto, *, prepend_scheme: str = "always", split: bool = True):
    """The tokenizers Tokenizer XLM-R's converter would build from a SentencePiece model."""
    from tokenizers import Regex, models, normalizers, pre_tokenizers

    pieces = [(p.piece, p.score) for p in proto.pieces]
    unk_id = next(k for k, p in enumerate(proto.pieces) if p.type == 2)  # UNKNOWN
    tok = tokenizers.Tokenizer(
        models.Unigram(pieces, unk_id, byte_fallback=proto.trainer_spec.byte_fallback)
    )
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="\u2581", prepend_scheme=prepend_scheme, split=split
    )
    return tok


@cache
def spm_json(
    vocab_size: int = 4000, byte_fallback: bool = False, n_lines: int = 8000, **meta
) -> str:
    return spm_tokenizer(spm_model(vocab_size, byte_fallback, n_lines), **meta).to_str()


@cache
def trained_json(vocab_size: int = 2000, normalizer: str | None = None) -> str:
    """tokenizers' UnigramTrainer on real multilingual text, Metaspace, optional NFKC."""
    from tokenizers import models, normalizers, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.Unigram())
    if normalizer == "NFKC":
        tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, unk_token="<unk>", special_tokens=["<unk>", "<s>", "</s>"]
    )
    tok.train_from_iterator(sample(multilingual_lines(), 2000), trainer)
    return tok.to_str()


def with_added(tj: str, contents: list[str], **flags: bool) -> str:
    """tj with extra added tokens (normalized false, flags such as lstrip=True),
    numbered as tokenizers would."""
    tok = tokenizers.Tokenizer.from_str(tj)
    tok.add_tokens([tokenizers.AddedToken(c, normalized=False, **flags) for c in contents])
    return tok.to_str()


def loads(tj: str) -> dict:
    return json.loads(tj)
