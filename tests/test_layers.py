"""The package's layers, read from its source (see docs/architecture.md).

Every module of ``src/fastpool`` is parsed with ``ast`` (nothing is imported) and
each ``import`` becomes an arrow from one module to another. The test fails on:

* an arrow the layer table forbids (a lower layer importing a higher one, or two
  packages of one layer importing each other);
* an import circle, however long, lazy (function-level) imports included;
* an import of another module's private ``_name`` (a private *module* is fine:
  ``from . import _core``; a private *name* in it is not);
* a module the table does not place: a new module must be given a layer here.

Imports under ``if TYPE_CHECKING:`` are annotations only and are not arrows.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fastpool"

# Lower numbers are lower layers. A module may import a module of a lower layer,
# or any module of its own top-level group (inside tokenizer/, inside cli/, ...).
# The base utilities of layer 1 may also import each other, and so may the users
# of the model (layer 6); the circle check keeps those honest.
LAYERS: dict[str, int] = {
    # compiled extensions
    "_core": 0,
    "_tokenizer": 0,
    "_bench": 0,
    # base utilities: no model, no tokenizer, no files
    "_version": 1,
    "_aligned": 1,
    "_threads": 1,
    "_checks": 1,
    "_build": 1,
    # the checked kernel entry (it needs a table: it knows no bundled model)
    "_encode": 2,
    "_similarity": 2,
    "_progress": 2,
    # sentence-transformers' semantics (settings, prompts, precision), read by both parts
    "_st": 2,
    # one tokenizer.json read once (its vocabulary as a native string table)
    "_tokenizer_doc": 2,
    # the parts a model is built from
    "tokenizer": 3,
    "persistence": 3,
    # the model, then the functions around the bundled one
    "model": 4,
    "_api": 5,
    # users of the model
    "quantization": 6,
    "cli": 6,
    "ray": 6,
    "integrations": 6,
    "patch": 6,
    "distill": 6,
    "train": 6,
    # the package's face: re-exports and ``python -m fastpool``
    "__init__": 7,
    "__main__": 7,
}
SAME_LAYER_OK = {1, 6}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".pyx") and "models" not in path.relative_to(PACKAGE).parts:
            found[module_name(path)] = path
    return found


MODULES = package_modules()


def group(module: str) -> str:
    """The top-level group: fastpool.tokenizer.native -> tokenizer; fastpool -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                yield from _imports(child)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def imports_of(module: str) -> Iterator[tuple[str, str | None, int]]:
    """(imported module, private name taken from it or None, line) for each import."""
    path = MODULES[module]
    if path.suffix == ".pyx":
        return  # Cython modules cimport C++ only
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module if is_package(module) else module.rpartition(".")[0]
    for node in _imports(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "fastpool" or alias.name.startswith("fastpool."):
                    yield alias.name, None, node.lineno
            continue
        if node.level:
            base_parts = here.split(".")
            base = ".".join(base_parts[: len(base_parts) - node.level + 1])
            if node.module:
                base = f"{base}.{node.module}"
        elif node.module and (node.module == "fastpool" or node.module.startswith("fastpool.")):
            base = node.module
        else:
            continue
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in MODULES:
                yield submodule, None, node.lineno
            else:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                yield base, alias.name if private else None, node.lineno


def arrows() -> list[tuple[str, str, str | None, int]]:
    found = []
    for module in MODULES:
        for target, private, line in imports_of(module):
            found.append((module, target, private, line))
    return found


def forbidden(source: str, target: str) -> str | None:
    """Why the arrow source -> target breaks the layers, or None."""
    if target not in MODULES:
        return f"imports {target}, which is not a module of the package"
    a, b = group(source), group(target)
    if a == b:
        return None
    rank_a, rank_b = LAYERS[a], LAYERS[b]
    if rank_b < rank_a or (rank_a == rank_b and rank_a in SAME_LAYER_OK):
        return None
    return f"{a} (layer {rank_a}) must not import {b} (layer {rank_b})"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, ()):
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer() -> None:
    unplaced = sorted({group(m) for m in MODULES} - set(LAYERS))
    assert not unplaced, f"give these a layer in LAYERS (and docs/architecture.md): {unplaced}"


def test_no_arrow_against_the_layers() -> None:
    broken = []
    for source, target, _, line in arrows():
        if group(source) in LAYERS and (group(target) in LAYERS or target not in MODULES):
            why = forbidden(source, target)
            if why:
                broken.append(f"{MODULES[source].relative_to(PACKAGE)}:{line}: {why}")
    assert not broken, "\n".join(broken)


def test_no_import_circle() -> None:
    edges: dict[str, set[str]] = {}
    for source, target, _, _ in arrows():
        if target in MODULES and target != source:
            edges.setdefault(source, set()).add(target)
    assert not cycles(edges), f"import circles: {cycles(edges)}"


def test_no_private_name_from_another_module() -> None:
    taken = [
        f"{MODULES[source].relative_to(PACKAGE)}:{line}: {name} from {target}"
        for source, target, name, line in arrows()
        if name is not None and target != source
    ]
    assert not taken, "\n".join(taken)


def test_only_api_knows_the_bundled_model() -> None:
    knowing = [
        str(path.relative_to(PACKAGE))
        for module, path in MODULES.items()
        if path.suffix == ".py"
        and group(module) != "_api"
        and '"models"' in path.read_text(encoding="utf-8")
    ]
    assert not knowing, f"only _api.py may locate the bundled model: {knowing}"


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": {"c"}}, []),
        ({"a": {"a"}}, [["a"]]),
    ],
)
def test_the_circle_finder_itself(edges: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(edges) == expected


def test_the_rules_catch_known_bad_arrows() -> None:
    assert forbidden("fastpool.tokenizer.native", "fastpool.model")
    assert forbidden("fastpool.persistence.load", "fastpool._api")
    assert forbidden("fastpool._encode", "fastpool._api")
    assert forbidden("fastpool.cli", "fastpool")
    assert forbidden("fastpool.model", "fastpool._checks") is None
