"""Generate csrc/fastpool/tokenizer/unicode_tables.h from what `tokenizers` itself does.

Usage: python tools/gen_unicode_tables.py [output.h]

The native BERT tokenizer must match Hugging Face `tokenizers` exactly, and
`tokenizers` classifies characters with its own (older) Unicode data, not with
Python's `unicodedata`. So every property is *measured* by running each code
point (surrogates excluded: they cannot reach `tokenizers`) through
BertNormalizer variants, the NFD normalizer and BertPreTokenizer:

  clean_remove  BertNormalizer(clean_text) drops the character
  clean_space   BertNormalizer(clean_text) turns it into " "
  cjk           BertNormalizer(handle_chinese_chars) pads it with spaces
  mn            BertNormalizer(strip_accents) drops it after NFD (a nonspacing mark)
  pre_ws        BertPreTokenizer splits on it and drops it
  pre_punct     BertPreTokenizer isolates it
  ccc           canonical combining class as NFD's canonical reordering sees it
                (probed by reordering against reference marks, checked against
                unicodedata only as a proposal)
  nfd, lower    the NFD decomposition and the lowercase mapping (may expand)

The script asserts that every measured output has one of the expected shapes,
so a future `tokenizers` that behaves differently fails loudly here.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import tokenizers
from tokenizers.normalizers import NFD, BertNormalizer
from tokenizers.pre_tokenizers import BertPreTokenizer

MAX_CP = 0x110000
BLOCK = 128
F_CLEAN_REMOVE, F_CLEAN_SPACE, F_CJK, F_MN, F_PRE_WS, F_PRE_PUNCT = 1, 2, 4, 8, 16, 32


def code_points():
    for cp in range(MAX_CP):
        if 0xD800 <= cp < 0xE000:
            continue
        yield cp


def bert(clean=False, cjk=False, strip=False, lower=False):
    return BertNormalizer(
        clean_text=clean, handle_chinese_chars=cjk, strip_accents=strip, lowercase=lower
    ).normalize_str


def measure():
    clean, cjk, strip, lower = bert(clean=True), bert(cjk=True), bert(strip=True), bert(lower=True)
    nfd = NFD().normalize_str
    pre = BertPreTokenizer().pre_tokenize_str
    flags = [0] * MAX_CP
    nfd_map: dict[int, str] = {}
    lower_map: dict[int, str] = {}
    stripped: dict[int, str] = {}
    for cp in code_points():
        c = chr(cp)
        f = 0
        out = clean(c)
        if out == "":
            f |= F_CLEAN_REMOVE
        elif out == " " and c != " ":
            f |= F_CLEAN_SPACE
        else:
            assert out == c, (hex(cp), out)
        out = cjk(c)
        if out == f" {c} ":
            f |= F_CJK
        else:
            assert out == c, (hex(cp), out)
        d = nfd(c)
        if d != c:
            nfd_map[cp] = d
        s = strip(c)
        stripped[cp] = s
        if d == c:
            if s == "":
                f |= F_MN
            else:
                assert s == c, (hex(cp), s)
        lo = lower(c)
        if lo != c:
            lower_map[cp] = lo
        pieces = [p for p, _ in pre("a" + c + "b")]
        if pieces == ["a", "b"]:
            f |= F_PRE_WS
        elif pieces == ["a", c, "b"]:
            f |= F_PRE_PUNCT
        else:
            assert pieces == ["a" + c + "b"], (hex(cp), pieces)
        flags[cp] = f
    # strip_accents is "NFD, then drop marks": check that the per-character
    # view reproduces it for every decomposing character too.
    for cp, d in nfd_map.items():
        assert all(ord(x) not in nfd_map for x in d), hex(cp)  # NFD is fully decomposed
        expect = "".join(x for x in d if not flags[ord(x)] & F_MN)
        assert stripped[cp] == expect, (hex(cp), stripped[cp], expect)
    return flags, nfd_map, lower_map


def measure_ccc():
    """Canonical combining classes as the `tokenizers` NFD reorders them."""
    nfd = NFD().normalize_str
    # One reference mark per class, known to the NFD that `tokenizers` uses
    # (it reorders against U+0334, class 1, or U+0300, class 230); marks newer
    # than its Unicode data have class 0 there and cannot serve.
    r_lo, r_230 = "\u0334", "\u0300"
    refs: dict[int, str] = {1: r_lo, 230: r_230}
    for cp in range(0x300, MAX_CP):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        v = unicodedata.combining(c)
        if not v or v in refs or nfd(c) != c:
            continue
        if nfd(c + r_lo) != c + r_lo:
            refs[v] = c
    ccc = [0] * MAX_CP
    for cp in code_points():
        c = chr(cp)
        if nfd(c) != c:
            continue
        # c != 0 iff it moves before a class-230 mark or lets a class-1 mark move before it.
        if nfd(r_230 + c) == r_230 + c and nfd(c + r_lo) == c + r_lo:
            continue
        v = unicodedata.combining(c)
        assert v, f"U+{cp:04X} reorders but unicodedata says class 0"
        for rv, r in refs.items():
            keeps = nfd(r + c) == r + c
            assert keeps == (v >= rv), f"U+{cp:04X}: class {v} disagrees with reference {rv}"
        ccc[cp] = v
    return ccc


def build(flags, ccc, nfd_map, lower_map):
    seq: list[int] = []
    seq_index: dict[str, int] = {}

    def intern(s: str) -> tuple[int, int]:
        if s not in seq_index:
            seq_index[s] = len(seq)
            seq.extend(ord(x) for x in s)
        assert len(s) < 256
        return seq_index[s], len(s)

    records: list[tuple] = []
    record_index: dict[tuple, int] = {}
    rec_of = [0] * MAX_CP
    for cp in range(MAX_CP):
        n_off, n_len = intern(nfd_map[cp]) if cp in nfd_map else (0, 0)
        l_off, l_len = intern(lower_map[cp]) if cp in lower_map else (0, 0)
        rec = (flags[cp], ccc[cp], n_len, l_len, n_off, l_off)
        if rec not in record_index:
            record_index[rec] = len(records)
            records.append(rec)
        rec_of[cp] = record_index[rec]
    assert len(records) < 65536
    blocks: list[tuple] = []
    block_index: dict[tuple, int] = {}
    stage1 = []
    for b in range(0, MAX_CP, BLOCK):
        blk = tuple(rec_of[b : b + BLOCK])
        if blk not in block_index:
            block_index[blk] = len(blocks)
            blocks.append(blk)
        stage1.append(block_index[blk])
    return stage1, blocks, records, seq


def fmt(values, per_line=16):
    values = list(values)
    lines = []
    for i in range(0, len(values), per_line):
        lines.append("    " + ", ".join(str(v) for v in values[i : i + per_line]) + ",")
    return "\n".join(lines)


def main() -> None:
    out = Path(
        sys.argv[1]
        if len(sys.argv) > 1
        else Path(__file__).resolve().parent.parent / "csrc/fastpool/tokenizer/unicode_tables.h"
    )
    flags, nfd_map, lower_map = measure()
    ccc = measure_ccc()
    stage1, blocks, records, seq = build(flags, ccc, nfd_map, lower_map)
    version = tokenizers.__version__
    text = f"""// unicode_tables.h - BERT character data, as `tokenizers` {version} sees them.
//
// Contract:
//   * GENERATED by tools/gen_unicode_tables.py; do not edit. Measured by running
//     every code point through `tokenizers`' own BertNormalizer, NFD and
//     BertPreTokenizer, so it follows that library's (older) Unicode data, not
//     the current standard.
//   * record(cp) for any cp < 0x110000 (callers map larger values to U+FFFD):
//     flags (kClean*, kCjk, kMn, kPre*), ccc (canonical combining class), and
//     NFD / lowercase mappings as (offset, length) into kSeq; length 0 means
//     the character maps to itself.
//   * Constant data only: thread safe, no allocation.
#pragma once

#include <cstdint>

namespace fastpool::tokenizer::ucd {{

// The generator lays the tables out; clang-format would only reflow them.
// clang-format off

// The `tokenizers` version these tables were measured from.
constexpr const char* kTokenizersVersion = "{version}";

constexpr std::uint8_t kCleanRemove = {F_CLEAN_REMOVE};
constexpr std::uint8_t kCleanSpace = {F_CLEAN_SPACE};
constexpr std::uint8_t kCjk = {F_CJK};
constexpr std::uint8_t kMn = {F_MN};
constexpr std::uint8_t kPreWs = {F_PRE_WS};
constexpr std::uint8_t kPrePunct = {F_PRE_PUNCT};

struct Record {{
    std::uint8_t flags;
    std::uint8_t ccc;
    std::uint8_t nfd_len;
    std::uint8_t lower_len;
    std::uint32_t nfd_off;
    std::uint32_t lower_off;
}};

constexpr int kBlockShift = {BLOCK.bit_length() - 1};

inline constexpr std::uint16_t kStage1[{len(stage1)}] = {{
{fmt(stage1)}
}};

inline constexpr std::uint16_t kStage2[{len(blocks) * BLOCK}] = {{
{fmt(v for blk in blocks for v in blk)}
}};

inline constexpr Record kRecords[{len(records)}] = {{
{fmt(("{" + ", ".join(map(str, r)) + "}" for r in records), per_line=4)}
}};

inline constexpr std::uint32_t kSeq[{max(1, len(seq))}] = {{
{fmt(seq or [0])}
}};

inline const Record& record(std::uint32_t cp) noexcept {{
    const std::uint32_t block = kStage1[cp >> kBlockShift];
    return kRecords[kStage2[(block << kBlockShift) | (cp & ((1u << kBlockShift) - 1))]];
}}

// clang-format on

}}  // namespace fastpool::tokenizer::ucd
"""
    out.write_text(text)
    print(
        f"wrote {out}: {len(records)} records, {len(blocks)} blocks, "
        f"{len(seq)} sequence code points"
    )


if __name__ == "__main__":
    main()
