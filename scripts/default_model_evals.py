"""Held-out retrieval tasks for the default model that differ from its Debian training pairs.

Three kinds of real text present offline, split so that tuning and reporting use different ones:

- **dev** (the recipe is tuned on these): the Debian held-out split (synopsis -> description)
  and docstrings of ``make_default_model.STDLIB_MODULES`` (first sentence -> the rest);
- **test** (reported, never tuned on): docstrings of the standard-library modules of
  ``stdlib_split()``'s test half, and manual pages (``/usr/share/man/man1``: the NAME line's
  summary -> the DESCRIPTION section), a different author population and format from Debian's
  descriptions and from docstrings;
- **train** (optional extra training pairs): docstrings of the other half of the stdlib.

A docstring pair is dropped from a later split when its sentence or body occurs in an earlier
one (re-exported objects share docstrings), so no text is in two splits.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import inspect
import re
import sys
import warnings
from pathlib import Path

import numpy as np

MAN1 = Path("/usr/share/man/man1")
# Modules that open windows, start things, or print when imported: never imported here.
_SKIP = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "lib2to3",
         "ensurepip", "venv", "pydoc", "pydoc_data", "msilib", "winreg", "winsound", "_winapi",
         "nt", "msvcrt", "test", "xxsubtype", "xxlimited", "xxlimited_35"}  # fmt: skip


def stdlib_split(dev: list[str]) -> tuple[list[str], list[str]]:
    """(train, test) public stdlib modules outside ``dev``, split in half by a name hash."""
    train, test = [], []
    for name in sorted(sys.stdlib_module_names):
        if name.startswith("_") or name in _SKIP or name in dev:
            continue
        digest = hashlib.sha256(name.encode()).digest()
        (test if digest[0] % 2 else train).append(name)
    return train, test


def split_docstring(doc: str) -> tuple[str, str] | None:
    """(first sentence, rest) of a docstring with its whitespace collapsed; None for one
    sentence."""
    parts = re.split(r"(?<=[.!?])\s", " ".join(doc.split()), maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def docstring_items(modules: list[str]) -> list[tuple[str, str]]:
    """(first sentence, rest) of the public objects' docstrings of ``modules``, in order."""
    out: list[tuple[str, str]] = []
    for name in modules:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = importlib.import_module(name)
        except Exception:  # noqa: BLE001 -- platform-specific modules are absent here
            continue
        for attr in sorted(dir(module)):
            if attr.startswith("_"):
                continue
            pair = split_docstring(inspect.getdoc(getattr(module, attr, None)) or "")
            if pair:
                out.append(pair)
    return out


def unique_pairs(items: list[tuple[str, str]], seen: set[str], limit: int | None,
                 seed: int = 0) -> tuple[list[str], list[str]]:  # fmt: skip
    """Pairs with a 20-200 char sentence and an 80+ char body, none of whose texts is in
    ``seen`` nor repeated; a seeded sample of ``limit``. Adds their texts to ``seen``."""
    pairs: dict[str, str] = {}
    bodies: set[str] = set()
    for query, body in items:
        if not (20 <= len(query) <= 200 and len(body) >= 80):
            continue
        if query in pairs or body in bodies or query in seen or body in seen:
            continue
        pairs[query] = body
        bodies.add(body)
    keys = sorted(pairs)
    order = np.random.default_rng(seed).permutation(len(keys))
    if limit is not None:
        order = order[:limit]
    chosen = [keys[i] for i in order]
    seen.update(chosen)
    seen.update(pairs[k] for k in chosen)
    return chosen, [pairs[k] for k in chosen]


def docstring_splits(dev_modules: list[str], limit: int) -> dict[str, tuple[list[str], list[str]]]:
    """{"dev", "test", "train"}: docstring (sentence, body) pairs, no text in two splits."""
    train_mods, test_mods = stdlib_split(dev_modules)
    seen: set[str] = set()
    dev = unique_pairs(docstring_items(dev_modules), seen, limit)
    # every dev and test text is kept out of train, not only the sampled ones
    dev_all = docstring_items(dev_modules)
    test = unique_pairs(docstring_items(test_mods), seen, limit)
    test_all = docstring_items(test_mods)
    seen.update(t for pair in dev_all + test_all for t in pair)
    train = unique_pairs(docstring_items(train_mods), seen, None)
    return {"dev": dev, "test": test, "train": train}


_ROFF_ESC = re.compile(r"\\f(\[[^\]]*\]|\(..|.)|\\s[+-]?\d|\\\*\(..|\\\*.|\\&|\\e|\\\(..")


_FONT_MACROS = {".B", ".I", ".BR", ".IR", ".RB", ".RI", ".BI", ".IB", ".SM"}  # text in a font


def _roff_text(lines: list[str]) -> str:
    words = []
    for line in lines:
        if line.startswith(('.\\"', "'\\\"")):
            continue
        if line.startswith((".", "'")):
            parts = line.split(None, 1)
            if parts[0] in _FONT_MACROS and len(parts) > 1:
                line = parts[1].replace('"', "")
            else:
                continue
        line = _ROFF_ESC.sub("", line).replace("\\-", "-").replace("\\ ", " ").replace("\\", "")
        words.append(line)
    return " ".join(" ".join(words).split())


def manpage_pairs(limit: int, folder: Path = MAN1, seed: int = 0) -> tuple[list[str], list[str]]:
    """(NAME summary, DESCRIPTION text) of roff man pages in ``folder``; ([], []) when absent.

    The summary is what follows ``\\-`` on the NAME line; the description is cut at 1,500
    characters. One pair per distinct summary and per distinct description. The Google Cloud
    CLI's pages (``gcloud*``, thousands of templated pages where installed) are left out so
    that no one tool dominates the sample."""
    if not folder.is_dir():
        return [], []
    pairs: dict[str, str] = {}
    bodies: set[str] = set()
    for path in sorted(folder.glob("*.gz")):
        if path.name.startswith("gcloud"):
            continue
        try:
            text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        except (OSError, EOFError):
            continue
        sections: dict[str, list[str]] = {}
        current = None
        for line in text.split("\n"):
            if line.startswith(".SH"):
                current = line[3:].strip().strip('"').upper()
                sections.setdefault(current, [])
            elif current is not None:
                sections[current].append(line)
        name = _roff_text(sections.get("NAME", []))
        if " - " not in name:
            continue
        summary = name.split(" - ", 1)[1].strip()
        body = _roff_text(sections.get("DESCRIPTION", []))[:1500]
        if 15 <= len(summary) <= 200 and len(body) >= 100:
            if summary not in pairs and body not in bodies:
                pairs[summary] = body
                bodies.add(body)
    keys = sorted(pairs)
    order = np.random.default_rng(seed).permutation(len(keys))[:limit]
    return [keys[i] for i in order], [pairs[keys[i]] for i in order]


# Third-party libraries' public API docstrings: extra training text only (never evaluated).
THIRDPARTY_MODULES = (
    "numpy numpy.linalg numpy.random numpy.fft numpy.ma scipy.stats scipy.optimize "
    "scipy.signal scipy.sparse scipy.linalg scipy.spatial scipy.interpolate scipy.integrate "
    "sklearn.linear_model sklearn.cluster sklearn.decomposition sklearn.metrics "
    "sklearn.preprocessing sklearn.model_selection sklearn.ensemble "
    "sklearn.feature_extraction.text "
    "pandas torch torch.nn torch.nn.functional torch.linalg torch.optim torch.utils.data"
).split()


def thirdparty_pairs(seen: set[str] | None = None) -> tuple[list[str], list[str]]:
    """(first sentence, rest) of third-party API docstrings, texts in ``seen`` left out."""
    return unique_pairs(docstring_items(THIRDPARTY_MODULES), set(seen or ()), None)
