"""A custom vocabulary added to the pruned teacher vocabulary, as model2vec 0.10 adds it.

model2vec's ``distill(vocabulary=[...])`` (``clean_and_create_vocabulary`` and
``turn_tokens_into_ids``), rule by rule:

1. Each entry is normalised by the teacher's normalizer and split by its pre-tokenizer.
   Nothing left (empty, or only whitespace): skipped.
2. One piece: that piece is the token. It is skipped if the teacher already has it (its
   vocabulary before ``token_remove_pattern``, less the added tokens that pruning drops), if
   an earlier entry added it, or if it ``re.match``-es ``token_remove_pattern``. Otherwise it
   is appended to the vocabulary (after the teacher's tokens, in the order given).
3. Several pieces (``"New York"``, ``"don't"``): a multi-word token. If the raw entry is itself
   a teacher token it is removed from the vocabulary (the unk token excepted: WordPiece needs
   it). The entry, normalised and stripped, becomes an added token (``normalized``, not
   special, ``lstrip``/``rstrip``, not ``single_word``) appended after the single words;
   repeats are skipped. ``tokenizers`` matches added tokens before pre-tokenizing, so the
   saved tokenizer turns "New York" into one token.
4. The teacher embeds a teacher token as ``[bos] token [eos]``; any other token as the
   teacher's own tokenizer encodes its text, post-processor, padding and truncation
   included (for all-MiniLM-L6-v2, whose tokenizer.json pads to a fixed 128, that is 128
   positions, the padding attended and averaged: model2vec's result, reproduced).

5. BPE and Unigram teachers (``_subword_vocab`` has the details): a new BPE word comes with
   the merges that build it, appended after the teacher's, and the intermediate pieces those
   merges make become tokens (rows) right after it; a new Unigram piece gets the teacher's
   lowest score. The unk token is not kept back from rule 3 there (BPE and Unigram can do
   without one): an entry such as "<unk>" that splits removes it, and the result has no unk.

What model2vec does that is odd, reproduced:

- The teacher embeds a new word by encoding the token's text, pre-tokenizer marker included:
  a byte-level teacher sees "Ġschools" as the characters "Äłschools" (the UTF-8 bytes of "Ġ",
  then the word), a Metaspace teacher sees "▁schools" with a second "▁" put before it. The
  rows are those of these texts.
- An entry of only whitespace under a normalizer (NFKC: "   ") is several pieces, so it
  becomes the multi-word token "" (empty after stripping): a row and a vocabulary entry that
  no text can produce (``tokenizers`` drops an empty added token on load).
- A new Unigram piece scores the teacher's lowest score, so where existing pieces split the
  word with a higher total score the tokenizer never produces the new piece: its row exists
  but is never used.

Where fastpool differs, on purpose: model2vec 0.10 leaves a Unigram model's ``unk_id`` at the
teacher's index after pruning moves the pieces (for an XLM-R layout, 3 where ``<unk>`` is now
1: unknown characters get the row of whatever piece now sits at 3); here ``unk_id`` points at
the unk piece. BPE models with a ``continuing_subword_prefix`` or an ``end_of_word_suffix``
(which skeletoken's merge building ignores, so the new merges would not build the word) get a
ValueError, as does a multi-word entry that equals a new single token (model2vec crashes).
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from tokenizers import Tokenizer

from ._subword_vocab import drop_merges, extend_bpe, unigram_min_score
from ._vocab import Vocabulary

CUSTOM_VOCAB_MODELS = ("WordPiece", "WordLevel", "BPE", "Unigram")
#: Models whose unk token survives rule 3 (tokenizers cannot load them without one).
_NEEDS_UNK = ("WordPiece", "WordLevel")


@dataclass(frozen=True)
class VocabularyReport:
    """What happened to the entries of a custom vocabulary (model2vec logs the same counts)."""

    added: int
    multiword: int
    already_known: int
    removed_by_pattern: int
    empty: int
    merge_pieces: int = 0  # BPE: intermediate pieces the new merges made tokens


def check_vocabulary(vocabulary: object) -> list[str]:
    """A list of str from ``vocabulary`` (any iterable of str, not a str itself)."""
    if isinstance(vocabulary, (str, bytes)) or not isinstance(vocabulary, Iterable):
        raise TypeError(
            f"vocabulary must be a list of str or None, got {type(vocabulary).__name__}"
        )
    words = list(vocabulary)
    for i, word in enumerate(words):
        if not isinstance(word, str):
            raise TypeError(
                f"vocabulary must be a list of str, got {type(word).__name__} at index {i}"
            )
    return words


def add_vocabulary(
    vocab: Vocabulary,
    teacher_doc: dict[str, Any],
    words: list[str],
    token_remove_pattern: str | None,
) -> tuple[Vocabulary, VocabularyReport]:
    """``vocab`` (the pruned teacher vocabulary) with ``words`` added; see the module docstring.

    ``teacher_doc`` is the teacher's tokenizer.json (as ``read_tokenizer_json`` returns it);
    the returned vocabulary's ``inputs`` hold the teacher's input for every row.
    """
    kind = teacher_doc["model"]["type"]
    if kind not in CUSTOM_VOCAB_MODELS:
        raise ValueError(
            f"vocabulary= is implemented for teachers whose tokenizer model is "
            f"{' or '.join(CUSTOM_VOCAB_MODELS)}, got {kind!r}"
        )
    if kind == "BPE":
        for key in ("continuing_subword_prefix", "end_of_word_suffix"):
            if teacher_doc["model"].get(key):
                raise ValueError(
                    f"vocabulary= is not implemented for BPE teachers with a {key} "
                    f"({teacher_doc['model'][key]!r}): new merges would not build the words"
                )
    regex = re.compile(token_remove_pattern) if token_remove_pattern is not None else None
    pruned = Tokenizer.from_str(json.dumps(vocab.tokenizer_json))
    normalizer, pre_tokenizer = pruned.normalizer, pruned.pre_tokenizer

    teacher = _teacher_tokenizer(teacher_doc)
    teacher_vocab = teacher.get_vocab(with_added_tokens=True)
    dropped_added = {a["content"] for a in teacher_doc.get("added_tokens") or []}
    dropped_added -= set(vocab.tokens) | _bos_eos_tokens(teacher, vocab)
    known = set(teacher_vocab) - dropped_added  # what model2vec calls "already in the vocabulary"

    singles: list[str] = []
    multi: list[str] = []
    seen_multi: set[str] = set()
    drop_raw: set[str] = set()
    counts = {"known": 0, "pattern": 0, "empty": 0, "pieces": 0}
    for word in words:
        text = normalizer.normalize_str(word) if normalizer is not None else word
        pieces = [p for p, _ in pre_tokenizer.pre_tokenize_str(text)] if pre_tokenizer else [text]
        if not text or not pieces:
            counts["empty"] += 1
            continue
        if len(pieces) > 1:
            drop_raw.add(word)
            token = text.strip()
            if token not in seen_multi:
                seen_multi.add(token)
                multi.append(token)
            continue
        token = pieces[0]
        if token in known:
            counts["known"] += 1
            continue
        if regex is not None and regex.match(token):
            counts["pattern"] += 1
            continue
        known.add(token)
        singles.append(token)

    unk = _model_unk(vocab.tokenizer_json)
    if kind in _NEEDS_UNK:
        drop_raw = {t for t in drop_raw if t != unk}
    keep = [i for i, t in enumerate(vocab.tokens) if t not in drop_raw]
    base_tokens = [vocab.tokens[i] for i in keep]
    base_ids = [vocab.original_ids[i] for i in keep]
    model = copy.deepcopy(vocab.tokenizer_json["model"])
    if kind == "BPE":
        model["merges"] = drop_merges(model.get("merges") or [], drop_raw)
        n_words = len(singles)
        singles, model["merges"] = extend_bpe(model, base_tokens, singles)
        counts["pieces"] = len(singles) - n_words
    new = singles + multi
    tokens = base_tokens + new
    if len(set(tokens)) != len(tokens):  # a multi-word token equal to a single word
        duplicates = sorted({t for t in new if tokens.count(t) > 1})
        raise ValueError(f"vocabulary entries collide after normalising: {duplicates[:5]}")

    bos, eos = vocab.bos_ids, vocab.eos_ids
    inputs = [[*bos, i, *eos] for i in base_ids]
    for token in new:
        tid = teacher_vocab.get(token)
        if tid is not None and token not in dropped_added:
            inputs.append([*bos, tid, *eos])
        else:
            inputs.append(teacher.encode(token).ids)
    if kind == "BPE" and unk in drop_raw:
        model["unk_token"] = None
    low = unigram_min_score(teacher_doc) if kind == "Unigram" else 0.0
    doc = _extended_tokenizer(vocab.tokenizer_json, model, tokens, multi, low)
    report = VocabularyReport(
        added=len(singles) - counts["pieces"], multiword=len(multi), already_known=counts["known"],
        removed_by_pattern=counts["pattern"], empty=counts["empty"],
        merge_pieces=counts["pieces"],
    )  # fmt: skip
    if report.empty:
        warnings.warn(
            f"{report.empty} vocabulary entries were empty after normalising; skipped",
            stacklevel=3,
        )
    out = replace(vocab, tokens=tokens, original_ids=base_ids, tokenizer_json=doc, inputs=inputs)
    return out, report


def _teacher_tokenizer(doc: dict[str, Any]) -> Tokenizer:
    clean = {k: v for k, v in doc.items() if k != "_fastpool_overrides"}
    return Tokenizer.from_str(json.dumps(clean))


def _bos_eos_tokens(teacher: Tokenizer, vocab: Vocabulary) -> set[str]:
    names = (teacher.id_to_token(i) for i in [*vocab.bos_ids, *vocab.eos_ids])
    return {n for n in names if n is not None}


def _model_unk(doc: dict[str, Any]) -> str | None:
    model = doc["model"]
    if model["type"] == "Unigram":
        unk_id = model.get("unk_id")
        return model["vocab"][unk_id][0] if isinstance(unk_id, int) else None
    unk = model.get("unk_token")
    return unk if isinstance(unk, str) else None


def _extended_tokenizer(
    doc: dict[str, Any],
    model: dict[str, Any],
    tokens: list[str],
    multi: list[str],
    low_score: float,
) -> dict[str, Any]:
    """The pruned tokenizer.json with the new words in its vocabulary and added tokens.

    ``model`` is the pruned model (its BPE merges already extended); ``tokens`` the whole
    vocabulary in id order; a new Unigram piece scores ``low_score``.
    """
    out = copy.deepcopy(doc)
    out["model"] = model
    ids = {t: i for i, t in enumerate(tokens)}
    if model["type"] == "Unigram":
        unk = _model_unk(doc)
        scores = {entry[0]: entry[1] for entry in model["vocab"]}
        model["vocab"] = [[t, scores.get(t, low_score)] for t in tokens]
        model["unk_id"] = ids.get(unk) if unk is not None else None
    else:
        model["vocab"] = ids
    added = [{**a, "id": ids[a["content"]]} for a in out.get("added_tokens") or []
             if a["content"] in ids]  # fmt: skip
    for token in multi:
        if not token:  # tokenizers drops an empty added token on load (and so model2vec)
            continue
        added.append({
            "id": ids[token], "content": token, "single_word": False, "lstrip": True,
            "rstrip": True, "normalized": True, "special": False,
        })  # fmt: skip
    out["added_tokens"] = added
    return out
