"""Real (query, document) pairs present offline: Debian's English package descriptions.

    apt-get update -o Acquire::Languages=en      # as root, once: adds *_i18n_Translation-en.lz4
    python scripts/debian_pairs.py OUT_FOLDER    # writes train.jsonl, heldout.jsonl

Each record of apt's ``Translation-en`` file is ``Package:``, ``Description-md5:`` and
``Description-en:``: a one-line synopsis, then the long description as indented lines (a line
`` .`` is a paragraph break). A pair is (synopsis, long description). Records with the same
long description (``libfoo1`` / ``libfoo-dev`` share most of theirs) are near-duplicates, so
the split is by the description's *first paragraph*: a group goes wholly to train or to the
held-out split (about 10%, chosen by a hash, so re-running gives the same split), and within
the held-out split only one pair per first paragraph is kept, so a query has one right answer.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

LISTS = "/var/lib/apt/lists"
APT_HELPER = "/usr/lib/apt/apt-helper"
HELDOUT_PERCENT = 10


def translation_files(lists: str = LISTS) -> list[str]:
    """apt's English translation files (main, updates, security), sorted; [] when absent."""
    return sorted(glob.glob(f"{lists}/*_i18n_Translation-en*"))


def read_text(path: str) -> str:
    """The file's text, decompressed by apt itself (it knows lz4, xz, gz)."""
    out = subprocess.run([APT_HELPER, "cat-file", path], capture_output=True, check=True)
    return out.stdout.decode("utf-8", errors="replace")


def records(text: str) -> Iterator[tuple[str, str, str]]:
    """(package, synopsis, long description) per record; paragraphs joined by a blank line."""
    for block in text.split("\n\n"):
        package, synopsis, lines = "", "", []
        in_description = False
        for line in block.split("\n"):
            if line.startswith("Package:"):
                package = line.split(":", 1)[1].strip()
            elif line.startswith("Description-en:"):
                synopsis, in_description = line.split(":", 1)[1].strip(), True
            elif in_description and line.startswith(" "):
                lines.append("" if line.strip() == "." else line.strip())
            elif not line.startswith(" "):
                in_description = False
        paragraphs = [" ".join(p.split()) for p in "\n".join(lines).split("\n\n")]
        description = "\n\n".join(p for p in paragraphs if p)
        if package and synopsis and description:
            yield package, synopsis, description


def is_heldout(description: str) -> bool:
    first = description.split("\n\n")[0]
    digest = hashlib.sha256(first.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELDOUT_PERCENT


def pairs(lists: str = LISTS) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(train, heldout) lists of {"package", "query", "document"}, deduplicated, sorted."""
    seen: set[str] = set()
    train: list[dict[str, str]] = []
    heldout: list[dict[str, str]] = []
    heldout_firsts: set[str] = set()
    for path in translation_files(lists):
        for package, synopsis, description in records(read_text(path)):
            if package in seen:
                continue
            seen.add(package)
            row = {"package": package, "query": synopsis, "document": description}
            if not is_heldout(description):
                train.append(row)
                continue
            first = description.split("\n\n")[0]
            if first not in heldout_firsts:
                heldout_firsts.add(first)
                heldout.append(row)
    train.sort(key=lambda r: r["package"])
    heldout.sort(key=lambda r: r["package"])
    return train, heldout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lists", default=LISTS)
    args = parser.parse_args()
    if not translation_files(args.lists):
        raise SystemExit(
            f"no *_i18n_Translation-en* files in {args.lists}: run "
            "`apt-get update -o Acquire::Languages=en` as root first"
        )
    train, heldout = pairs(args.lists)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", train), ("heldout", heldout)):
        with open(args.out / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(train)} train pairs, {len(heldout)} held-out pairs -> {args.out}")


if __name__ == "__main__":
    main()
