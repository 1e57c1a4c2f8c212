"""A corpus of malformed model folders, and a runner that loads each one in isolation.

    python tests/malformed_corpus.py [DEST]     # build the corpus, load each folder, print a table

Each case is a complete, valid model folder (tests/model_factory.py) with one
file replaced: ``model.safetensors``, ``tokenizer.json`` or ``config.json``.
Every case must make ``StaticModel.from_pretrained`` raise ``ValueError`` whose
message names the broken file and matches the case's pattern (SECURITY.md lists
the guarantee). ``run_cases`` loads each folder in a forked child of one
worker process, under a wall-clock limit, and records the child's peak-RSS
growth with ``resource.getrusage``; a crash or a hang is a result, not a lost
test session.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from model_factory import make_model_folder  # noqa: E402

# Checked for every case: loading raises this, naming the file, within the limits.
TIME_LIMIT_S = 10.0
MEMORY_SLACK = 100 * 2**20  # peak RSS growth must stay below 2 * file size + this


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # the replaced file, relative to the folder
    match: str  # regex the error message must match (after the file name)
    # The file the message must name, when the problem is a disagreement between
    # files (the table's rows against tokenizer.json's vocabulary): the table.
    named: str | None = None
    # HF tokenizers alone needs ~15x the size of a tokenizer.json with a huge
    # vocabulary to parse it (Tokenizer.from_str: 292 MiB for a 20 MB, 1M-token
    # file) before fastpool sees a token; its vocabulary size is then checked
    # against the table before any Python-side copy (435 MiB peak in all).
    # Such a case gets a larger factor; SECURITY.md states the limit.
    memory_factor: int = 2
    # Seconds before the load counts as a hang. The 20 MB tokenizer.json takes
    # 3-4 s in tokenizers alone on an idle 2-core machine: it gets more room.
    time_limit: float = TIME_LIMIT_S
    # The folder it starts from: "_base" (model2vec) or "_base_st" (sentence-transformers).
    base: str = "_base"
    # False: a hostile but loadable folder that must load *and encode* within the
    # limits (README front matter, a huge WordPiece word limit).
    must_fail: bool = True
    # Replace the file by a symbolic link to this path instead of writing content.
    link: str | None = None
    # Encoded after loading, besides the two default texts.
    texts: tuple[str, ...] = ()
    # Other files of the folder replaced too: (name, content) pairs.
    extra: tuple[tuple[str, bytes], ...] = ()


def safetensors_bytes(header: Any, data: bytes = b"", *, n: int | None = None) -> bytes:
    """A safetensors file: header (dict -> JSON, or raw bytes) after its length n."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if n is None else n) + raw + data


def _entry(dtype: str, shape: list[Any], begin: Any, end: Any) -> dict[str, Any]:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def _safetensors_cases(vocab: int, dim: int) -> list[tuple[Case, bytes]]:
    rows = vocab * dim * 4
    table = np.ones((vocab, dim), np.float32).tobytes()
    good = {"embeddings": _entry("F32", [vocab, dim], 0, rows)}
    cases: list[tuple[str, str, bytes]] = []

    def add(name: str, match: str, content: bytes) -> None:
        cases.append((name, match, content))

    def header_with(**entry: Any) -> bytes:
        e = dict(good["embeddings"])
        e.update(entry)
        return safetensors_bytes({"embeddings": e}, table)

    add("empty-file", "only 0 bytes", b"")
    add("seven-bytes", "only 7 bytes", b"\x01" * 7)
    add("header-length-0", "not valid JSON", safetensors_bytes(b"", table, n=0))
    add("header-length-1e8", "header length", safetensors_bytes(b"{}", table, n=10**8))
    add("header-length-2^63", "header length", safetensors_bytes(b"{}", table, n=2**63))
    add("header-length-2^64-1", "header length", safetensors_bytes(b"{}", table, n=2**64 - 1))
    raw_good = json.dumps(good).encode()
    add(
        "header-length-past-eof",
        "header length",
        struct.pack("<Q", len(raw_good) + len(table) + 1) + raw_good + table,
    )
    add("header-non-utf8", "not valid JSON", safetensors_bytes(b'{"\xff\xfe": 1}', table))
    add("header-lone-surrogate-bytes", "not valid JSON", safetensors_bytes(b'{"\xed\xa0\x80":1}'))
    add(
        "header-nested-100k",
        "not valid JSON|too deeply nested",
        safetensors_bytes(b"[" * 100_000 + b"]" * 100_000, table),
    )
    add(
        "header-nested-object-100k",
        "not valid JSON|too deeply nested",
        safetensors_bytes(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, table),
    )
    add("header-array", "must be a JSON object", safetensors_bytes([1, 2], table))
    add("header-truncated-json", "not valid JSON", safetensors_bytes(raw_good[:-3], table))
    add(
        "header-nan",
        "not valid JSON|data_offsets|shape",
        safetensors_bytes(raw_good.replace(b"[0, ", b"[NaN, "), table),
    )
    add(
        "metadata-not-object",
        "__metadata__",
        safetensors_bytes({"__metadata__": [1], **good}, table),
    )
    add(
        "metadata-non-string",
        "__metadata__",
        safetensors_bytes({"__metadata__": {"a": 1}, **good}, table),
    )
    add("entry-not-object", "header entry", safetensors_bytes({"embeddings": 5}, table))
    add("dtype-unknown", "unsupported dtype", header_with(dtype="X99"))
    add("dtype-f8", "unsupported dtype", header_with(dtype="F8_E4M3"))
    add("dtype-not-string", "unsupported dtype", header_with(dtype=["F32"]))
    add("dtype-lowercase", "unsupported dtype", header_with(dtype="f32"))
    add(
        "shape-missing",
        "shape",
        safetensors_bytes({"embeddings": {"dtype": "F32", "data_offsets": [0, rows]}}, table),
    )
    add("shape-negative", "shape", header_with(shape=[-vocab, -dim]))
    add("shape-float", "shape", header_with(shape=[float(vocab), dim]))
    add("shape-bool", "shape", header_with(shape=[True, dim]))
    add("shape-string", "shape", header_with(shape="300,16"))
    add("shape-overflow-2^64", "bytes for shape", header_with(shape=[2**32, 2**32]))
    add(
        "shape-overflow-wraps-to-size", "bytes for shape", header_with(shape=[2**62 + vocab, dim])
    )  # wraps to vocab*dim in 64-bit arithmetic
    add("shape-huge-int", "bytes for shape|shape", header_with(shape=[10**400, 1]))
    add("shape-disagrees", "bytes for shape", header_with(shape=[vocab, dim + 1]))
    add("shape-1d", "2-D", header_with(shape=[vocab * dim]))
    add("shape-3d", "2-D", header_with(shape=[vocab, dim, 1], data_offsets=[0, rows]))
    add("offsets-negative", "data_offsets", header_with(data_offsets=[-4, rows - 4]))
    add("offsets-reversed", "data_offsets", header_with(data_offsets=[rows, 0]))
    add("offsets-past-end", "data_offsets", header_with(data_offsets=[4, rows + 4]))
    add("offsets-huge", "data_offsets", header_with(data_offsets=[2**64 - 8, 2**64 + rows - 8]))
    add("offsets-three", "data_offsets", header_with(data_offsets=[0, rows, rows]))
    add("offsets-strings", "data_offsets", header_with(data_offsets=["0", str(rows)]))
    add("offsets-floats", "data_offsets", header_with(data_offsets=[0.0, float(rows)]))
    add(
        "offsets-overlap",
        "overlap",
        safetensors_bytes(
            {
                "embeddings": good["embeddings"],
                "weights": _entry("F32", [vocab], rows - 8, rows - 8 + vocab * 4),
            },
            table + b"\0" * (vocab * 4),
        ),
    )
    add(
        "offsets-gap",
        "gap|not contiguous|unused",
        safetensors_bytes(
            {"embeddings": _entry("F32", [vocab, dim], 8, rows + 8)}, b"\0" * 8 + table
        ),
    )
    add(
        "trailing-bytes",
        "gap|not contiguous|unused|trailing",
        safetensors_bytes(good, table + b"\0" * 64),
    )
    add(
        "zero-size-table",
        "0 rows|rows|tokens",
        safetensors_bytes({"embeddings": _entry("F32", [0, dim], 0, 0)}),
    )
    add("truncated-data", "data_offsets|truncated", safetensors_bytes(good, table[: rows // 2]))
    add(
        "no-table",
        "no tensor 'embeddings'",
        safetensors_bytes({"other": good["embeddings"]}, table),
    )
    add(
        "git-lfs-pointer",
        "Git LFS pointer|header length",
        b"version https://git-lfs.github.com/spec/v1\n"
        b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        b"size 123456789\n",
    )
    add(
        "table-rows-disagree-with-vocab",
        "rows but the tokenizer has",
        safetensors_bytes(
            {"embeddings": _entry("F32", [vocab - 1, dim], 0, rows - dim * 4)},
            table[: rows - dim * 4],
        ),
    )
    add(
        "table-bool",
        "dtype",
        safetensors_bytes(
            {"embeddings": _entry("BOOL", [vocab, dim], 0, vocab * dim)}, table[: vocab * dim]
        ),
    )
    # mapping and weights
    m_good = np.arange(vocab, dtype=np.int64) % 10
    small = np.ones((10, dim), np.float32).tobytes()

    def with_mapping(mapping: np.ndarray, weights: np.ndarray | None = None) -> bytes:
        header: dict[str, Any] = {"embeddings": _entry("F32", [10, dim], 0, len(small))}
        blob = small
        header["mapping"] = _entry(
            "I64", list(mapping.shape), len(blob), len(blob) + mapping.nbytes
        )
        blob += mapping.tobytes()
        if weights is not None:
            header["weights"] = _entry(
                "F64", list(weights.shape), len(blob), len(blob) + weights.nbytes
            )
            blob += weights.tobytes()
        return safetensors_bytes(header, blob)

    add("mapping-short", "mapping", with_mapping(m_good[:-1]))
    add("mapping-long-ok-or-error", "mapping", with_mapping(np.zeros(vocab + 5, np.int64) - 1))
    add("mapping-out-of-range", "mapping", with_mapping(np.where(m_good == 3, 10, m_good)))
    add("mapping-negative", "mapping", with_mapping(np.where(m_good == 3, -1, m_good)))
    add("mapping-2d", "mapping", with_mapping(m_good.reshape(-1, 1)))
    add("mapping-int64-huge", "mapping", with_mapping(np.where(m_good == 3, 2**40, m_good)))
    add("weights-short", "weights", with_mapping(m_good, np.ones(vocab - 1)))
    add("weights-2d", "weights", with_mapping(m_good, np.ones((vocab, 2))))
    return [(Case(name, "model.safetensors", match), content) for name, match, content in cases]


def _tokenizer_cases(tokenizer: dict[str, Any]) -> list[tuple[Case, bytes]]:
    out: list[tuple[Case, bytes]] = []

    def add(
        name: str,
        content: bytes | dict[str, Any],
        match: str = "tokenizer",
        named: str | None = None,
        memory_factor: int = 2,
        time_limit: float = TIME_LIMIT_S,
    ) -> None:
        data = content if isinstance(content, bytes) else json.dumps(content).encode()
        out.append((Case(name, "tokenizer.json", match, named, memory_factor, time_limit), data))

    add("tokenizer-empty", b"")
    add("tokenizer-invalid-json", b'{"model": ')
    add("tokenizer-non-utf8", b'{"\xff": 1}')
    add("tokenizer-array", b"[]")
    add("tokenizer-nested-100k", b"[" * 100_000 + b"]" * 100_000)
    add(
        "tokenizer-nested-model-10k",
        json.dumps(tokenizer)
        .replace('"model": {', '"model": ' + '{"a": ' * 10_000 + "{", 1)
        .replace('"type": "WordPiece"', '"type": "WordPiece"' + "}" * 10_000, 1)
        .encode(),
    )
    wrong = json.loads(json.dumps(tokenizer))
    wrong["model"]["vocab"] = list(wrong["model"]["vocab"])
    add("tokenizer-vocab-wrong-type", wrong)
    wrong = json.loads(json.dumps(tokenizer))
    wrong["model"]["vocab"] = {k: str(v) for k, v in wrong["model"]["vocab"].items()}
    add("tokenizer-ids-strings", wrong)
    wrong = json.loads(json.dumps(tokenizer))
    wrong["model"]["type"] = "NoSuchModel"
    add("tokenizer-unknown-model", wrong)
    wrong = json.loads(json.dumps(tokenizer))
    wrong["model"]["vocab"] = {f"tok{i}": i for i in range(1_000_000)}
    wrong["model"]["vocab"]["[UNK]"] = 1_000_000
    add("tokenizer-huge-vocab", wrong, "rows but the tokenizer has", "model.safetensors", 24, 60.0)
    wrong = json.loads(json.dumps(tokenizer))
    wrong["model"]["unk_token"] = "[NOT-IN-VOCAB]"  # found by fuzz/atheris_model.py
    add("tokenizer-unk-not-in-vocab", wrong, "unknown token")
    wrong = json.loads(json.dumps(tokenizer))
    wrong["model"]["vocab"]["[UNK]"] = 2**31 + 5
    add("tokenizer-id-huge", wrong, "token id", "model.safetensors")
    wrong = json.loads(json.dumps(tokenizer))
    wrong["model"]["vocab"] = {k: v * 2 for k, v in wrong["model"]["vocab"].items()}
    add("tokenizer-sparse-ids", wrong, "token id|tokens|rows", "model.safetensors")
    wrong = json.loads(json.dumps(tokenizer))
    wrong["pre_tokenizer"] = {
        "type": "Split",
        "pattern": {"Regex": "(a*)*(b"},
        "behavior": "Isolated",
        "invert": False,
    }
    add("tokenizer-bad-regex", wrong)
    return out


def _config_cases() -> list[tuple[Case, bytes]]:
    items = [
        ("config-empty", b""),
        ("config-invalid-json", b'{"normalize": tru'),
        ("config-non-utf8", b'{"\xff": 1}'),
        ("config-array", b"[1, 2]"),
        ("config-nested-100k", b"[" * 100_000 + b"]" * 100_000),
        ("config-nested-object-100k", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
        ("config-max-length-string", b'{"max_length": "512"}'),
        ("config-max-length-negative", b'{"max_length": -5}'),
        ("config-max-length-float", b'{"max_length": 1.5}'),
        ("config-normalize-string", b'{"normalize": "yes"}'),
        ("config-normalize-list", b'{"normalize": [true]}'),
    ]
    return [
        (Case(name, "config.json", "config|max_length|normalize"), data) for name, data in items
    ]


def _round2_cases(
    tokenizer: dict[str, Any], vocab: int, dim: int
) -> list[tuple[Case, bytes | int]]:
    """Issue 19: memory and time bounds, integer fields, panics, special files."""
    out: list[tuple[Case, bytes | int]] = []
    table = np.ones((vocab, dim), np.float32).tobytes()
    rows = len(table)
    good = {"embeddings": _entry("F32", [vocab, dim], 0, rows)}

    def tok(edit: Any) -> bytes:
        t = json.loads(json.dumps(tokenizer))
        edit(t)
        return json.dumps(t).encode()

    def add(case: Case, content: bytes | int = b"") -> None:
        out.append((case, content))

    # -- bounded reading: size, element count, depth (item 4) --
    add(
        Case("config-99mb-empty-lists", "config.json", "bytes, more than"),
        b"[" + b"[]," * 33_000_000 + b"[]]",
    )
    add(
        Case("config-15mb-empty-lists", "config.json", "too many JSON elements"),
        b"[" + b"[]," * 5_000_000 + b"[]]",
    )
    add(Case("config-nested-200", "config.json", "nested deeper"), b"[" * 200 + b"]" * 200)
    add(
        Case("metadata-33m-empty-arrays", "model.safetensors", "too many JSON elements"),
        safetensors_bytes(b'{"__metadata__": [' + b"[]," * 32_000_000 + b"[]]}", table),
    )
    zero = {f"t{i}": _entry("F32", [0], rows, rows) for i in range(1_000_000)}
    add(
        Case("header-1m-zero-size-tensors", "model.safetensors", "too many JSON elements"),
        safetensors_bytes({**good, **zero}, table),
    )
    long_shape = b'{"embeddings": {"dtype": "F32", "shape": [' + b"0," * 45_000_000 + b"0], "
    add(
        Case("shape-45m-entries", "model.safetensors", "too many JSON elements|header length"),
        safetensors_bytes(long_shape + b'"data_offsets": [0, 0]}}', table),
    )
    add(
        Case("tokenizer-30mb-empty-lists", "tokenizer.json", "too many JSON elements"),
        tok(lambda t: t.__setitem__("extra", [[]] * 10_000_000)),
    )
    add(
        Case("tokenizer-nested-200", "tokenizer.json", "nested deeper"),
        tok(lambda t: t.__setitem__("extra", 0)).replace(
            b'"extra": 0', b'"extra": ' + b"[" * 200 + b"]" * 200
        ),
    )
    # -- integer fields (item 5) --
    add(
        Case("config-max-length-2^63", "config.json", "max_length must be an integer"),
        b'{"max_length": 9223372036854775808}',
    )
    add(
        Case("config-max-length-bool", "config.json", "max_length must be an integer"),
        b'{"max_length": true}',
    )
    add(
        Case("config-max-length-4300-digits", "config.json", "not valid JSON|max_length"),
        b'{"max_length": 1' + b"0" * 5000 + b"}",
    )
    add(
        Case(
            "tokenizer-max-input-chars-2^63", "tokenizer.json", "max_input_chars_per_word must be"
        ),
        tok(lambda t: t["model"].__setitem__("max_input_chars_per_word", 2**63)),
    )
    add(
        Case(
            "st-truncation-2^63", "tokenizer.json", "truncation.max_length must be", base="_base_st"
        ),
        tok(lambda t: t["truncation"].__setitem__("max_length", 2**63)),
    )
    add(
        Case(
            "st-truncation-float",
            "tokenizer.json",
            "truncation.max_length must be|not a valid tokenizer",
            base="_base_st",
        ),
        tok(lambda t: t["truncation"].__setitem__("max_length", 8.5)),
    )
    # -- sentence-transformers files (items 6, 7) --
    add(
        Case("st-modules-nested-100k", "modules.json", "nested deeper", base="_base_st"),
        b"[" * 100_000 + b"]" * 100_000,
    )
    add(
        Case("st-modules-99mb", "modules.json", "bytes, more than", base="_base_st"),
        b"[" + b"[]," * 33_000_000 + b"[]]",
    )
    add(
        Case(
            "st-default-prompt-name-list",
            "config_sentence_transformers.json",
            "default_prompt_name must be",
            base="_base_st",
        ),
        b'{"prompts": {"q": "query: "}, "default_prompt_name": ["q"]}',
    )
    add(
        Case(
            "st-similarity-fn-list",
            "config_sentence_transformers.json",
            "similarity_fn_name must be",
            base="_base_st",
        ),
        b'{"similarity_fn_name": ["cosine"]}',
    )
    # -- tokenizers panics (item 8): the message names the model (its tensors file) --
    split = {
        "type": "Split",
        "pattern": {"Regex": "(a+)+b"},
        "behavior": "Isolated",
        "invert": False,
    }
    add(
        Case(
            "tokenizer-split-regex-panics",
            "tokenizer.json",
            "tokenizer failed",
            named="model.safetensors",
        ),
        tok(lambda t: t.__setitem__("pre_tokenizer", split)),
    )
    replace = {"type": "Replace", "pattern": {"Regex": "(a+)+b"}, "content": "x"}
    add(
        Case(
            "tokenizer-replace-regex-panics",
            "tokenizer.json",
            "tokenizer failed",
            named="model.safetensors",
        ),
        tok(lambda t: t.__setitem__("normalizer", {"type": "Sequence", "normalizers": [replace]})),
    )

    # -- array faults that must name the file (item 9) --
    def header(**entry: Any) -> bytes:
        return safetensors_bytes({"embeddings": {**good["embeddings"], **entry}}, table)

    add(
        Case("shape-2^64-by-0", "model.safetensors", "2\\*\\*63 or more"),
        safetensors_bytes(
            {"embeddings": _entry("F32", [2**64, 0], 0, 0), "pad": _entry("U8", [rows], 0, rows)},
            table,
        ),
    )
    add(
        Case("shape-2^62-by-0", "model.safetensors", "too big|rows|2-D"),
        safetensors_bytes(
            {"embeddings": _entry("F32", [2**62, 0], 0, 0), "pad": _entry("U8", [rows], 0, rows)},
            table,
        ),
    )
    weights70 = _entry("F32", [1] * 69 + [vocab], rows, rows + vocab * 4)
    add(
        Case("weights-70-dims", "model.safetensors", "dimensions"),
        safetensors_bytes({**good, "weights": weights70}, table + b"\0" * (vocab * 4)),
    )
    mapping = np.arange(vocab, dtype=np.uint64) % 10
    mapping[3] = 2**63
    small = np.ones((10, dim), np.float32).tobytes()
    add(
        Case("mapping-u64-2^63", "model.safetensors", "mapping"),
        safetensors_bytes(
            {
                "embeddings": _entry("F32", [10, dim], 0, len(small)),
                "mapping": _entry("U64", [vocab], len(small), len(small) + mapping.nbytes),
            },
            small + mapping.tobytes(),
        ),
    )
    add(
        Case("shape-huge-dim-with-zero", "model.safetensors", "2\\*\\*63 or more"),
        header(shape=[vocab, dim, 0, 2**70], data_offsets=[0, 0]),
    )
    add(
        Case("dtype-of-table-u64", "model.safetensors", "dtype"),
        safetensors_bytes({"embeddings": _entry("U64", [vocab, dim // 2], 0, rows)}, table),
    )
    # -- special files (item 11) --
    add(
        Case(
            "safetensors-proc-self-mem",
            "model.safetensors",
            "cannot be read|only 0 bytes|not a regular",
            link="/proc/self/mem",
        )
    )
    add(
        Case(
            "config-proc-self-mem",
            "config.json",
            "cannot be read|not valid JSON|not a regular",
            link="/proc/self/mem",
        )
    )
    # -- hostile but loadable (items 3, 10): must load and encode in time --
    add(
        Case("readme-front-matter-120k-spaces", "README.md", "", must_fail=False),
        b"---\n- a" + b" " * 120_000 + b"b\n---\n",
    )
    add(Case("readme-1gb-sparse", "README.md", "", must_fail=False, memory_factor=0), 2**30)

    def long_words(t: dict[str, Any]) -> None:
        t["model"]["max_input_chars_per_word"] = 10**12
        t["normalizer"] = {"type": "Sequence", "normalizers": [t["normalizer"]]}

    add(
        Case(
            "tokenizer-max-input-chars-1e12-tokenizers",
            "tokenizer.json",
            "",
            must_fail=False,
            texts=("e" * 15_000, "e" * 150 + " " + "e" * 4000),
            extra=(("config.json", b'{"max_length": null}'),),
        ),
        tok(long_words),
    )
    add(
        Case("config-max-length-2^62", "config.json", "", must_fail=False, texts=("e" * 100,)),
        b'{"max_length": 4611686018427387904}',
    )
    return out


def build(dest: Path) -> list[tuple[Case, Path]]:
    """Write one folder per case under dest; return (case, folder) pairs."""
    dest = Path(dest)
    bases = {
        "_base": make_model_folder(dest, weights=False, name="_base"),
        "_base_st": make_model_folder(dest, weights=False, layout="st", name="_base_st"),
    }
    tokenizer = json.loads((bases["_base"] / "tokenizer.json").read_text())
    vocab = len(tokenizer["model"]["vocab"])
    dim = 16
    cases = (
        _safetensors_cases(vocab, dim)
        + _tokenizer_cases(tokenizer)
        + _config_cases()
        + _round2_cases(tokenizer, vocab, dim)
    )
    out = []
    for case, content in cases:
        folder = dest / case.name
        shutil.copytree(bases[case.base], folder)
        target = folder / case.file
        target.unlink(missing_ok=True)
        if case.link:
            target.symlink_to(case.link)
        elif isinstance(content, int):  # a sparse file of this size, after a prefix
            with open(target, "wb") as f:
                f.write(b"---\n- a" + b" " * 120_000 + b"b\n")
                f.truncate(content)
        else:
            target.write_bytes(content)
        for name, data in case.extra:
            (folder / name).write_bytes(data)
        out.append((case, folder))
    return out


DEFAULT_TEXTS = ("The quick brown fox.", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac")


def _load_in_child(folder: Path, texts: tuple[str, ...] = ()) -> dict[str, Any]:
    import resource

    import fastpool

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    result: dict[str, Any] = {}
    try:
        model = fastpool.StaticModel.from_pretrained(folder)
        model.encode([*DEFAULT_TEXTS, *texts])
        result["error"] = None
    except BaseException as err:  # noqa: BLE001 - recorded, judged by the caller
        result["error"] = type(err).__name__
        result["message"] = str(err)[:2000]
    result["seconds"] = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result["rss_growth"] = after - before
    return result


def run_cases(pairs: list[tuple[Case, Path]]) -> list[dict[str, Any]]:
    """Load each folder in a forked child (one result dict per case)."""
    import fastpool  # noqa: F401 - imported once, before forking

    results = []
    for case, folder in pairs:
        size = 0 if case.link else (folder / case.file).stat().st_size
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            try:
                payload = json.dumps(_load_in_child(folder, case.texts)).encode()
            except BaseException as err:  # noqa: BLE001
                payload = json.dumps({"error": "runner", "message": repr(err)}).encode()
            os.write(write_fd, payload)
            os._exit(0)
        os.close(write_fd)
        deadline = time.monotonic() + case.time_limit
        status = None
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.005)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = None
        chunks = []
        while chunk := os.read(read_fd, 65536):
            chunks.append(chunk)
        os.close(read_fd)
        result: dict[str, Any]
        if status is None:
            result = {"error": "timeout"}
        elif os.waitstatus_to_exitcode(status) != 0:
            result = {"error": f"exit {os.waitstatus_to_exitcode(status)}"}
        else:
            result = json.loads(b"".join(chunks))
        result.update(
            name=case.name,
            file=case.named or case.file,
            match=case.match,
            size=size,
            memory_factor=case.memory_factor,
            must_fail=case.must_fail,
        )
        results.append(result)
    return results


def problems(result: dict[str, Any]) -> list[str]:
    """What is wrong with one result (empty: the case passed)."""
    import re

    found = []
    if not result.get("must_fail", True):
        if result["error"] is not None:
            found.append(f"raised {result['error']}: {result.get('message', '')[:300]}")
        elif result["rss_growth"] >= result["memory_factor"] * result["size"] + MEMORY_SLACK:
            found.append(f"peak RSS grew {result['rss_growth']} bytes")
        return found
    if result["error"] not in ("ValueError", "TokenizerFailure"):
        found.append(f"raised {result['error']}: {result.get('message', '')[:300]}")
        return found
    message = result["message"]
    if result["file"] not in message:
        found.append(f"message does not name {result['file']}: {message[:300]}")
    if not re.search(result["match"], message):
        found.append(f"message does not match {result['match']!r}: {message[:300]}")
    if result["rss_growth"] >= result["memory_factor"] * result["size"] + MEMORY_SLACK:
        found.append(f"peak RSS grew {result['rss_growth']} bytes for a {result['size']}-byte file")
    return found


if __name__ == "__main__":
    import tempfile

    dest = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="malformed-"))
    results = run_cases(build(dest))
    bad = 0
    for r in results:
        p = problems(r)
        bad += bool(p)
        status = "FAIL " + "; ".join(p) if p else "ok"
        print(
            f"{r['name']:36s} {r.get('seconds', 0):6.3f}s {r.get('rss_growth', 0) / 2**20:7.1f} MiB"
            f"  {status}\n    {r.get('message', '')[:160]}"
        )
    print(f"{len(results)} malformed folders, {bad} failures")
    sys.exit(1 if bad else 0)
