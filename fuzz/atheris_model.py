"""atheris harness: ``StaticModel.from_pretrained`` on mutated model folders.

    python fuzz/atheris_model.py -runs=1000000

A valid folder (tests/model_factory.py: vocabulary-quantized, with weights) is
built once. Each input picks one of its files (model.safetensors, config.json,
tokenizer.json) and a mutation: the fuzz bytes replace the safetensors header,
overwrite bytes at an offset, truncate the file, or replace the file outright.
Loading (and, when it succeeds, encoding) may only raise the documented
ValueError or FileNotFoundError.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
import tempfile
import warnings
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import fastpool

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from model_factory import make_model_folder  # noqa: E402

warnings.simplefilter("ignore")
# A memory filesystem where there is one: creating files on disk dominated the time.
_SHM = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
WORK = Path(tempfile.mkdtemp(prefix="fastpool-fuzz-model-", dir=_SHM))
BASE = make_model_folder(WORK, vocab_quantized=True, name="base")
FILES = ["model.safetensors", "config.json", "tokenizer.json"]
ORIGINAL = {name: (BASE / name).read_bytes() for name in FILES}
FOLDER = WORK / "mutated"
shutil.copytree(BASE, FOLDER)
CURRENT = dict(ORIGINAL)
ALLOWED = (ValueError, FileNotFoundError)


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    name = FILES[fdp.ConsumeIntInRange(0, 2)]
    original = ORIGINAL[name]
    how = fdp.ConsumeIntInRange(0, 4)
    if how == 0 and name == "model.safetensors":  # a new header over the old data
        n = int.from_bytes(original[:8], "little")
        header = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4096))
        length = len(header) if fdp.ConsumeBool() else fdp.ConsumeIntInRange(0, 2**64 - 1)
        content = struct.pack("<Q", length) + header + original[8 + n :]
    elif how == 1:  # overwrite bytes at an offset
        at = fdp.ConsumeIntInRange(0, len(original))
        patch = fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 64))
        content = original[:at] + patch + original[at + len(patch) :]
    elif how == 2:
        content = original[: fdp.ConsumeIntInRange(0, len(original))]
    elif how == 3 and name != "model.safetensors":  # a text edit of the JSON
        text = original.decode()
        at = fdp.ConsumeIntInRange(0, len(text))
        content = (
            text[:at]
            + fdp.ConsumeUnicodeNoSurrogates(32)
            + text[at + fdp.ConsumeIntInRange(0, 8) :]
        ).encode()
    else:
        content = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 8192))
    for other in FILES:  # rewrite only what differs from the folder as it stands
        want = content if other == name else ORIGINAL[other]
        if CURRENT[other] != want:
            (FOLDER / other).write_bytes(want)
            CURRENT[other] = want
    try:
        model = fastpool.StaticModel.from_pretrained(FOLDER, mmap=fdp.ConsumeBool())
        model.encode(["The quick brown fox.", "", "caf\u00e9 \u4e2d\U0001f642"])
    except ALLOWED as err:
        if FOLDER.name not in str(err) and not isinstance(err, FileNotFoundError):
            raise AssertionError(f"the message does not name the file: {err}") from None


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    try:
        atheris.Fuzz()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
