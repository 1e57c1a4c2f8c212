"""A static model's pooling as an ONNX graph: CSR token ids in, the model's vectors out.

The graph is ``StaticModel.pool``: ``input_ids`` (int64, ``[n_ids]``) and ``offsets``
(int64, ``[n_rows + 1]``, ``offsets[0] == 0``, row i is ``input_ids[offsets[i]:offsets[i+1]]``)
give ``embeddings`` (float32, ``[n_rows, dim]``): the mapping picks each token's row, the
weights (indexed by token id) scale it, each row is the mean over its tokens (empty rows are
zeros) and, when the model normalises, ``x / (||x|| + 1e-32)``. ``truncate_dim`` keeps the
first columns of the table. Opset 18 (``CumSum``, ``Gather``, ``ReduceSum`` with an axes
input): row sums are differences of a float64 running sum, with no scatter, so the result
does not depend on the runtime's threads. The ids are those the model's
``tokenize`` gives; the metadata says how to get them from tokenizer.json (docs/onnx.md).

Needs the ``onnx`` package (``pip install "fastpool[onnx]"``); nothing here knows the model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 18
INPUT_NAMES = ("input_ids", "offsets")
OUTPUT_NAME = "embeddings"
ONNX_HINT = 'ONNX export needs the onnx package: pip install "fastpool[onnx]"'
# Table dtypes kept as they are in the file (ONNX Runtime gathers them on CPU); any other
# (bfloat16, int8, float64) is stored as float32, which is what the kernel computes in.
_KEPT_DTYPES = (np.float32, np.float16)


def build_onnx_model(
    table: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    mapping: np.ndarray | None = None,
    normalize: bool = True,
    dim: int | None = None,
    metadata: dict[str, Any] | None = None,
) -> Any:
    """An ``onnx.ModelProto`` pooling CSR ids through ``table`` (see the module docstring)."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as err:
        raise ImportError(ONNX_HINT) from err

    cols = int(table.shape[1]) if dim is None else int(dim)
    rows = np.asarray(table)[:, :cols]
    if rows.dtype not in _KEPT_DTYPES:
        rows = rows.astype(np.float32)
    inits = [numpy_helper.from_array(np.ascontiguousarray(rows), "table")]
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(value, name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    i64 = np.int64
    zero, one, minus_one = (const(n, np.array([v], i64)) for n, v in
                            (("c0", 0), ("c1", 1), ("cm1", -1)))  # fmt: skip
    ids = "input_ids"
    table_rows = ids
    if mapping is not None:
        const("mapping", np.ascontiguousarray(mapping, dtype=i64))
        table_rows = node("Gather", ["mapping", ids], "table_rows")
    vectors = node("Gather", ["table", table_rows], "gathered")
    vectors = node("Cast", [vectors], "vectors", to=TensorProto.FLOAT)
    if weights is not None:
        const("weights", np.ascontiguousarray(weights, dtype=np.float32))
        w = node("Gather", ["weights", ids], "token_weights")
        w = node("Unsqueeze", [w, one], "token_weights_col")
        vectors = node("Mul", [vectors, w], "weighted")

    # Row sums as differences of a float64 running sum: sums[i] = C[offsets[i+1]] - C[offsets[i]]
    # with C[k] the sum of the first k vectors. No scatter: ONNX Runtime runs a ScatterND
    # "add" with repeated indices on several threads and loses updates (seen on 1.32); and
    # float64 keeps the difference exact enough (error ~1e-16 of the running sum) to agree
    # with the kernel's float32 row sums.
    vectors64 = node("Cast", [vectors], "vectors64", to=TensorProto.DOUBLE)
    running = node("CumSum", [vectors64, node("Squeeze", [zero], "axis0")], "running")
    dim_c = const("dim", np.array([cols], i64))
    zero_row_shape = node("Concat", [one, dim_c], "zero_row_shape", axis=0)
    zero_row = node("ConstantOfShape", [zero_row_shape], "zero_row",
                    value=helper.make_tensor("zd", TensorProto.DOUBLE, [1], [0.0]))  # fmt: skip
    prefix = node("Concat", [zero_row, running], "prefix", axis=0)
    ends = node("Slice", ["offsets", one, node("Shape", ["offsets"], "n_offsets")], "ends")
    starts = node("Slice", ["offsets", zero, minus_one], "starts")
    sums64 = node("Sub", [node("Gather", [prefix, ends], "at_ends"),
                          node("Gather", [prefix, starts], "at_starts")], "sums64")  # fmt: skip
    sums = node("Cast", [sums64], "sums", to=TensorProto.FLOAT)
    counts = node("Cast", [node("Sub", [ends, starts], "lengths")], "counts", to=TensorProto.FLOAT)
    counts = node("Max", [counts, const("f1", np.array([1.0], np.float32))], "counts_min1")
    mean = node("Div", [sums, node("Unsqueeze", [counts, one], "counts_col")], "mean")
    out = mean
    if normalize:
        square = node("Mul", [mean, mean], "square")
        norm = node("Sqrt", [node("ReduceSum", [square, one], "sumsq", keepdims=1)], "norm")
        eps = const("eps", np.array([1e-32], np.float32))
        out = node("Div", [mean, node("Add", [norm, eps], "norm_eps")], "normalized")
    nodes.append(helper.make_node("Identity", [out], [OUTPUT_NAME]))

    graph = helper.make_graph(
        nodes, "fastpool_static_model",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["n_ids"]),
         helper.make_tensor_value_info("offsets", TensorProto.INT64, ["n_offsets"])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["n_rows", cols])],
        initializer=inits,
    )  # fmt: skip
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="fastpool"
    )
    model.ir_version = 8  # the oldest IR that carries opset 18: the widest runtime support
    meta = {"normalize": normalize, "dim": cols, **(metadata or {})}
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.checker.check_model(model)
    return model


def write_onnx(model: Any, path: str | os.PathLike[str], tokenizer_json: str | None) -> Path:
    """Write ``model`` to ``path`` (a file ending .onnx, or a folder that gets model.onnx)
    and ``tokenizer_json`` beside it as tokenizer.json. Returns the .onnx path."""
    target = Path(path)
    if target.suffix != ".onnx":
        target.mkdir(parents=True, exist_ok=True)
        target = target / "model.onnx"
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    data = model.SerializeToString()
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    if tokenizer_json is not None:
        (target.parent / "tokenizer.json").write_text(tokenizer_json, encoding="utf-8")
    return target
