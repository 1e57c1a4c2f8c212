"""Generate csrc/fastpool/tokenizer/unicode_norm_tables.h: the NFC/NFD/NFKC/NFKD data.

Usage: python tools/gen_norm_tables.py [output.h] && clang-format -i output.h

`tokenizers`' NFC, NFD, NFKC and NFKD normalizers use their own copy of a Rust
unicode-normalization crate, whose Unicode version is older than Python 3.11's
unicodedata (14.0: e.g. U+11938 decomposes there and not in tokenizers 0.22.2).
So every table is measured from `tokenizers` itself; unicodedata only proposes
candidates (combining classes, composition pairs) that a measurement then confirms:

* full decompositions: NFD / NFKD of each code point;
* canonical combining classes: the reordering NFD does between a code point and
  probe marks (only the order of the classes matters, so each class is named by
  the Python value of a probe it ties with);
* composition pairs: (a, b) -> c where c's first-level canonical decomposition is
  a b and NFC(a b) == c (exclusions and newer characters fail the measurement);
* quick-check flags: whether NF*(c) == c, and which code points compose with the
  one before them.

Many single code points are measured at once, joined with NUL (a starter with
class 0 that decomposes and composes with nothing, so nothing crosses it).
Hangul syllables are left out of the tables: unicode_norm.cpp computes them, and
this script checks tokenizers agrees. tests/test_native_tokenizer_normalize.py
checks the result against tokenizers on every code point.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import tokenizers
from tokenizers import normalizers

SHIFT = 7  # two-level tables: blocks of 128 code points
S_BASE, S_COUNT = 0xAC00, 11172
CODE_POINTS = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000 and c != 0]
# Flag bits, as unicode_norm.cpp reads them (bits 8+ of a property; bits 0-7: class).
NFD_NO, NFKD_NO, NFC_NO, NFKC_NO, COMPOSES_BACK = (1 << (8 + k) for k in range(5))


def _measure(form: str, texts: list[str]) -> list[str]:
    """tokenizers' `form` of each text (none containing NUL), in one call."""
    norm = getattr(normalizers, form)()
    out = norm.normalize_str("\0".join(texts)).split("\0")
    assert len(out) == len(texts), form
    return out


def _hangul(c: int) -> str:
    s = c - S_BASE
    lv = chr(0x1100 + s // 588) + chr(0x1161 + s % 588 // 28)
    return lv + (chr(0x11A7 + s % 28) if s % 28 else "")


def _classes(nfd: dict[int, str]) -> dict[int, int]:
    """Combining class of every code point that NFD leaves alone and that has one."""
    plain = [c for c in CODE_POINTS if nfd[c] == chr(c)]
    low, high = "\u0334", "\u0345"  # classes 1 and 240, the extremes
    after = _measure("NFD", [chr(c) + low for c in plain])
    before = _measure("NFD", [high + chr(c) for c in plain])
    marks = [
        c
        for c, a, b in zip(plain, after, before, strict=True)
        if a != chr(c) + low or b != high + chr(c) or c in (ord(low), ord(high))
    ]
    # One probe per class Python knows, each a plain code point of that class.
    probes: dict[int, int] = {}
    for c in marks:
        probes.setdefault(unicodedata.combining(chr(c)), c)
    probes.pop(0, None)
    classes: dict[int, int] = {}
    for c in marks:
        pairs = [chr(c) + chr(p) for p in probes.values()]
        swapped_after = _measure("NFD", pairs)
        swapped_before = _measure("NFD", [chr(p) + chr(c) for p in probes.values()])
        ties = [
            q
            for (q, p), x, y in zip(probes.items(), swapped_after, swapped_before, strict=True)
            if x == chr(c) + chr(p) and y == chr(p) + chr(c)
        ]
        assert len(ties) == 1, (hex(c), ties)
        above = {
            q
            for (q, p), x in zip(probes.items(), swapped_after, strict=True)
            if x != chr(c) + chr(p)
        }
        assert above == {q for q in probes if q < ties[0]}, hex(c)
        classes[c] = ties[0]
    return classes


def _pairs(nfd: dict[int, str]) -> dict[tuple[int, int], int]:
    """Primary composites tokenizers' NFC forms: (first, second) -> composite."""
    cands: list[tuple[int, int, int]] = []
    for c in CODE_POINTS:
        if nfd[c] == chr(c) or S_BASE <= c < S_BASE + S_COUNT:
            continue
        dec = unicodedata.decomposition(chr(c))
        if not dec or dec.startswith("<"):
            continue
        parts = [int(x, 16) for x in dec.split()]
        if len(parts) == 2:
            cands.append((parts[0], parts[1], c))
    got = _measure("NFC", [chr(a) + chr(b) for a, b, _ in cands])
    return {(a, b): c for (a, b, c), g in zip(cands, got, strict=True) if g == chr(c)}


def _two_level(values: list[int]) -> tuple[list[int], list[int]]:
    """(block index per code point >> SHIFT, deduplicated blocks) of a per-code-point list."""
    size = 1 << SHIFT
    blocks: dict[tuple[int, ...], int] = {}
    index: list[int] = []
    for start in range(0, len(values), size):
        block = tuple(values[start : start + size])
        index.append(blocks.setdefault(block, len(blocks)))
    flat = [v for block in blocks for v in block]
    return index, flat


def _array(ctype: str, name: str, values: list[int], comment: str) -> str:
    rows = [", ".join(str(v) for v in values[k : k + 16]) for k in range(0, len(values), 16)]
    body = ",\n    ".join(rows)
    return f"// {comment}\ninline constexpr {ctype} {name}[{len(values)}] = {{\n    {body}}};\n"


def main() -> None:
    out = Path(
        sys.argv[1] if len(sys.argv) > 1 else "csrc/fastpool/tokenizer/unicode_norm_tables.h"
    )
    texts = [chr(c) for c in CODE_POINTS]
    forms = {
        f: dict(zip(CODE_POINTS, _measure(f, texts), strict=True))
        for f in ("NFD", "NFKD", "NFC", "NFKC")
    }
    nfd, nfkd = forms["NFD"], forms["NFKD"]
    for c in range(S_BASE, S_BASE + S_COUNT):  # computed in C++, not tabled
        assert nfd[c] == nfkd[c] == _hangul(c) and forms["NFC"][c] == forms["NFKC"][c] == chr(c)
    classes = _classes(nfd)
    pairs = _pairs(nfd)
    seconds = {b for _, b in pairs} | set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))

    data = [0]  # offset 0: no decomposition; else data[off] = length, then the code points
    where: dict[str, int] = {}

    def offset(c: int, dec: str) -> int:
        if dec == chr(c) or S_BASE <= c < S_BASE + S_COUNT:
            return 0
        if dec not in where:
            where[dec] = len(data)
            data.extend([len(dec), *map(ord, dec)])
        return where[dec]

    canon = [0] * 0x110000
    compat = [0] * 0x110000
    props = [0] * 0x110000
    for c in CODE_POINTS:
        canon[c] = offset(c, nfd[c])
        compat[c] = offset(c, nfkd[c])
        flags = classes.get(c, 0)
        if nfd[c] != chr(c):
            # A decomposed code point's own class never reaches reordering; the quick
            # check sends any with a nonzero class the slow way.
            flags |= NFD_NO | (NFC_NO if unicodedata.combining(chr(c)) else 0)
        if nfkd[c] != chr(c):
            flags |= NFKD_NO | (NFKC_NO if unicodedata.combining(chr(c)) else 0)
        if forms["NFC"][c] != chr(c):
            flags |= NFC_NO
        if forms["NFKC"][c] != chr(c):
            flags |= NFKC_NO
        if c in seconds:
            flags |= COMPOSES_BACK
        props[c] = flags
    assert len(data) < 1 << 16 and max(len(d) for d in where) < 32
    keys = sorted(pairs)
    parts = []
    for name, table, ctype in (
        ("kProps", props, "std::uint16_t"),
        ("kCanon", canon, "std::uint16_t"),
        ("kCompat", compat, "std::uint16_t"),
    ):
        index, flat = _two_level(table)
        itype = "std::uint8_t" if max(index) < 256 else "std::uint16_t"
        parts.append(_array(itype, f"{name}Index", index, f"{name} block per code point >> kShift"))
        parts.append(_array(ctype, f"{name}Blocks", flat, f"{name} values, kShift-sized blocks"))
    parts.append(_array("std::uint32_t", "kDecompositions", data, "length, then code points"))
    parts.append(
        _array(
            "std::uint64_t",
            "kPairKeys",
            [a << 32 | b for a, b in keys],
            "first << 32 | second, sorted",
        )
    )
    parts.append(
        _array(
            "std::uint32_t", "kPairValues", [pairs[k] for k in keys], "the composite of each key"
        )
    )
    out.write_text(
        "// Generated by tools/gen_norm_tables.py, measured from the NFC/NFD/NFKC/NFKD\n"
        f"// normalizers of tokenizers {tokenizers.__version__}. Do not edit.\n"
        "#pragma once\n\n#include <cstdint>\n\nnamespace fastpool::tokenizer::norm_tables {\n\n"
        f"constexpr int kShift = {SHIFT};\n"
        "// Property bits above the combining class (bits 0-7).\n"
        f"constexpr std::uint16_t kNfdNo = {NFD_NO}, kNfkdNo = {NFKD_NO}, kNfcNo = {NFC_NO},\n"
        f"    kNfkcNo = {NFKC_NO}, kComposesBack = {COMPOSES_BACK};\n\n"
        + "\n".join(parts)
        + "\n}  // namespace fastpool::tokenizer::norm_tables\n"
    )
    print(f"{out}: {len(data)} decomposition words, {len(pairs)} pairs, {len(classes)} marks")


if __name__ == "__main__":
    main()
