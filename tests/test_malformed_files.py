"""Malformed model folders raise ValueError naming the file: no crash, no hang, bounded memory.

The corpus is tests/malformed_corpus.py (113 folders: safetensors headers and
data, tokenizer.json, config.json). Every folder is loaded in a forked child
under a 10 s limit; its peak-RSS growth must stay below twice the broken
file's size plus 100 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    dest = tmp_path_factory.mktemp("malformed")
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import malformed_corpus as m; "
        "from pathlib import Path; "
        "print(json.dumps(m.run_cases(m.build(Path(sys.argv[2])))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(HERE), str(dest)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_corpus_is_large_enough(results):
    files = {r["name"]: r for r in results}
    assert len(files) >= 60
    assert sum(r["file"] == "model.safetensors" for r in results) >= 40


def test_every_malformed_folder_raises_a_clear_value_error(results):
    sys.path.insert(0, str(HERE))
    from malformed_corpus import problems

    failures = {r["name"]: problems(r) for r in results if problems(r)}
    assert not failures, json.dumps(failures, indent=1)[:5000]
