"""Tiny random-weight teachers with a byte-level BPE (RoBERTa-style) or a SentencePiece-style
Unigram (XLM-R-style) tokenizer, built offline for distill(vocabulary=...) tests.

The tokenizers are trained by ``tokenizers``' own trainers on real text (the standard-library
docstrings scripts/stdlib_sentences.py collects); the models are random with a fixed seed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tokenizers import (
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from stdlib_sentences import sentences  # noqa: E402

KINDS = ("bpe", "unigram", "spm")
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def _text(n: int) -> list[str]:
    return sentences()[:n]


def bpe_tokenizer(vocab_size: int = 600, n_sentences: int = 1500) -> Tokenizer:
    """RoBERTa's layout: ByteLevel (no prefix space), <s>/</s> around each text."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )  # fmt: skip
    tok.train_from_iterator(_text(n_sentences), trainer=trainer)
    vocab = tok.get_vocab()
    tok.post_processor = processors.RobertaProcessing(
        ("</s>", vocab["</s>"]), ("<s>", vocab["<s>"]), add_prefix_space=False
    )
    return tok


def unigram_tokenizer(vocab_size: int = 600, n_sentences: int = 1500) -> Tokenizer:
    """XLM-R's layout: NFKC, Metaspace (prepend always), <s>/</s> around each text."""
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS,
        unk_token="<unk>", show_progress=False,
    )  # fmt: skip
    tok.train_from_iterator(_text(n_sentences), trainer=trainer)
    vocab = tok.get_vocab()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", vocab["<s>"]), ("</s>", vocab["</s>"])],
    )  # fmt: skip
    return tok


def spm_tokenizer(vocab_size: int = 600, n_sentences: int = 1500) -> Tokenizer:
    """XLM-R's tokenizer.json as its converter builds it from a SentencePiece model.

    sentencepiece trains the model (``nmt_nfkc``); its ``Precompiled`` charsmap, then
    ``Replace(" {2,}", " ")``, Metaspace, pieces <s> <pad> </s> <unk> first and <mask> last.
    """
    import os
    import tempfile

    import pytest

    spm = pytest.importorskip("sentencepiece")
    pytest.importorskip("google.protobuf")
    from sentencepiece import sentencepiece_model_pb2
    from tokenizers import AddedToken, Regex

    with tempfile.TemporaryDirectory() as d:
        corpus = os.path.join(d, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(_text(n_sentences)))
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=os.path.join(d, "m"), vocab_size=vocab_size,
            model_type="unigram", normalization_rule_name="nmt_nfkc", num_threads=1,
            hard_vocab_limit=False,
            minloglevel=2,
        )  # fmt: skip
        proto = sentencepiece_model_pb2.ModelProto()  # type: ignore[attr-defined]
        with open(os.path.join(d, "m.model"), "rb") as f:
            proto.ParseFromString(f.read())
    pieces = [(t, 0.0) for t in SPECIALS[:4]]
    pieces += [(p.piece, p.score) for p in proto.pieces if p.type == 1]  # NORMAL pieces
    pieces.append(("<mask>", 0.0))
    tok = Tokenizer(models.Unigram(pieces, 3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])  # fmt: skip
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.add_special_tokens([AddedToken(t, special=True) for t in SPECIALS])
    vocab = tok.get_vocab()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", vocab["<s>"]), ("</s>", vocab["</s>"])],
    )  # fmt: skip
    return tok


def write_teacher(
    folder: Path,
    kind: str,
    *,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    vocab_size: int = 600,
    n_sentences: int = 1500,
    seed: int = 0,
) -> Path:
    """A RoBERTa (bpe) or XLM-RoBERTa (unigram) model folder with its tokenizer.json."""
    import torch
    import transformers

    make = {"bpe": bpe_tokenizer, "unigram": unigram_tokenizer, "spm": spm_tokenizer}[kind]
    tok = make(vocab_size, n_sentences)
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))
    vocab = tok.get_vocab()
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                "pad_token": "<pad>", "mask_token": "<mask>", "cls_token": "<s>",
                "sep_token": "</s>"}  # fmt: skip
    # PreTrainedTokenizerFast: transformers then reads tokenizer.json as it is (its
    # XLMRobertaTokenizer class would rebuild the normalizer and pre-tokenizer).
    tokenizer_class = "PreTrainedTokenizerFast"
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": tokenizer_class, "model_max_length": 512, **specials})
    )
    torch.manual_seed(seed)
    cls = transformers.RobertaConfig if kind == "bpe" else transformers.XLMRobertaConfig
    config = cls(
        vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=heads, intermediate_size=4 * hidden, max_position_embeddings=514,
        pad_token_id=vocab["<pad>"],
        bos_token_id=vocab["<s>"], eos_token_id=vocab["</s>"],
    )  # fmt: skip
    model_cls = transformers.RobertaModel if kind == "bpe" else transformers.XLMRobertaModel
    model_cls(config).eval().save_pretrained(str(folder))
    return folder
