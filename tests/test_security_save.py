"""Saving over a loaded (memory-mapped) model, and loading without a memory map."""

from __future__ import annotations

import mmap
import os
from typing import Any

import numpy as np
from model_factory import make_model_folder

from fastpool import StaticModel

TEXTS = ["The quick brown fox jumps over the lazy dog.", "Tokenizers split text.", ""]


def _mapped(arr: np.ndarray) -> bool:
    base: Any = arr
    while base is not None:
        if isinstance(base, mmap.mmap):
            return True
        base = getattr(base, "base", None) if not isinstance(base, memoryview) else base.obj
    return False


def test_save_over_the_mapped_folder_keeps_the_old_mapping(tmp_path):
    folder = make_model_folder(tmp_path, seed=0, name="a")
    other = make_model_folder(tmp_path, seed=1, name="b")
    old = StaticModel.from_pretrained(folder)
    assert _mapped(old.table)
    old_table = old.table.copy()
    old_vectors = old.encode(TEXTS)
    inode = os.stat(folder / "model.safetensors").st_ino

    new = StaticModel.from_pretrained(other)
    new.save_pretrained(folder)

    # A new file under the old name (rename), not the old file rewritten in place:
    assert os.stat(folder / "model.safetensors").st_ino != inode
    assert not list(folder.glob(".*.tmp"))
    # ... so the old model still reads its own bytes,
    np.testing.assert_array_equal(old.table, old_table)
    assert old.encode(TEXTS).tobytes() == old_vectors.tobytes()
    # ... and the folder now holds the new model.
    reloaded = StaticModel.from_pretrained(folder)
    assert reloaded.encode(TEXTS).tobytes() == new.encode(TEXTS).tobytes()
    assert reloaded.encode(TEXTS).tobytes() != old_vectors.tobytes()


def test_save_over_itself(tmp_path):
    folder = make_model_folder(tmp_path, vocab_quantized=True)
    model = StaticModel.from_pretrained(folder)
    vectors = model.encode(TEXTS)
    model.save_pretrained(folder)
    assert model.encode(TEXTS).tobytes() == vectors.tobytes()
    assert StaticModel.from_pretrained(folder).encode(TEXTS).tobytes() == vectors.tobytes()


def test_mmap_false_copies_the_file(tmp_path):
    folder = make_model_folder(tmp_path, vocab_quantized=True)
    mapped = StaticModel.from_pretrained(folder)
    copied = StaticModel.from_pretrained(folder, mmap=False)
    assert _mapped(mapped.table)
    assert not _mapped(copied.table)
    assert not copied.table.flags.writeable
    vectors = copied.encode(TEXTS)
    assert vectors.tobytes() == mapped.encode(TEXTS).tobytes()
    del mapped
    # Truncating the file in place (what a network filesystem may do to a
    # mapping) cannot reach a copied model.
    with open(folder / "model.safetensors", "r+b") as f:
        f.truncate(16)
    assert copied.encode(TEXTS).tobytes() == vectors.tobytes()
