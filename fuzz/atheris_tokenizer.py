"""atheris harness: the native tokenizer on arbitrary strings and bytes.

    python fuzz/atheris_tokenizer.py -runs=1000000

Built from three trained tokenizer.json files, one per native family: WordPiece and
Unigram (NFKC + Metaspace) from tests/model_factory.py, and a byte-level BPE with an NFC
normalizer (Qwen2's shape of normalizer) trained here; each input picks one. Each
input becomes 1-8 texts: str (any code points except surrogates) and, where
the API accepts bytes, raw bytes including ill-formed UTF-8. tokenize_csr must
return valid CSR with ids in range, encode must return finite float32 rows,
and for str input the ids must equal Hugging Face tokenizers' (the parity the
native tokenizer promises). Only ValueError and TypeError may escape.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import numpy as np

    from fastpool.tokenizer.native import NativeTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from model_factory import make_tokenizer  # noqa: E402


def _byte_level_bpe():
    from model_factory import CORPUS
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    return tok


FAMILIES = []
for hf in (make_tokenizer("wordpiece", limits=False), make_tokenizer("unigram", limits=False),
           _byte_level_bpe()):  # fmt: skip
    tok = NativeTokenizer(hf.to_str())
    table = np.random.default_rng(0).standard_normal((tok.vocab_size, 8)).astype(np.float32)
    FAMILIES.append((hf, tok, table))
ALLOWED = (ValueError, TypeError)


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    HF, TOK, TABLE = FAMILIES[fdp.ConsumeIntInRange(0, len(FAMILIES) - 1)]
    as_bytes = fdp.ConsumeBool()
    texts: list = []
    for _ in range(fdp.ConsumeIntInRange(1, 8)):
        if as_bytes:
            texts.append(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 200)))
        else:
            texts.append(fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 200)))
    max_chars = [None, 0, 1, 5, 50][fdp.ConsumeIntInRange(0, 4)]
    max_tokens = [None, 0, 1, 7][fdp.ConsumeIntInRange(0, 3)]
    try:
        ids, offsets = TOK.tokenize_csr(
            texts, max_chars=max_chars, max_tokens=max_tokens, n_threads=fdp.ConsumeIntInRange(1, 2)
        )
    except ALLOWED:
        return
    assert offsets[0] == 0 and offsets[-1] == ids.size and np.all(np.diff(offsets) >= 0)
    assert ids.size == 0 or (ids.min() >= 0 and ids.max() < TOK.vocab_size)
    if not as_bytes and max_chars is None and max_tokens is None:
        for i, text in enumerate(texts):
            want = HF.encode(text, add_special_tokens=False).ids
            assert ids[offsets[i] : offsets[i + 1]].tolist() == want, (text, want)
    try:
        out = TOK.encode(texts, TABLE, max_chars=max_chars, max_tokens=max_tokens)
    except ALLOWED:
        return
    assert out.shape == (len(texts), 8) and np.isfinite(out).all()


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
