"""Differential test: fastpool's safetensors parser against ``safetensors.safe_open``.

Randomly mutated files (structural edits of the JSON header and raw byte
edits) are written to a temporary folder and opened by both. Whenever the
reference accepts a file and reads a tensor, fastpool must accept it and read
the identical bytes. fastpool's deliberate extra rejections are the ones listed
in docs/security.md ("Where fastpool is stricter than safetensors"); every
other disagreement fails. Files the reference rejects must either be rejected by
fastpool with ValueError or be read consistently (in bounds, as the header says).

CI runs 10,000 files (a few seconds); more with
``FASTPOOL_DIFF_FILES=1000000 python -m pytest tests/test_security_safetensors_differential.py``
(``FASTPOOL_DIFF_SEED`` picks the stream).
"""

from __future__ import annotations

import copy
import json
import os
import random
import struct
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

safetensors = pytest.importorskip("safetensors")
from safetensors import safe_open  # noqa: E402

from fastpool.persistence.safetensors import _DTYPES, SafetensorsFile  # noqa: E402

N_FILES = int(os.environ.get("FASTPOOL_DIFF_FILES", "10000"))
SEED = int(os.environ.get("FASTPOOL_DIFF_SEED", "0"))

# dtypes the reference knows and fastpool deliberately does not load (no numpy
# type, never a static-embedding table): documented in docs/security.md.
REFERENCE_ONLY_DTYPES = {
    "F8_E4M3",
    "F8_E5M2",
    "F8_E8M0",
    "F4",
    "F6_E2M3",
    "F6_E3M2",
    "C64",
    "I4",
    "U4",
    "I2",
    "U2",
    "I1",
    "U1",
    "F8_E4M3FNUZ",
    "F8_E5M2FNUZ",
}
ALL_DTYPES = sorted(_DTYPES) + sorted(REFERENCE_ONLY_DTYPES) + ["X", "f32", ""]
ITEMSIZE = {k: v.itemsize for k, v in _DTYPES.items()}


def _file(header: dict[str, Any] | bytes, data: bytes, pad: int = 0) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    raw += b" " * pad
    return struct.pack("<Q", len(raw)) + raw + data


def _valid(rng: random.Random) -> tuple[dict[str, Any], bytes]:
    """A valid file: 1-4 tensors of random dtypes and shapes, tiled in random order."""
    header: dict[str, Any] = {}
    if rng.random() < 0.3:
        header["__metadata__"] = {"format": "np", "k": str(rng.random())}
    names = rng.sample(["embeddings", "weights", "mapping", "a", "b", "é"], rng.randint(1, 4))
    data = b""
    for name in names:
        dtype = rng.choice(sorted(_DTYPES))
        shape = [rng.randint(0, 5) for _ in range(rng.randint(0, 3))]
        nbytes = int(np.prod(shape, dtype=np.int64)) * ITEMSIZE[dtype]
        header[name] = {
            "dtype": dtype,
            "shape": shape,
            "data_offsets": [len(data), len(data) + nbytes],
        }
        data += bytes(rng.getrandbits(8) for _ in range(nbytes))
    return header, data


def _mutate_header(rng: random.Random, header: dict[str, Any], data: bytes) -> tuple[Any, bytes]:
    header = copy.deepcopy(header)
    names = [k for k in header if k != "__metadata__"]
    name = rng.choice(names)
    entry = header[name]
    what = rng.randrange(16)
    if what == 0:
        entry["dtype"] = rng.choice(ALL_DTYPES)
    elif what == 1 and entry["shape"]:
        i = rng.randrange(len(entry["shape"]))
        entry["shape"][i] = rng.choice(
            [0, 1, -1, entry["shape"][i] + rng.choice([-1, 1]), 2**32, 2**63, 2**64 + 1]
        )
    elif what == 2:
        entry["shape"] = entry["shape"] + [1] if rng.random() < 0.5 else entry["shape"][:-1]
    elif what == 3:
        i = rng.randrange(2)
        entry["data_offsets"][i] += rng.choice([-8, -1, 1, 8, 2**64, -(2**63)])
    elif what == 4:
        entry["data_offsets"].reverse()
    elif what == 5:
        other = header[rng.choice(names)]
        entry["data_offsets"], other["data_offsets"] = other["data_offsets"], entry["data_offsets"]
    elif what == 6:
        del entry[rng.choice(["dtype", "shape", "data_offsets"])]
    elif what == 7:
        entry["extra"] = 1
    elif what == 8:
        header["__metadata__"] = rng.choice([{"a": 1}, [1], None, "x", {"a": "b"}, {}])
    elif what == 9:  # a zero-size tensor at some offset
        at = rng.choice([0, len(data), len(data) // 2, len(data) + 1])
        header["z"] = {"dtype": "F32", "shape": [0, 3], "data_offsets": [at, at]}
    elif what == 10:
        data = data[: rng.randrange(len(data) + 1)]
    elif what == 11:
        data = data + bytes(rng.randrange(1, 9))
    elif what == 12:
        entry["shape"] = rng.choice([None, "3", [1.0], [True], {}, [[1]]])
    elif what == 13:
        entry["data_offsets"] = rng.choice([None, [0], [0, 1, 2], ["0", "1"], [0.0, 4.0]])
    elif what == 14:  # valid: tensors listed in another order
        header = dict(rng.sample(list(header.items()), len(header)))
    else:
        header[name] = rng.choice([None, 1, "x", []])
    return header, data


def _mutate_bytes(rng: random.Random, blob: bytearray) -> bytes:
    for _ in range(rng.randint(1, 4)):
        what = rng.randrange(5)
        if what == 0 and blob:
            blob[rng.randrange(len(blob))] = rng.getrandbits(8)
        elif what == 1:
            del blob[rng.randrange(len(blob) + 1) :]
        elif what == 2:
            blob[0:8] = struct.pack(
                "<Q", rng.choice([0, 1, max(0, len(blob) - 8), len(blob), 10**8, 2**63, 2**64 - 1])
            )
        elif what == 3 and len(blob) > 8:  # a byte of the header itself
            n = min(int.from_bytes(blob[:8], "little"), len(blob) - 8)
            if n:
                blob[8 + rng.randrange(n)] = rng.choice(b'{}[]",:0123456789- \xff\x00e')
        else:
            blob[8:8] = b" "  # header one byte longer: its length no longer matches
    return bytes(blob)


def _mutated(rng: random.Random) -> bytes:
    header, data = _valid(rng)
    choice = rng.random()
    if choice < 0.15:
        return _file(header, data, pad=rng.choice([0, 1, 7, 8]))  # valid
    if choice < 0.75:
        h, d = header, data
        for _ in range(rng.randint(1, 2)):
            try:
                h, d = _mutate_header(rng, h, d)
            except (KeyError, TypeError, IndexError, AttributeError, ValueError):
                pass  # an earlier mutation removed what this one edits
        return _file(h, d)
    return _mutate_bytes(rng, bytearray(_file(header, data)))


def _reference(path: Path) -> dict[str, bytes] | None:
    """Tensor bytes as the reference reads them; None if it rejects the file."""
    try:
        with safe_open(str(path), framework="numpy") as f:
            out = {}
            for name in f.keys():  # noqa: SIM118 - safe_open is not a mapping
                try:
                    out[name] = f.get_tensor(name).tobytes()
                except (AttributeError, TypeError):  # no numpy dtype (F8, F4...)
                    out[name] = None  # type: ignore[assignment]
            return out
    except Exception:  # noqa: BLE001 - the reference raises SafetensorError, OSError, ...
        return None


def _fastpool(path: Path) -> dict[str, bytes] | str:
    """Tensor bytes as fastpool reads them, or the ValueError message."""
    try:
        f = SafetensorsFile(path)
        return {name: f.get(name).tobytes() for name in f.tensors}
    except ValueError as err:
        return str(err)


def _compare(path: Path, stats: Counter[str]) -> str | None:
    ref = _reference(path)
    ours = _fastpool(path)
    if ref is None:
        stats["both reject" if isinstance(ours, str) else "only fastpool accepts"] += 1
        if not isinstance(ours, str):
            # Accepting what the reference rejects is allowed only if every
            # tensor lies inside the file as its header says.
            size = path.stat().st_size
            n = int.from_bytes(path.read_bytes()[:8], "little")
            f = SafetensorsFile(path)
            for info in f.tensors.values():
                if not 8 + n + info.end <= size:
                    return f"fastpool read {info.name} past the end of the file"
        return None
    if isinstance(ours, str):
        header = json.loads(
            path.read_bytes()[8 : 8 + int.from_bytes(path.read_bytes()[:8], "little")]
        )
        dtypes = {e["dtype"] for k, e in header.items() if k != "__metadata__"}
        if dtypes & REFERENCE_ONLY_DTYPES:
            stats["documented extra rejection: dtype"] += 1
            return None
        return f"reference accepts, fastpool rejects: {ours}"
    stats["both accept"] += 1
    if set(ref) != set(ours):
        return f"tensor names differ: {sorted(ref)} vs {sorted(ours)}"
    for name, data in ref.items():
        if data is not None and data != ours[name]:
            return f"tensor {name!r}: bytes differ"
    return None


def run(n_files: int, seed: int, folder: Path) -> Counter[str]:
    rng = random.Random(seed)
    stats: Counter[str] = Counter()
    failures = []
    for i in range(n_files):
        path = folder / f"{i % 64}.safetensors"
        path.write_bytes(_mutated(rng))
        problem = _compare(path, stats)
        if problem:
            keep = folder / f"failure-{i}.safetensors"
            path.rename(keep)
            failures.append(f"{keep}: {problem}")
            if len(failures) >= 10:
                break
    assert not failures, "\n".join(failures)
    return stats


def test_differential_against_safetensors(tmp_path):
    stats = run(N_FILES, SEED, tmp_path)
    assert sum(stats.values()) == N_FILES
    # The mutations must exercise both sides, not just produce rejected noise.
    assert stats["both accept"] > N_FILES // 10, stats
    assert stats["both reject"] > N_FILES // 3, stats
    print(dict(stats))
