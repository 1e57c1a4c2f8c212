"""Extra training pairs for the default model: docstrings of the installed third-party packages.

    python scripts/sitepackages_docstrings.py        # counts per package and a few samples

Every public function, class and method of every ``.py`` file in the running interpreter's
site-packages (test folders and fastpool itself left out) gives a (first sentence, rest)
pair, read with ``ast`` so no package is imported (importing thousands of modules would be
slow and run their code). ``default_model_evals.unique_pairs`` filters and deduplicates them,
at most ``PER_PACKAGE`` pairs per top-level package: a few packages (plotly's generated
property docs, transformers' model classes) have thousands of near-identical docstrings that
would otherwise outweigh the rest. Which pairs come out depends on the installed packages,
i.e. on ``pip install -e ".[dev,train]"`` at the time.
"""

from __future__ import annotations

import ast
import sysconfig
from collections import defaultdict
from pathlib import Path

PER_PACKAGE = 2000
_SKIP_TOP = {"fastpool", "_fastpool_editable"}
_SKIP_PARTS = {"test", "tests", "testing"}


def site_packages() -> list[Path]:
    """The running interpreter's site-packages folders (purelib and platlib, once each)."""
    paths = sysconfig.get_paths()
    return sorted({Path(paths["purelib"]), Path(paths["platlib"])})


def items_by_package() -> dict[str, list[tuple[str, str]]]:
    """(first sentence, rest) of each public def/class docstring, by top-level package."""
    from default_model_evals import split_docstring

    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for root in site_packages():
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).parts
            top = parts[0].removesuffix(".py")
            if top in _SKIP_TOP or top.endswith((".dist-info", ".egg-info")):
                continue
            if _SKIP_PARTS.intersection(parts[:-1]):
                continue
            try:
                tree = ast.parse(path.read_bytes())
            except (SyntaxError, ValueError):  # a file for another Python, or not UTF-8
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    # get_docstring cleans the indentation, as inspect.getdoc does
                    doc = ast.get_docstring(node) if not node.name.startswith("_") else None
                    pair = split_docstring(doc) if doc else None
                    if pair:
                        found[top].append(pair)
    return dict(found)


def sitepackages_pairs(
    seen: set[str], per_package: int = PER_PACKAGE, counts: dict[str, int] | None = None
) -> tuple[list[str], list[str]]:
    """The pairs, packages in name order, none of whose texts is in ``seen`` (updated).

    ``counts``, when given, receives the number of pairs each package gave (what a re-make
    on another installation compares against)."""
    from default_model_evals import unique_pairs

    queries: list[str] = []
    documents: list[str] = []
    for package, items in sorted(items_by_package().items()):
        q, d = unique_pairs(items, seen, per_package)
        queries, documents = queries + q, documents + d
        if counts is not None and q:
            counts[package] = len(q)
    return queries, documents


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    by_package = items_by_package()
    counts = sorted(((len(v), k) for k, v in by_package.items()), reverse=True)
    print(sum(n for n, _ in counts), "docstrings;", ", ".join(f"{k} {n}" for n, k in counts[:15]))
    q, d = sitepackages_pairs(set())
    print(len(q), "pairs; e.g.", repr(q[len(q) // 2]), "->", repr(d[len(q) // 2][:120]))
