"""The distilled vocabulary: the teacher's tokenizer, pruned the way model2vec 0.10 prunes it.

Works on the tokenizer.json document itself (plain JSON, no torch). The rules, in model2vec's
order (``distill_from_model`` → skeletoken's ``prune_added_tokens`` and
``clean_and_create_vocabulary``):

1. bos/eos come from the post-processor (the first and last special token of its ``single``
   template, or ``cls``/``sep`` of a Bert/Roberta processor); the post-processor is then dropped.
2. Every added token goes except the unk and pad tokens ([CLS], [SEP], [MASK] go; [PAD], [UNK]
   stay), then every token that ``re.match``-es ``token_remove_pattern``.
3. What is left keeps its relative order and is renumbered 0..n-1; row i of the table is the
   token with new id i. The teacher sees each token as ``[*bos, original_id, *eos]``.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Vocabulary:
    """A pruned vocabulary and what the teacher needs to embed it."""

    tokens: list[str]  # new id -> token
    original_ids: list[int]  # new id -> id in the teacher's tokenizer
    bos_ids: list[int]  # teacher ids put before each token
    eos_ids: list[int]  # teacher ids put after each token
    pad_id: int  # teacher id used to pad batches (masked out, so any valid id works)
    tokenizer_json: dict[str, Any]  # the pruned tokenizer, consistent with ``tokens``
    inputs: list[list[int]] | None = None  # teacher input per row, when not all are teacher tokens

    def teacher_inputs(self) -> list[list[int]]:
        """One teacher input per row: ``[*bos, token, *eos]`` (or ``inputs`` when set)."""
        if self.inputs is not None:
            return self.inputs
        bos, eos = self.bos_ids, self.eos_ids
        return [[*bos, i, *eos] for i in self.original_ids]


def read_tokenizer_json(folder: str | Path) -> dict[str, Any]:
    """The teacher's tokenizer.json, with pad/unk overrides from tokenizer_config.json applied.

    transformers lets tokenizer_config.json (or special_tokens_map.json) name the pad and unk
    tokens; model2vec honours those, so this does too.
    """
    folder = Path(folder)
    path = folder / "tokenizer.json"
    if path.is_file():
        doc = json.loads(path.read_text(encoding="utf-8"))
    else:  # a slow-only folder: let transformers convert it
        from transformers import AutoTokenizer

        doc = json.loads(AutoTokenizer.from_pretrained(str(folder)).backend_tokenizer.to_str())
    overrides: dict[str, Any] = {}
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        p = folder / name
        if p.is_file():
            overrides.update(json.loads(p.read_text(encoding="utf-8")))
    for key in ("unk_token", "pad_token"):
        value = overrides.get(key)
        if isinstance(value, dict):
            value = value.get("content")
        if isinstance(value, str):
            doc.setdefault("_fastpool_overrides", {})[key] = value
    return doc


def _vocab_in_order(model: dict[str, Any]) -> list[str]:
    if model["type"] == "Unigram":
        return [entry[0] for entry in model["vocab"]]
    vocab: dict[str, int] = model["vocab"]
    return sorted(vocab, key=vocab.__getitem__)


def _bos_eos(post: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    if post is None:
        return [], []
    kind = post.get("type")
    if kind in ("BertProcessing", "RobertaProcessing"):
        return [post["cls"][0]], [post["sep"][0]]
    if kind == "TemplateProcessing":
        single = post.get("single") or []
        special = post.get("special_tokens") or {}

        def tokens(item: dict[str, Any]) -> list[str]:
            if "SpecialToken" not in item:
                return []
            info = special.get(item["SpecialToken"]["id"])
            return list(info["tokens"]) if info else []

        if not single:
            return [], []
        return tokens(single[0]), tokens(single[-1])
    return [], []  # ByteLevel, Sequence: model2vec adds nothing either


def _unk_token(doc: dict[str, Any], vocab: list[str]) -> str | None:
    model = doc["model"]
    unk = doc.get("_fastpool_overrides", {}).get("unk_token")
    if unk is not None:
        return unk
    if model["type"] == "Unigram":
        unk_id = model.get("unk_id")
        return vocab[unk_id] if unk_id is not None and unk_id < len(vocab) else None
    return model.get("unk_token")


def _pad_token(doc: dict[str, Any]) -> str | None:
    pad = doc.get("_fastpool_overrides", {}).get("pad_token")
    if pad is not None:
        return pad
    padding = doc.get("padding")
    return padding.get("pad_token") if padding else None


def prune(doc: dict[str, Any], token_remove_pattern: str | None) -> Vocabulary:
    """Prune the teacher's tokenizer as model2vec 0.10 does; see the module docstring."""
    regex = re.compile(token_remove_pattern) if token_remove_pattern is not None else None
    model = doc["model"]
    if model["type"] not in ("WordPiece", "BPE", "Unigram", "WordLevel"):
        raise ValueError(
            f"tokenizer model must be WordPiece, BPE, Unigram or WordLevel, got {model['type']!r}"
        )
    teacher_vocab = _vocab_in_order(model)
    teacher_ids = {t: i for i, t in enumerate(teacher_vocab)}
    # Added tokens missing from the model vocabulary live after it, in id order (tokenizers).
    for added in sorted(doc.get("added_tokens") or [], key=lambda a: a["id"]):
        if added["content"] not in teacher_ids:
            teacher_ids[added["content"]] = added["id"]
            teacher_vocab.append(added["content"])
    bos, eos = _bos_eos(doc.get("post_processor"))
    unk, pad = _unk_token(doc, teacher_vocab), _pad_token(doc)
    if unk is not None and unk not in teacher_ids:
        unk = None
    if pad is not None and pad not in teacher_ids:
        pad = None

    keep_added = {t for t in (unk, pad) if t is not None}
    removed = {a["content"] for a in doc.get("added_tokens") or []} - keep_added
    if regex is not None:
        removed |= {t for t in teacher_vocab if regex.match(t)}
    if unk in removed:
        unk = None
    if pad in removed:
        pad = None
    tokens = [t for t in teacher_vocab if t not in removed]
    if not tokens:
        raise ValueError(
            "the vocabulary is empty after pruning: token_remove_pattern "
            f"{token_remove_pattern!r} removed every token"
        )
    pad_id = teacher_ids[pad] if pad is not None else 0
    return Vocabulary(
        tokens=tokens,
        original_ids=[teacher_ids[t] for t in tokens],
        bos_ids=[teacher_ids[t] for t in bos],
        eos_ids=[teacher_ids[t] for t in eos],
        pad_id=pad_id,
        tokenizer_json=_pruned_tokenizer(doc, tokens, removed, unk, pad),
    )


def _pruned_tokenizer(
    doc: dict[str, Any], tokens: list[str], removed: set[str], unk: str | None, pad: str | None
) -> dict[str, Any]:
    """The teacher's tokenizer.json with the new vocabulary and no post-processor.

    Truncation and padding are dropped: a static model pools whole texts and needs neither
    (model2vec's StaticModel turns padding off and sets truncation itself on load).
    """
    out = copy.deepcopy({k: v for k, v in doc.items() if k != "_fastpool_overrides"})
    new_ids = {t: i for i, t in enumerate(tokens)}
    model = out["model"]
    if model["type"] == "Unigram":
        model["vocab"] = [entry for entry in model["vocab"] if entry[0] in new_ids]
        model["unk_id"] = new_ids[unk] if unk is not None else None
    else:
        model["vocab"] = new_ids
        if "unk_token" in model and model["type"] != "BPE":
            # WordPiece/WordLevel need an unk token string; keep the name even if it was pruned.
            model["unk_token"] = unk if unk is not None else model["unk_token"]
        elif model["type"] == "BPE":
            model["unk_token"] = unk
    if model["type"] == "BPE":
        model["merges"] = [m for m in model.get("merges") or [] if _keep_merge(m, removed)]
    out["added_tokens"] = [
        {**a, "id": new_ids[a["content"]]}
        for a in out.get("added_tokens") or []
        if a["content"] in new_ids
    ]
    out["post_processor"] = None
    out["truncation"] = None
    out["padding"] = None
    pre = out.get("pre_tokenizer")
    _set_prefix_space(pre)
    return out


def _keep_merge(merge: str | list[str], removed: set[str]) -> bool:
    left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
    return left not in removed and right not in removed and left + right not in removed


def _set_prefix_space(pre: dict[str, Any] | None) -> None:
    """model2vec sets ``add_prefix_space`` on byte-level pre-tokenizers: a token is a word."""
    if pre is None:
        return
    if pre.get("type") == "ByteLevel":
        pre["add_prefix_space"] = True
    for child in pre.get("pretokenizers") or []:
        _set_prefix_space(child)
