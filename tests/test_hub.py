"""Hub ids through ``huggingface_hub``, never touching the internet.

Every case runs in a subprocess whose environment points ``huggingface_hub`` at
a loopback hub on 127.0.0.1 (``hub_server.py``, ``HF_ENDPOINT``) and at a cache
in ``tmp_path`` (``HF_HUB_CACHE``), or sets ``HF_HUB_OFFLINE=1``: the client reads
both at import, so a fresh process is the honest way to set them. The cache the
offline cases read is a real one, written by ``huggingface_hub`` itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hub_server import HubServer
from model_factory import make_model_folder

import fastpool

pytest.importorskip("huggingface_hub")

TEXTS = ["hello world", "The quick brown fox jumps over the lazy dog.", ""]
UNNEEDED = {"onnx/model.onnx": b"\0" * 64, "pytorch_model.bin": b"\0" * 64, "notes.txt": b"x"}


def run(
    code: str, env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter with ``env`` on top of a hub-free environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    result = subprocess.run(
        [sys.executable, "-c", code, *args], env={**base, **env}, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise AssertionError(f"subprocess failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def hub() -> Iterator[HubServer]:
    with HubServer() as server:
        yield server


def encode_script(call: str) -> str:
    """A script that loads with ``call`` and saves what it encodes to argv[1]."""
    return (
        "import sys, numpy as np, fastpool\n"
        f"model = {call}\n"
        f"np.save(sys.argv[1], model.encode({TEXTS!r}))\n"
        "print(model.table.flags.writeable, model.semantics)\n"
    )


def vectors_of(folder: Path) -> np.ndarray:
    return fastpool.StaticModel.from_pretrained(folder).encode(TEXTS)


@pytest.mark.parametrize("layout", ["model2vec", "st", "st_nested"])
def test_download_then_offline_from_the_cache(tmp_path: Path, hub: HubServer, layout: str) -> None:
    folder = make_model_folder(tmp_path / "src", layout=layout)
    hub.add_repo("org/model", folder, extra=UNNEEDED)
    env = hub.env(tmp_path / "cache")
    out = tmp_path / "online.npy"
    result = run(encode_script("fastpool.StaticModel.from_pretrained('org/model')"), env, str(out))
    # Memory-mapped from the cache (read-only), with the layout's own semantics.
    expected = "model2vec" if layout == "model2vec" else "sentence-transformers"
    assert result.stdout.split() == ["False", expected]
    np.testing.assert_array_equal(np.load(out), vectors_of(folder))
    # Only the files a model can need were fetched.
    assert hub.downloaded() <= set(fastpool.persistence.hub.HUB_FILES)
    assert not hub.downloaded() & set(UNNEEDED)
    assert not hub.unknown
    snapshots = list((tmp_path / "cache" / "models--org--model" / "snapshots").iterdir())
    assert len(snapshots) == 1 and not (snapshots[0] / "onnx").exists()

    # Offline: the same cache, no request at all.
    before = len(hub.requests)
    offline = {**env, "HF_HUB_OFFLINE": "1"}
    run(encode_script("fastpool.StaticModel.from_pretrained('org/model')"), offline, str(out))
    np.testing.assert_array_equal(np.load(out), vectors_of(folder))
    assert len(hub.requests) == before


def test_model2vec_reads_the_same_cache(tmp_path: Path, hub: HubServer) -> None:
    folder = make_model_folder(tmp_path / "src", normalize=True)
    hub.add_repo("org/model", folder)
    env = hub.env(tmp_path / "cache")
    run(encode_script("fastpool.StaticModel.from_pretrained('org/model')"), env, "/dev/null")
    out = tmp_path / "m2v.npy"
    theirs = encode_script("__import__('model2vec').StaticModel.from_pretrained('org/model')")
    theirs = theirs.replace("print(model.table.flags.writeable, model.semantics)\n", "")
    run(theirs, {**env, "HF_HUB_OFFLINE": "1"}, str(out))
    np.testing.assert_allclose(np.load(out), vectors_of(folder), atol=1e-6, rtol=0)


def test_force_download_false_uses_the_cache(tmp_path: Path, hub: HubServer) -> None:
    folder = make_model_folder(tmp_path / "src")
    hub.add_repo("org/model", folder)
    env = hub.env(tmp_path / "cache")
    call = "fastpool.StaticModel.from_pretrained('org/model', force_download=False)"
    run(encode_script(call), env, "/dev/null")
    before = len(hub.requests)
    run(encode_script(call), env, "/dev/null")
    assert len(hub.requests) == before  # cached: not even a revision check
    run(encode_script("fastpool.StaticModel.from_pretrained('org/model')"), env, "/dev/null")
    assert len(hub.requests) > before  # force_download=True (model2vec's default) asks


def test_revision_subfolder_token_and_cache_dir(tmp_path: Path, hub: HubServer) -> None:
    first = make_model_folder(tmp_path / "a", dim=16)
    second = make_model_folder(tmp_path / "b", dim=8, seed=1)
    old = hub.add_repo("org/model", first, private=True, token="hf_secret")
    hub.add_repo("org/model", None, extra={
        f"sub/{p.name}": p.read_bytes() for p in second.iterdir() if p.is_file()
    })  # fmt: skip
    cache = tmp_path / "elsewhere"
    env = hub.env(tmp_path / "cache")
    out = tmp_path / "v.npy"
    call = (
        "fastpool.StaticModel.from_pretrained('org/model', token='hf_secret', "
        "subfolder='sub', cache_dir=sys.argv[2])"
    )
    run(encode_script(call), env, str(out), str(cache))
    np.testing.assert_array_equal(np.load(out), vectors_of(second))
    assert (cache / "models--org--model").is_dir() and not (tmp_path / "cache").exists()
    assert all(path.startswith("sub/") for path in hub.downloaded())
    call = f"fastpool.StaticModel.from_pretrained('org/model', token='hf_secret', revision='{old}')"
    run(encode_script(call), env, str(out))
    np.testing.assert_array_equal(np.load(out), vectors_of(first))
    # Without the token the private repo is not found, and nothing is cached to fall back on.
    no_cache = {**env, "HF_HUB_CACHE": str(tmp_path / "empty")}
    call = encode_script("fastpool.StaticModel.from_pretrained('org/model')")
    result = run(call, no_cache, str(out), check=False)
    assert result.returncode != 0 and "RepositoryNotFoundError" in result.stderr
    assert "FileNotFoundError: org/model is neither a local folder nor a model repo" in (
        result.stderr
    )


def test_offline_says_what_is_missing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    code = (
        "import fastpool\n"
        "try:\n"
        "    fastpool.StaticModel.from_pretrained('org/absent')\n"
        "except FileNotFoundError as err:\n"
        "    print(err)\n"
    )
    message = run(code, env).stdout
    assert "org/absent is not a local folder" in message and "HF_HUB_OFFLINE is set" in message
    assert str(cache) in message and "tokenizer.json" in message
    # A cache entry laid out by hand as huggingface_hub lays it out, lacking a file.
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = cache / "models--org--partial" / "snapshots" / commit
    folder = make_model_folder(tmp_path / "src")
    snapshot.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        (snapshot / name).write_bytes((folder / name).read_bytes())
    (cache / "models--org--partial" / "refs").mkdir()
    (cache / "models--org--partial" / "refs" / "main").write_text(commit)
    message = run(code.replace("org/absent", "org/partial"), env).stdout
    assert "holds no complete model" in message
    assert "config.json + model.safetensors + tokenizer.json: missing tokenizer.json" in message
    (snapshot / "tokenizer.json").write_bytes((folder / "tokenizer.json").read_bytes())
    out = tmp_path / "v.npy"
    run(encode_script("fastpool.StaticModel.from_pretrained('org/partial')"), env, str(out))
    np.testing.assert_array_equal(np.load(out), vectors_of(folder))


def test_push_to_hub_round_trip(tmp_path: Path, hub: HubServer) -> None:
    folder = make_model_folder(tmp_path / "src", vocab_quantized=True, normalize=True)
    env = hub.env(tmp_path / "cache")
    code = (
        "import fastpool\n"
        "model = fastpool.StaticModel.from_pretrained(sys.argv[2])\n"
        "model.push_to_hub('org/pushed', private=True, token='hf_x', subfolder='m')\n"
    )
    run("import sys\n" + code, env, "/dev/null", str(folder))
    pushed = hub.files("org/pushed")
    assert {"m/model.safetensors", "m/config.json", "m/tokenizer.json", "m/README.md",
            "m/modules.json"} <= set(pushed)  # fmt: skip
    assert hub.repos["org/pushed"].private
    assert json.loads(pushed["m/config.json"])["model_type"] == "model2vec"
    out = tmp_path / "v.npy"
    call = "fastpool.StaticModel.from_pretrained('org/pushed', token='hf_x', subfolder='m')"
    run(encode_script(call), env, str(out))
    np.testing.assert_array_equal(np.load(out), vectors_of(folder))
    assert not hub.unknown


def test_a_hub_model_pickles_as_its_pinned_commit(tmp_path: Path, hub: HubServer) -> None:
    folder = make_model_folder(tmp_path / "src")
    hub.add_repo("org/model", folder)
    env = hub.env(tmp_path / "cache")
    data = tmp_path / "model.pkl"
    code = (
        "import sys, pickle, fastpool\n"
        "model = fastpool.StaticModel.from_pretrained('org/model')\n"
        "open(sys.argv[1], 'wb').write(pickle.dumps(model))\n"
    )
    run(code, env, str(data))
    assert len(data.read_bytes()) < 2000  # the repo id, commit and options, not the table
    hub.add_repo("org/model", make_model_folder(tmp_path / "new", seed=5))  # main moves on
    out = tmp_path / "v.npy"
    code = (
        "import sys, pickle, numpy as np\n"
        "model = pickle.loads(open(sys.argv[2], 'rb').read())\n"
        f"np.save(sys.argv[1], model.encode({TEXTS!r}))\n"
    )
    run(code, {**env, "HF_HUB_OFFLINE": "1"}, str(out), str(data))
    np.testing.assert_array_equal(np.load(out), vectors_of(folder))


def test_paths_and_ids() -> None:
    from fastpool.persistence.hub import is_hub_id

    assert is_hub_id("minishlab/potion-base-8M") and is_hub_id("bert-base-uncased")
    for local in ("/abs/path", "./rel", "../up", "a/b/c", "~/x", "a/../b", ".hidden"):
        assert not is_hub_id(local), local
