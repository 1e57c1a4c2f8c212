"""``fastpool encode``: stream an input through a model into a resumable output directory.

Rows are cut into parts of ``--part-size`` rows; part ``i`` holds rows
``[i * part_size, (i + 1) * part_size)`` and is encoded, written and recorded in
the manifest before the next is read, so memory stays constant and a restarted
run with the same settings goes on from the last recorded part. Vectors do not
depend on ``--batch-size`` or ``--threads`` (the kernel is invariant to both),
so those may change between a run and its resumption; everything else that
changes the output is part of the manifest's ``settings`` and must match, and
the input of every finished part must hash as recorded (``_resume``).

A stream (stdin, a FIFO, ``<(...)``) is read once and encoded whole; with no
file to re-read it cannot be checked, so a run from one never resumes.
"""

from __future__ import annotations

import argparse
import os
import sys
from itertools import islice
from typing import Any

import numpy as np

from . import _resume, _writers
from ._errors import CLIError
from ._model import load_model, model_fingerprint, resolve_model
from ._progress import Progress
from ._readers import STDIN, fingerprint, open_source


def default_output(path: str) -> str:
    """``docs.jsonl`` -> ``docs.embeddings`` (next to the input)."""
    return os.path.splitext(path)[0] + ".embeddings"


def _settings(args: argparse.Namespace, source: Any, model_path: str, model: Any) -> dict:
    return {
        "input": STDIN if source.path == STDIN else os.path.abspath(source.path),
        "input_format": source.format,
        "field": source.field,
        "model": os.path.abspath(model_path),
        "model_files": model_fingerprint(model_path),
        "format": args.format,
        "part_size": args.part_size,
        "max_length": model.max_length,
        "normalize": model.normalize,
        "dim": model.dim,
    }


def _prepare(out: str, settings: dict, input_fp: Any, overwrite: bool) -> dict | None:
    """Make ``out`` ready; return the manifest to resume from (None: start afresh)."""
    manifest = _writers.read_manifest(out)
    parts, temps, other = _writers.our_files(out)
    if manifest is None:
        # Parts without a manifest are left by a crash inside --overwrite: only it may go on.
        if other or (parts and not overwrite):
            raise CLIError(
                f"{out}: not empty and holds no fastpool manifest; pick a new or empty directory"
            )
        _writers.clean(out, keep=set())
        return None
    if overwrite:
        _writers.remove_run(out)
        return None
    if manifest.get("version") in _writers.OLD_MANIFEST_VERSIONS:
        raise CLIError(
            f"{out}: holds a run written by an older fastpool (manifest version "
            f"{manifest['version']}, without content hashes), so its parts cannot be checked "
            "against the input and model; pass --overwrite to start again"
        )
    old = manifest.get("settings") or {}
    if old.get("model_files") != settings["model_files"] and all(
        old.get(k) == v for k, v in settings.items() if k != "model_files"
    ):
        _resume.check_model(out, old.get("model_files"), settings["model_files"])
    if old != settings:
        changed = sorted(k for k in settings.keys() | old.keys() if old.get(k) != settings.get(k))
        raise CLIError(
            f"{out}: holds a run with other settings (differs in: {', '.join(changed)}); "
            "use the same arguments to resume, --overwrite to start again, or another -o"
        )
    if settings["input"] == STDIN or manifest.get("input_fingerprint") is None:
        what = "stdin" if settings["input"] == STDIN else "a stream (not a regular file)"
        raise CLIError(
            f"{out}: holds a run from {what}, which cannot be checked or resumed; "
            "pass --overwrite to start again"
        )
    if manifest.get("input_fingerprint") != input_fp:
        raise CLIError(
            f"{out}: the input changed since the run there (size, mtime or first bytes); "
            "pass --overwrite to start again"
        )
    listed = {p["file"] for p in manifest["parts"]}
    missing = sorted(listed - set(parts))
    if missing:
        raise CLIError(
            f"{out}: the manifest lists parts that are gone ({', '.join(missing[:3])}); "
            "pass --overwrite to start again"
        )
    if manifest.get("complete"):
        return manifest
    _writers.clean(out, keep=listed)
    return manifest


def run(args: argparse.Namespace) -> int:
    source = open_source(args.input, args.input_format, args.field)
    if args.output is None:
        if source.path == STDIN:
            raise CLIError("-o/--output is required when reading stdin")
        if not source.regular:
            raise CLIError(f"-o/--output is required when reading a stream ({source.path})")
        args.output = default_output(source.path)
    model_path = resolve_model(args.model)
    kwargs: dict[str, Any] = {"normalize": args.normalize}
    if args.max_length is not None:
        kwargs["max_length"] = None if args.max_length < 0 else args.max_length
    model = load_model(model_path, **kwargs)
    settings = _settings(args, source, model_path, model)
    input_fp = fingerprint(source)
    out = args.output

    if os.path.exists(out) and not os.path.isdir(out):
        raise CLIError(f"{out}: exists and is not a directory (-o names an output directory)")
    os.makedirs(out, exist_ok=True)
    lock = _writers.lock_directory(out)
    try:
        return _run_locked(args, source, model, settings, input_fp, out)
    finally:
        if lock is not None:
            os.close(lock)


def _run_locked(
    args: argparse.Namespace, source: Any, model: Any, settings: dict, input_fp: Any, out: str
) -> int:
    manifest = _prepare(out, settings, input_fp, args.overwrite)
    if manifest is not None:
        rows = _resume.checked_rows(source, manifest, out)
        if manifest.get("complete"):
            _say(args, f"{out}: already complete ({manifest['rows']:,} rows); nothing to do")
            return 0
    else:
        if not source.regular:
            _say(args, f"{source.name}: a stream, read once; an interrupted run cannot resume")
        manifest = {
            "version": _writers.MANIFEST_VERSION,
            "settings": settings,
            "input_fingerprint": input_fp,
            "rows": 0,
            "parts": [],
            "complete": False,
        }
        _writers.write_manifest(out, manifest)
        rows = source.rows()
    start_row = manifest["rows"]
    if start_row:
        n_parts = len(manifest["parts"])
        _say(args, f"{out}: resuming after {start_row:,} rows ({n_parts} parts, input checked)")
    progress = Progress(total=source.total_rows, initial=start_row, enabled=not args.quiet)
    try:
        while True:
            texts = list(islice(rows, args.part_size))
            if not texts:
                break
            digest = source.take_digest()
            index, first = len(manifest["parts"]), manifest["rows"]
            vectors = _encode_part(model, texts, args, progress)
            name = _writers.write_part(out, index, args.format, vectors, first)
            manifest["parts"].append(
                {
                    "file": name,
                    "first_id": first,
                    "rows": len(texts),
                    "input_offset": source.offset,
                    "sha256": digest,
                }
            )
            manifest["rows"] = first + len(texts)
            _writers.write_manifest(out, manifest)
            if len(texts) < args.part_size:
                break
    finally:
        progress.close()
    manifest["complete"] = True
    _writers.write_manifest(out, manifest)
    n_parts = len(manifest["parts"])
    _say(args, f"{out}: {manifest['rows']:,} embeddings of dim {model.dim} in {n_parts} parts")
    return 0


def _encode_part(
    model: Any,
    texts: list[str],
    args: argparse.Namespace,
    progress: Progress,
) -> Any:
    """The part's vectors, batch by batch (the progress bar moves per batch)."""
    out = np.empty((len(texts), model.dim), dtype=np.float32)
    step = args.batch_size
    for start in range(0, len(texts), step):
        stop = min(start + step, len(texts))
        batch = texts[start:stop]
        out[start:stop] = model.encode(batch, batch_size=step, n_threads=args.threads)
        progress.update(stop - start)
    return out


def _say(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr)
