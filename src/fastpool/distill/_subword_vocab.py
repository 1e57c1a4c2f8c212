"""New words in a BPE or Unigram vocabulary, as model2vec 0.10 (through skeletoken) adds them.

BPE: a new word gets merges that build it. Its current form is what the existing merges make
of its characters (the lowest-ranked pair first, every non-overlapping occurrence of it left to
right); the pairs (0, 1), (2, 3), ... of that form are appended as merges, and so on until the
word is one piece. Each part of a new merge that is not yet a token (the intermediate pieces,
"Ġsch" on the way to "Ġschools") becomes a token too, right after the word, in code-point
order: those are rows of the table like any other. The new merges rank last, so they can also
change how other words split. A later entry equal to such a piece crashes model2vec 0.10
(skeletoken adds the token twice); here it is a ValueError that says to put shorter entries
first (an intermediate piece is always shorter than the word that made it, so a vocabulary
sorted by length never hits it).

Unigram: a new piece gets the lowest score of the teacher's vocabulary (its pieces before
pruning), so Viterbi picks it only where no split into existing pieces scores higher.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def merge_pairs(merges: Sequence[str | Sequence[str]]) -> list[tuple[str, str]]:
    """tokenizer.json merges (``"a b"`` strings or ``["a", "b"]`` pairs) as pairs."""
    out: list[tuple[str, str]] = []
    for m in merges:
        if isinstance(m, str):
            left, right = m.split(" ", 1)
        else:
            left, right = m
        out.append((left, right))
    return out


class MergeTable:
    """BPE merges in rank order that can grow, as skeletoken grows them for a new token."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = list(pairs)
        self.rank = {p: i for i, p in enumerate(self.pairs)}
        self.parts = {t for p in self.pairs for t in p}

    def form(self, token: str) -> list[str]:
        """What the merges make of ``token``'s characters (skeletoken's reading of BPE)."""
        pieces = list(token)
        while len(pieces) > 1:
            ranked = [
                (self.rank[p], p) for p in zip(pieces, pieces[1:], strict=False) if p in self.rank
            ]
            if not ranked:
                break
            best = min(ranked)[1]
            merged: list[str] = []
            i = 0
            while i < len(pieces):
                if i + 1 < len(pieces) and (pieces[i], pieces[i + 1]) == best:
                    merged.append(pieces[i] + pieces[i + 1])
                    i += 2
                else:
                    merged.append(pieces[i])
                    i += 1
            pieces = merged
        return pieces

    def add_token(self, token: str) -> None:
        """Append the merges that build ``token`` (pairs (0,1), (2,3)... until it is whole)."""
        pieces = self.form(token)
        for _ in range(len(token)):  # each round merges at least one pair
            if len(pieces) <= 1:
                return
            for i in range(0, len(pieces) - 1, 2):
                pair = (pieces[i], pieces[i + 1])
                if pair not in self.rank:
                    self.rank[pair] = len(self.pairs)
                    self.pairs.append(pair)
                self.parts.update(pair)
            pieces = self.form(token)
        if len(pieces) > 1:  # cannot happen with merges read left to right; never loop
            raise ValueError(f"could not build merges for vocabulary entry {token!r}")


def extend_bpe(
    model: dict[str, Any], vocabulary: list[str], singles: list[str]
) -> tuple[list[str], list[list[str]]]:
    """(new tokens in id order, merges) after adding ``singles`` to a BPE ``model``.

    ``vocabulary`` is the model's vocabulary in id order, before the new tokens; the new
    tokens are each single followed by the intermediate pieces its merges needed.
    """
    table = MergeTable(merge_pairs(model.get("merges") or []))
    known = set(vocabulary)
    made_by: dict[str, str] = {}  # intermediate piece -> the new word whose merges made it
    new: list[str] = []
    for token in singles:
        if token in made_by:  # model2vec 0.10 crashes here (skeletoken adds it twice)
            raise ValueError(
                f"vocabulary entry token {token!r} is already a piece that the merges of the "
                f"earlier entry {made_by[token]!r} added; put shorter entries first (sort the "
                "vocabulary by length) or leave it out"
            )
        new.append(token)
        known.add(token)
        table.add_token(token)
        missing = sorted(table.parts - known)
        new += missing
        known.update(missing)
        made_by.update(dict.fromkeys(missing, token))
    return new, [list(p) for p in table.pairs]


def drop_merges(merges: Sequence[str | Sequence[str]], removed: set[str]) -> list[list[str]]:
    """The merges that neither use nor make a removed token (skeletoken's removal rule)."""
    return [
        [left, right]
        for left, right in merge_pairs(merges)
        if left not in removed and right not in removed and left + right not in removed
    ]


def unigram_min_score(teacher_doc: dict[str, Any]) -> float:
    """The score a new Unigram piece gets: the lowest in the teacher's vocabulary."""
    scores = [float(entry[1]) for entry in teacher_doc["model"]["vocab"]]
    return min(scores, default=-100.0)
