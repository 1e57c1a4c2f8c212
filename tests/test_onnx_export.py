"""StaticModel.export_onnx: the ONNX graph, run by ONNX Runtime, gives fastpool's vectors on
real text (the bundled model, vocabulary-quantized and truncated models, edge rows)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from model_factory import make_model_folder
from reference import pool_reference

import fastpool
from fastpool import _api

onnx = pytest.importorskip("onnx", reason="ONNX export needs onnx: pip install 'fastpool[onnx]'")
ort = pytest.importorskip(
    "onnxruntime", reason="running the export needs onnxruntime: pip install 'fastpool[onnx]'"
)


def _texts() -> list[str]:
    """Real English sentences: the docstrings of a few standard-library modules."""
    import argparse
    import collections
    import json as json_module
    import pathlib
    import re

    out: list[str] = []
    for module in (argparse, collections, json_module, pathlib, re):
        for name in sorted(dir(module)):
            doc = getattr(getattr(module, name), "__doc__", None)
            if isinstance(doc, str):
                out += [s.strip() for s in doc.split(".") if len(s.strip()) > 20]
    return list(dict.fromkeys(out))[:2000]


def _run(path: Path, ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {"input_ids": ids.astype(np.int64), "offsets": offsets.astype(np.int64)}
    return session.run(["embeddings"], feeds)[0]  # type: ignore[no-any-return]


def _check(
    model: fastpool.StaticModel, path: Path, texts: list[str], to_encode: float = 1e-6
) -> float:
    """The graph's vectors are the exact ones (tests/reference.py, in float64) within
    1e-6, and fastpool.encode's within ``to_encode``: 1e-6 on real models; more where random
    tables make the kernel's
    own float32 sums lose that much (long rows of cancelling vectors). Both relative to the
    largest value for unnormalised ones (int8 tables). Returns the difference to encode."""
    onnx.checker.check_model(str(path))
    ids, offsets = model.tokenize_csr(texts)
    got = _run(path, ids, offsets)
    want = model.encode(texts)
    assert got.shape == want.shape and got.dtype == np.float32
    exact = pool_reference(ids, offsets, np.asarray(model.table)[:, : model.dim],
                           weights=model.weights, mapping=model.mapping,
                           normalize=model.normalize)  # fmt: skip
    scale = max(1.0, float(np.abs(exact).max(initial=0.0)))
    assert float(np.abs(got - exact).max(initial=0.0)) / scale <= 1e-6
    diff = float(np.abs(got - want).max(initial=0.0)) / scale
    assert diff <= to_encode, (diff, float(np.abs(want - exact).max(initial=0.0)) / scale)
    return diff


def test_same_vectors_on_every_run(tmp_path: Path) -> None:
    """Bit for bit, run after run: ONNX Runtime runs a ScatterND "add" on several threads
    and lost updates (1.32), which the graph no longer uses."""
    model = fastpool.StaticModel.from_pretrained(
        _api.default_model_path(), truncate_dim=64, normalize=False
    )
    path = model.export_onnx(tmp_path / "d.onnx")
    ids, offsets = model.tokenize_csr(_texts()[:300])
    first = _run(path, ids, offsets)
    for _ in range(40):
        assert np.array_equal(_run(path, ids, offsets), first)


def test_bundled_model_on_real_text(tmp_path: Path) -> None:
    model = _api.default_model()
    texts = _texts() + ["", "x", "zzzzqqq " * 3]
    path = model.export_onnx(tmp_path / "onnx")
    assert path == tmp_path / "onnx" / "model.onnx"
    assert (tmp_path / "onnx" / "tokenizer.json").is_file()
    _check(model, path, texts)
    meta = {p.key: json.loads(p.value) for p in onnx.load(str(path)).metadata_props}
    assert meta["normalize"] is True and meta["dim"] == model.dim
    assert meta["max_length"] == model.max_length
    assert [i.name for i in onnx.load(str(path)).graph.input] == ["input_ids", "offsets"]
    assert onnx.load(str(path)).opset_import[0].version == 18


def test_recipe_from_tokenizer_json(tmp_path: Path) -> None:
    """docs/onnx.md's recipe: tokenizer.json without special tokens, first max_length ids,
    unknown id dropped, CSR offsets; equal to fastpool.encode on short real texts."""
    from tokenizers import Tokenizer

    model = _api.default_model()
    path = model.export_onnx(tmp_path / "m.onnx")
    meta = {p.key: json.loads(p.value) for p in onnx.load(str(path)).metadata_props}
    tok = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    texts = _texts()[:500]
    rows = [
        [i for i in e.ids[: meta["max_length"]] if i != meta["unk_id"]]
        for e in tok.encode_batch(texts, add_special_tokens=False)
    ]
    offsets = np.cumsum([0] + [len(r) for r in rows])
    ids = np.array([i for r in rows for i in r], dtype=np.int64)
    got = _run(path, ids, offsets)
    assert np.abs(got - model.encode(texts)).max() <= 1e-6


@pytest.mark.parametrize("dtype", ["float32", "float16", "int8", "bfloat16"])
def test_quantized_and_weighted_models(tmp_path: Path, dtype: str) -> None:
    folder = make_model_folder(tmp_path, dtype=dtype, vocab_quantized=True)
    model = fastpool.StaticModel.from_pretrained(folder)
    assert model.mapping is not None and model.weights is not None
    texts = _texts()[:300] + ["", ""]
    # Random rows cancel: the kernel's float32 row sums are ~3e-6 off the exact ones there.
    _check(model, model.export_onnx(tmp_path / "q.onnx"), texts, to_encode=1e-5)


def test_truncate_dim_and_no_normalisation(tmp_path: Path) -> None:
    model = fastpool.StaticModel.from_pretrained(
        _api.default_model_path(), truncate_dim=64, normalize=False
    )
    texts = _texts()[:300]
    path = model.export_onnx(tmp_path / "t.onnx")
    assert _check(model, path, texts) <= 1e-6
    assert _run(path, *model.tokenize_csr(texts)).shape == (300, 64)


def test_empty_batch_and_empty_rows(tmp_path: Path) -> None:
    model = _api.default_model()
    path = model.export_onnx(tmp_path / "e.onnx")
    empty = _run(path, np.zeros(0, np.int64), np.zeros(1, np.int64))
    assert empty.shape == (0, model.dim)
    ids = np.array([5, 6, 7], np.int64)
    out = _run(path, ids, np.array([0, 0, 2, 2, 3, 3], np.int64))
    np.testing.assert_allclose(out, model.pool(ids, [0, 0, 2, 2, 3, 3]), atol=1e-6)
    assert not out[[0, 2, 4]].any()


def test_cli_export_onnx(tmp_path: Path) -> None:
    from fastpool.cli import main

    assert main(["export", "onnx", str(_api.default_model_path()), "-o", str(tmp_path / "x"),
                 "--truncate-dim", "32"]) == 0  # fmt: skip
    model = fastpool.StaticModel.from_pretrained(_api.default_model_path(), truncate_dim=32)
    _check(model, tmp_path / "x" / "model.onnx", _texts()[:100])
    assert main(["export", "onnx", str(tmp_path / "nothing"), "-o", str(tmp_path / "y")]) == 2
