"""Print real English text present on every machine: sentences from the docstrings of
Python's standard library, one per line (deterministic order, duplicates removed).

    python scripts/stdlib_sentences.py > corpus.txt
    fastpool eval corpus.txt --teacher path/to/all-MiniLM-L6-v2
"""

from __future__ import annotations

import importlib
import re
import sys
import warnings

MODULES = sorted(m for m in sys.stdlib_module_names if not m.startswith("_"))


def sentences() -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    warnings.simplefilter("ignore")
    for name in MODULES:
        if name in {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo"}:
            continue
        try:
            module = importlib.import_module(name)
        except Exception:  # platform-specific or optional modules
            continue
        objects = [module] + [getattr(module, a, None) for a in sorted(vars(module))]
        for obj in objects:
            doc = getattr(obj, "__doc__", None)
            if not isinstance(doc, str):
                continue
            for sentence in re.split(r"(?<=[.!?])\s+", " ".join(doc.split())):
                if 30 <= len(sentence) <= 300 and sentence not in seen:
                    seen.add(sentence)
                    out.append(sentence)
    return out


if __name__ == "__main__":
    sys.stdout.write("\n".join(sentences()) + "\n")
