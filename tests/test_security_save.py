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


def test_save_replaces_symlinks_and_never_writes_through_them(tmp_path):
    """Issue 19, item 13: every saved file is a new file renamed over the name; a
    symbolic link there is replaced and its target keeps its bytes."""
    model = StaticModel.from_pretrained(make_model_folder(tmp_path, name="src"))
    out = tmp_path / "out"
    out.mkdir()
    victims = {}
    for name in ("config.json", "README.md", "modules.json", "tokenizer.json", "model.safetensors"):
        victim = tmp_path / f"victim-{name}"
        victim.write_bytes(b"keep me")
        (out / name).symlink_to(victim)
        victims[name] = victim
    model.save_pretrained(out)
    for name, victim in victims.items():
        assert victim.read_bytes() == b"keep me", name
        assert not (out / name).is_symlink(), name
    assert StaticModel.from_pretrained(out).encode(TEXTS).tobytes() == model.encode(TEXTS).tobytes()
    assert not list(out.glob(".*.tmp"))


def test_save_into_a_hub_cache_snapshot_leaves_the_blobs_alone(tmp_path):
    """The Hugging Face cache: snapshots/<rev>/<file> are links to blobs/<sha256>,
    shared between snapshots. Saving into one snapshot must not rewrite a blob."""
    source = make_model_folder(tmp_path, name="src")
    cache = tmp_path / "models--org--name"
    blobs = cache / "blobs"
    blobs.mkdir(parents=True)
    snapshots = [cache / "snapshots" / rev for rev in ("a1", "b2")]
    for snap in snapshots:
        snap.mkdir(parents=True)
    import hashlib

    for f in source.iterdir():
        data = f.read_bytes()
        blob = blobs / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        for snap in snapshots:
            (snap / f.name).symlink_to(os.path.relpath(blob, snap))
    model = StaticModel.from_pretrained(snapshots[0], normalize=True)
    model.save_pretrained(snapshots[0])
    for blob in blobs.iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    # The other snapshot still holds the original model.
    other = StaticModel.from_pretrained(snapshots[1])
    assert (
        other.encode(TEXTS).tobytes() == StaticModel.from_pretrained(source).encode(TEXTS).tobytes()
    )


def test_save_temp_names_are_unpredictable_and_exclusive(tmp_path, monkeypatch):
    """The old temporary name .model.safetensors.PID.tmp could be planted as a link;
    now a planted link at the old name is ignored, and names differ per save."""
    model = StaticModel.from_pretrained(make_model_folder(tmp_path, name="src"))
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    for name in ("model.safetensors", "tokenizer.json"):
        (out / f".{name}.{os.getpid()}.tmp").symlink_to(victim)
    import tempfile

    seen: list[str] = []
    real = tempfile.mkstemp

    def spy(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real(*args, **kwargs)
        seen.append(name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    model.save_pretrained(out)
    model.save_pretrained(out)
    assert victim.read_bytes() == b"keep me"
    assert len(seen) == len(set(seen)) == 10
    assert all(str(os.getpid()) not in os.path.basename(n) for n in seen)


def test_saved_files_get_the_usual_permissions(tmp_path):
    model = StaticModel.from_pretrained(make_model_folder(tmp_path, name="src"))
    out = model.save_pretrained(tmp_path / "out")
    umask = os.umask(0o022)
    os.umask(umask)
    for f in out.iterdir():
        assert f.stat().st_mode & 0o777 == 0o666 & ~umask, f
