"""fastpool.train: the row-sparse autograd, both roads, featurize, resume after kill -9."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import fastpool  # noqa: E402
from fastpool.train._rows import BagMean, RowAdam, make_batch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from stdlib_sentences import sentences as stdlib_sentences  # noqa: E402

WORDS = stdlib_sentences()[:400]


def _pairs(n: int = 240) -> tuple[list[str], list[str]]:
    # Real text: a docstring sentence and the sentence after it are a (query, positive) pair.
    return WORDS[0 : 2 * n : 2], WORDS[1 : 2 * n : 2]


def _csr(rng: np.random.Generator, n_rows: int, n_ids: int) -> tuple[np.ndarray, np.ndarray]:
    lengths = rng.integers(0, 7, n_rows)
    offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    return rng.integers(0, n_ids, offsets[-1]).astype(np.int64), offsets


def test_bag_mean_gradients_match_dense_autograd() -> None:
    rng = np.random.default_rng(0)
    ids, offsets = _csr(rng, 9, 12)
    table = torch.randn(12, 5, dtype=torch.float64, requires_grad=True)
    weights = (torch.rand(12, dtype=torch.float64) + 0.5).requires_grad_()
    out = BagMean.apply(table, weights, make_batch(ids, offsets))
    probe = torch.randn_like(out)
    (out * probe).sum().backward()
    t2, w2 = table.detach().clone().requires_grad_(), weights.detach().clone().requires_grad_()
    lengths = torch.from_numpy(np.maximum(np.diff(offsets), 1))
    ref = F.embedding_bag(torch.from_numpy(ids), t2, torch.from_numpy(offsets[:-1]), mode="sum",
                          per_sample_weights=w2[torch.from_numpy(ids)])  # fmt: skip
    ref = ref / lengths[:, None]
    torch.testing.assert_close(out, ref)
    (ref * probe).sum().backward()
    assert table.grad is not None and table.grad.is_sparse  # never a dense table gradient
    torch.testing.assert_close(table.grad.to_dense(), t2.grad)
    torch.testing.assert_close(weights.grad.to_dense(), w2.grad)


def test_row_adam_is_sparse_adam() -> None:
    rng = np.random.default_rng(1)
    a = torch.nn.Parameter(torch.randn(20, 4))
    b = torch.nn.Parameter(a.detach().clone())
    mine, theirs = RowAdam([a], lr=0.1), torch.optim.SparseAdam([b], lr=0.1)
    for _ in range(5):
        ids, offsets = _csr(rng, 6, 20)
        for p, opt in ((a, mine), (b, theirs)):
            opt.zero_grad()
            BagMean.apply(p, torch.ones(20), make_batch(ids, offsets)).pow(2).sum().backward()
            opt.step()
    torch.testing.assert_close(a, b)


def test_contrastive_loss_falls_and_is_deterministic(tmp_path: Path) -> None:
    from fastpool.train.contrastive import train_contrastive

    q, p = _pairs()
    kw: dict[str, Any] = dict(
        batch_size=32, epochs=3, lr=0.02, matryoshka_dims=[32, 64], heldout=0.2,
        patience=None, show_progress_bar=False, n_threads=1,
    )  # fmt: skip
    one = train_contrastive(q, p, **kw)
    two = train_contrastive(q, p, **kw)
    h = one.history
    assert h.heldout_loss[-1] < h.heldout_loss[0]
    assert np.mean(h.train_loss[-5:]) < np.mean(h.train_loss[:5])
    assert one.model.table.shape == fastpool.load().table.shape
    np.testing.assert_array_equal(one.model.table, two.model.table)
    assert one.model.config["fastpool_training"]["matryoshka_dims"] == [256, 64, 32]


def test_contrastive_from_a_random_table() -> None:
    from fastpool.train.contrastive import train_contrastive

    q, p = _pairs(120)
    run = train_contrastive(q, p, random_init=True, dim=48, batch_size=40, epochs=4, lr=0.05,
                            heldout=0.0, show_progress_bar=False, n_threads=1)  # fmt: skip
    assert run.model.dim == 48
    assert np.mean(run.history.train_loss[-3:]) < np.mean(run.history.train_loss[:3])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"queries": ["a b", ""]}, ValueError, r"queries\[1\] is an empty text"),
        ({"queries": ["a b"]}, ValueError, "must have the same length"),
        ({"queries": "a b"}, TypeError, "queries must be a sequence of str"),
        ({"batch_size": 1}, ValueError, "batch_size must be >= 2"),
        ({"matryoshka_dims": [512]}, ValueError, r"matryoshka_dims must be in \[1, 256\]"),
        ({"epochs": 0}, ValueError, "epochs must be an int >= 1"),
    ],
)
def test_contrastive_bad_input(kwargs: dict, error: type, match: str) -> None:
    from fastpool.train.contrastive import train_contrastive

    args = {"queries": ["a b", "c d"], "positives": ["e f", "g h"], **kwargs}
    with pytest.raises(error, match=match):
        train_contrastive(args.pop("queries"), args.pop("positives"), show_progress_bar=False,
                          heldout=0.0, **args)  # fmt: skip


def test_mnrl_with_negatives_scores_them_beside_the_positives() -> None:
    from fastpool.train._losses import matryoshka, mnrl

    g = torch.Generator().manual_seed(0)
    q, p, n = (torch.randn(5, 8, generator=g, dtype=torch.float64) for _ in range(3))
    unit = [x.numpy() / np.linalg.norm(x.numpy(), axis=1, keepdims=True) for x in (q, p, n)]
    scores = 7.0 * unit[0] @ np.concatenate([unit[1], unit[2]]).T  # 5 queries x 10 candidates
    logsumexp = np.log(np.exp(scores).sum(axis=1))
    want = float(np.mean(logsumexp - scores[np.arange(5), np.arange(5)]))
    assert float(mnrl(q, p, 7.0, n)) == pytest.approx(want, rel=1e-12)
    assert float(mnrl(q, p, 7.0, n)) > float(mnrl(q, p, 7.0))  # more candidates, more loss
    prefix = float(mnrl(q[:, :4], p[:, :4], 7.0, n[:, :4]))
    assert float(matryoshka(q, p, [8, 4], 7.0, n)) == pytest.approx(want + prefix, rel=1e-12)


def test_contrastive_with_hard_negatives() -> None:
    from fastpool.train.contrastive import train_contrastive

    q, p = _pairs(120)
    negatives = p[1:] + p[:1]  # another row's positive: a real text, never this query's
    kw: dict[str, Any] = dict(batch_size=40, epochs=3, lr=0.02, heldout=0.2, patience=None,
                              show_progress_bar=False, n_threads=1)  # fmt: skip
    one = train_contrastive(q, p, negatives=negatives, **kw)
    two = train_contrastive(q, p, negatives=negatives, **kw)
    plain = train_contrastive(q, p, **kw)
    np.testing.assert_array_equal(one.model.table, two.model.table)
    assert not np.array_equal(one.model.table, plain.model.table)
    h = one.history
    assert h.heldout_loss[-1] < h.heldout_loss[0]
    assert np.mean(h.train_loss[-3:]) < np.mean(h.train_loss[:3])
    assert one.model.config["fastpool_training"]["hard_negatives"] is True
    assert "hard_negatives" not in plain.model.config["fastpool_training"]
    with pytest.raises(ValueError, match="queries and negatives must have the same length"):
        train_contrastive(q, p, negatives=negatives[:-1], **kw)
    with pytest.raises(ValueError, match=r"negatives\[2\] is an empty text"):
        train_contrastive(q, p, negatives=negatives[:2] + [" "] + negatives[3:], **kw)


def test_geometry_loss_is_one_minus_row_pearson_off_the_diagonal() -> None:
    from fastpool.train._losses import geometry

    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(7, 5)), rng.normal(size=(7, 9))  # widths may differ

    def sims(x: np.ndarray) -> np.ndarray:
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        s = x @ x.T
        return s[~np.eye(len(x), dtype=bool)].reshape(len(x), -1)

    a, b = sims(pred), sims(target)
    want = 1 - np.mean([np.corrcoef(a[i], b[i])[0, 1] for i in range(len(a))])
    got = geometry(torch.tensor(pred), torch.tensor(target))
    assert float(got) == pytest.approx(want, abs=1e-9)
    assert float(geometry(torch.tensor(target), torch.tensor(target))) == pytest.approx(0, abs=1e-9)
    # scale and offset of the cosines do not matter: the student keeps its own
    assert float(geometry(torch.tensor(pred), torch.tensor(pred * 3))) == pytest.approx(0, abs=1e-9)


def test_contrastive_geometry_term_pulls_towards_the_targets_ranking() -> None:
    from fastpool.train._losses import geometry
    from fastpool.train.contrastive import train_contrastive

    q, p = _pairs(120)
    g_texts = WORDS[240:400]
    targets = np.random.default_rng(1).normal(size=(len(g_texts), 24)).astype(np.float32)
    kw: dict[str, Any] = dict(batch_size=40, epochs=4, lr=0.02, heldout=0.0,
                              show_progress_bar=False, n_threads=1)  # fmt: skip
    plain = train_contrastive(q, p, **kw).model
    mixed = train_contrastive(q, p, geometry_texts=g_texts, geometry_targets=targets,
                              geometry_weight=5.0, geometry_batch=40, **kw)  # fmt: skip
    again = train_contrastive(q, p, geometry_texts=g_texts, geometry_targets=targets,
                              geometry_weight=5.0, geometry_batch=40, **kw)  # fmt: skip
    np.testing.assert_array_equal(mixed.model.table, again.model.table)
    t = torch.tensor(targets)
    before = float(geometry(torch.tensor(plain.encode(g_texts)), t))
    after = float(geometry(torch.tensor(mixed.model.encode(g_texts)), t))
    assert after < before
    assert mixed.model.config["fastpool_training"]["geometry_weight"] == 5.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"geometry_texts": ["a b", "c d", "e f"]}, "go together"),
        ({"geometry_targets": np.ones((3, 4))}, "go together"),
        ({"geometry_texts": ["a b", "c"], "geometry_targets": np.ones((3, 4))}, "same length"),
        ({"geometry_texts": ["a", "b", "c"], "geometry_targets": np.ones(3)}, "2-d float"),
        ({"geometry_weight": -1.0}, "geometry_weight must be"),
        ({"geometry_batch": 2}, "geometry_batch must be >= 3"),
    ],
)
def test_contrastive_geometry_bad_input(kwargs: dict, match: str) -> None:
    from fastpool.train.contrastive import train_contrastive

    args = {"geometry_texts": ["a b", "c d", "e f"], "geometry_targets": np.ones((3, 4)),
            **kwargs}  # fmt: skip
    if "geometry_texts" in kwargs and "geometry_targets" not in kwargs and match == "go together":
        args.pop("geometry_targets")
    if "geometry_targets" in kwargs and "geometry_texts" not in kwargs and match == "go together":
        args.pop("geometry_texts")
    with pytest.raises(ValueError, match=match):
        train_contrastive(["a b", "c d"], ["e f", "g h"], show_progress_bar=False, heldout=0.0,
                          **args)  # fmt: skip


def test_fit_tokenlearn_losses_fall() -> None:
    from fastpool.train.fit import fit, pca_targets

    texts = WORDS[:300]
    rng = np.random.default_rng(0)
    # Targets that a static model can reach: another static model's text vectors, widened.
    other = fastpool.load().encode(texts) @ rng.standard_normal((256, 300)).astype(np.float32)
    assert pca_targets(other, 64, np.arange(300)).shape == (300, 64)
    for loss in ("cosine", "mse", "contrastive"):
        run = fit(texts, other, loss=loss, epochs=3, batch_size=50, lr=5e-3, heldout=0.2,
                  patience=None, show_progress_bar=False, n_threads=1)  # fmt: skip
        assert run.history.heldout_loss[-1] < run.history.heldout_loss[0], loss
    with pytest.raises(ValueError, match=r"targets must have shape \(300, width\)"):
        fit(texts, other[:10], show_progress_bar=False)
    with pytest.raises(ValueError, match="loss must be one of"):
        fit(texts, other, loss="l1", show_progress_bar=False)
    with pytest.raises(ValueError, match="narrower than the model's 256"):
        fit(texts, other[:, :100], show_progress_bar=False)


def test_saved_model_loads_in_model2vec_and_sentence_transformers(tmp_path: Path) -> None:
    from fastpool.train.contrastive import train_contrastive

    q, p = _pairs(80)
    model = train_contrastive(q, p, batch_size=40, epochs=1, heldout=0.0,
                              show_progress_bar=False, n_threads=1).model  # fmt: skip
    folder = model.save_pretrained(tmp_path / "m")
    ours = fastpool.load(folder).encode(q[:20])
    m2v = pytest.importorskip("model2vec")
    np.testing.assert_allclose(m2v.StaticModel.from_pretrained(folder).encode(q[:20]), ours,
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    st = pytest.importorskip("sentence_transformers")
    from sentence_transformers.models import StaticEmbedding

    emb = StaticEmbedding.from_model2vec(str(folder))
    theirs = st.SentenceTransformer(modules=[emb], device="cpu").encode(q[:20])
    theirs = theirs / np.linalg.norm(theirs, axis=1, keepdims=True)
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-5)


RESUME_SCRIPT = """
import sys, json
from fastpool.train.contrastive import train_contrastive
q, p = json.load(open(sys.argv[1]))
run = train_contrastive(q, p, batch_size=16, epochs=4, lr=0.02, heldout=0.1, patience=None,
                        checkpoint_dir=sys.argv[2], checkpoint_every=3,
                        show_progress_bar=False, n_threads=1)
run.model.save_pretrained(sys.argv[3])
"""


def test_resume_after_kill_9_loses_nothing(tmp_path: Path) -> None:
    q, p = _pairs(240)
    data = tmp_path / "pairs.json"
    data.write_text(json.dumps([q, p]))
    script = tmp_path / "run.py"
    script.write_text(RESUME_SCRIPT)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}

    def start(ckpt: str, out: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, str(script), str(data), ckpt, out], env=env)

    # Uninterrupted reference.
    assert start(str(tmp_path / "ref-ckpt"), str(tmp_path / "ref")).wait() == 0
    proc = start(str(tmp_path / "ckpt"), str(tmp_path / "out"))
    checkpoint = tmp_path / "ckpt" / "checkpoint.pt"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert checkpoint.exists()
    assert start(str(tmp_path / "ckpt"), str(tmp_path / "out")).wait() == 0
    ref = fastpool.load(tmp_path / "ref").table
    np.testing.assert_array_equal(fastpool.load(tmp_path / "out").table, ref)


def test_checkpoint_of_another_run_is_refused(tmp_path: Path) -> None:
    from fastpool.train.contrastive import train_contrastive

    q, p = _pairs(60)
    kw: dict[str, Any] = dict(
        epochs=1, heldout=0.0, checkpoint_dir=tmp_path, show_progress_bar=False
    )
    train_contrastive(q, p, batch_size=20, **kw)
    with pytest.raises(ValueError, match="was written by another run"):
        train_contrastive(q, p, batch_size=30, **kw)


def test_classifier_single_and_multi_label(tmp_path: Path) -> None:
    from fastpool.train.classifier import StaticClassifier

    texts = WORDS[:200]
    labels = ["file" if "file" in t.lower() else "other" for t in texts]
    clf = StaticClassifier.fit(texts, labels, epochs=30, heldout=0.2, n_threads=1)
    assert clf.predict_proba(texts[:5]).shape == (5, 2)
    assert clf.evaluate(texts, labels)["accuracy"] > 0.8
    again = StaticClassifier.load(clf.save(tmp_path / "clf"))
    np.testing.assert_allclose(again.predict_proba(texts), clf.predict_proba(texts), atol=1e-4)
    multi = [[w for w in ("file", "return") if w in t.lower()] for t in texts]
    mlp = StaticClassifier.fit(texts, multi, hidden_dim=16, epochs=30, n_threads=1)
    assert mlp.multilabel and mlp.predict_proba(texts[:3]).shape == (3, 2)
    with pytest.raises(ValueError, match="one class only"):
        StaticClassifier.fit(texts[:3], ["a", "a", "a"])
    with pytest.raises(ValueError, match=r"texts\[1\] is an empty text"):
        StaticClassifier.fit(["a b", " "], ["a", "b"])


def test_cli_train_and_bad_data(tmp_path: Path) -> None:
    from fastpool.cli import main

    q, p = _pairs(60)
    data = tmp_path / "pairs.jsonl"
    data.write_text(
        "".join(json.dumps({"query": a, "positive": b}) + "\n" for a, b in zip(q, p, strict=True))  # noqa: E501
    )
    out = tmp_path / "m"
    assert main(["train", "contrastive", str(data), "-o", str(out), "--batch-size", "20",
                 "--epochs", "1", "-q"]) == 0  # fmt: skip
    assert fastpool.load(out).dim == 256
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"query": "a"}) + "\n")
    assert main(["train", "contrastive", str(bad), "-o", str(tmp_path / "x"), "-q"]) == 2
    one = tmp_path / "one.jsonl"
    one.write_text("".join(json.dumps({"text": t, "label": "a"}) + "\n" for t in q[:5]))
    assert main(["train-classifier", str(one), "-o", str(tmp_path / "c"), "-q"]) == 2


def test_cli_train_contrastive_with_a_negative_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastpool.cli import main

    q, p = _pairs(60)
    data = tmp_path / "triplets.jsonl"
    data.write_text("".join(json.dumps({"query": a, "positive": b, "neg": c}) + "\n"
                            for a, b, c in zip(q, p, p[1:] + p[:1], strict=True)))  # fmt: skip
    out = tmp_path / "m"
    args = ["train", "contrastive", str(data), "--batch-size", "20", "--epochs", "1", "-q"]
    assert main([*args, "-o", str(out), "--negative-column", "neg"]) == 0
    assert fastpool.load(out).config["fastpool_training"]["hard_negatives"] is True
    assert main([*args, "-o", str(tmp_path / "x"), "--negative-column", "negative"]) == 2
    assert "no 'negative' column" in capsys.readouterr().err
    tokenlearn = ["train", "tokenlearn", str(tmp_path), "-o", str(tmp_path / "t"), "-q"]
    assert main([*tokenlearn, "--negative-column", "neg"]) == 2
    assert "--negative-column is a contrastive option" in capsys.readouterr().err


def test_cli_train_contrastive_with_geometry(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from test_distill import _write_teacher

    from fastpool.cli import main
    from fastpool.train.featurize import featurize

    q, p = _pairs(60)
    data = tmp_path / "pairs.jsonl"
    data.write_text(
        "".join(json.dumps({"query": a, "positive": b}) + "\n" for a, b in zip(q, p, strict=True))
    )
    features = featurize(_write_teacher(tmp_path / "teacher"), WORDS[200:260], tmp_path / "f",
                         show_progress_bar=False, n_threads=1)  # fmt: skip
    out = tmp_path / "m"
    assert main(["train", "contrastive", str(data), "-o", str(out), "--batch-size", "20",
                 "--epochs", "1", "--geometry", str(features), "--geometry-weight", "2",
                 "--geometry-batch", "20", "-q"]) == 0  # fmt: skip
    recipe = fastpool.load(out).config["fastpool_training"]
    assert (recipe["geometry_weight"], recipe["geometry_batch"], recipe["geometry_texts"]) == (
        2.0,
        20,
        60,
    )
    bad = [["--geometry", str(tmp_path / "teacher")],  # not a featurize folder
           ["--geometry", str(features), "--geometry-batch", "2"]]  # fmt: skip
    for extra in bad:
        assert (
            main(["train", "contrastive", str(data), "-o", str(tmp_path / "x"), "-q", *extra]) == 2
        )
    assert main(["train", "tokenlearn", str(features), "-o", str(tmp_path / "t"), "-q",
                 "--geometry", str(features)]) == 2  # fmt: skip


def test_featurize_resumes_and_matches_the_teacher(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from test_distill import _write_teacher

    from fastpool.train.featurize import _chunk_path, featurize, load_features

    teacher = _write_teacher(tmp_path / "teacher")
    texts = ["the city of the world", "school time", "new state university", "the"] * 3
    out = featurize(teacher, texts, tmp_path / "f", chunk_size=5, batch_size=2,
                    show_progress_bar=False, n_threads=1)  # fmt: skip
    first = load_features(out)
    _chunk_path(out, 1).unlink()  # as after a kill: the missing chunk is redone, others kept
    with pytest.raises(ValueError, match="is incomplete"):
        load_features(out)
    featurize(teacher, texts, out, chunk_size=5, batch_size=2, show_progress_bar=False)
    again = load_features(out)
    assert again.texts == texts
    np.testing.assert_allclose(again.tokens, first.tokens, rtol=1e-5, atol=1e-6)
    # The reference: the teacher's own modules, mean over the non-special tokens.
    import transformers
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(teacher / "tokenizer.json"))
    bert = transformers.BertModel.from_pretrained(str(teacher)).eval()
    enc = tok.encode(texts[0])
    with torch.no_grad():
        hidden = bert(torch.tensor([enc.ids])).last_hidden_state[0].numpy()
    np.testing.assert_allclose(again.tokens[0], hidden[1:-1].mean(0), rtol=1e-4, atol=1e-5)
    sentence = hidden.mean(0) / np.linalg.norm(hidden.mean(0))
    np.testing.assert_allclose(again.sentence[0], sentence, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="another corpus"):
        featurize(teacher, texts[:4], out, chunk_size=5, show_progress_bar=False)


# -- the native kernels (float32) against the torch formulas ---------------------------------


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("need", [(True, True), (True, False), (False, True)])
def test_native_backward_matches_dense_autograd(threads: int, need: tuple[bool, bool]) -> None:
    from fastpool.train._rows import native_backward

    rng = np.random.default_rng(5)
    ids, offsets = _csr(rng, 40, 30)
    ids[:3] = 29  # repeated ids and the last valid id
    offsets[5] = offsets[4]  # an empty row
    offsets[6:] = np.maximum(offsets[6:], offsets[5])
    table = torch.randn(30, 16)
    weights = torch.rand(30) + 0.5
    batch = make_batch(ids, offsets)
    grad = torch.randn(offsets.size - 1, 16)
    t2, w2 = table.clone().requires_grad_(), weights.clone().requires_grad_()
    lengths = torch.from_numpy(np.maximum(np.diff(offsets), 1))
    ref = F.embedding_bag(torch.from_numpy(ids), t2, torch.from_numpy(offsets[:-1]), mode="sum",
                          per_sample_weights=w2[torch.from_numpy(ids)])  # fmt: skip
    ref = ref / lengths[:, None]
    (ref * grad).sum().backward()
    torch.set_num_threads(threads)
    try:
        g_table, g_weights = native_backward(grad, table, weights, batch, *need)
    finally:
        torch.set_num_threads(2)
    if need[0]:
        assert g_table is not None and g_table.is_sparse
        assert g_table.values().shape[0] == np.unique(ids).size  # one row per distinct id
        torch.testing.assert_close(g_table.to_dense(), t2.grad, rtol=1e-5, atol=1e-6)
    else:
        assert g_table is None
    if need[1]:
        assert g_weights is not None
        torch.testing.assert_close(g_weights.to_dense(), w2.grad, rtol=1e-5, atol=1e-5)
    else:
        assert g_weights is None


def test_bag_mean_float32_takes_the_native_path_and_matches_float64() -> None:
    rng = np.random.default_rng(6)
    ids, offsets = _csr(rng, 25, 18)
    grads = []
    for dtype in (torch.float32, torch.float64):
        g = torch.Generator().manual_seed(0)
        table = torch.randn(18, 8, generator=g).to(dtype).requires_grad_()
        weights = (torch.rand(18, generator=g) + 0.5).to(dtype).requires_grad_()
        out = BagMean.apply(table, weights, make_batch(ids, offsets))
        (out * torch.arange(out.numel()).reshape(out.shape).to(dtype).sin()).sum().backward()
        assert table.grad is not None and weights.grad is not None
        grads.append((table.grad.to_dense().double(), weights.grad.to_dense().double()))
    torch.testing.assert_close(grads[0][0], grads[1][0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grads[0][1], grads[1][1], rtol=1e-5, atol=1e-5)


def test_native_row_adam_matches_torch_formula_on_both_parameters() -> None:
    # float32 runs natively; float64 through the torch formulas: same steps, same result.
    params = {}
    for dtype in (torch.float32, torch.float64):
        g = torch.Generator().manual_seed(1)
        table = torch.nn.Parameter(torch.randn(25, 6, generator=g).to(dtype))
        weights = torch.nn.Parameter((torch.rand(25, generator=g) + 0.5).to(dtype))
        opt = RowAdam([table, weights], lr=0.05)
        batches = np.random.default_rng(7)
        for _ in range(4):
            ids, offsets = _csr(batches, 8, 25)
            opt.zero_grad()
            out = BagMean.apply(table, weights, make_batch(ids, offsets))
            out.sin().sum().backward()
            opt.step()
        params[dtype] = (table.detach().double(), weights.detach().double())
    for a, b in zip(params[torch.float32], params[torch.float64], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_native_kernels_reject_mismatched_shapes() -> None:
    from fastpool.train import _native

    z = np.zeros
    with pytest.raises(ValueError, match="gradient width"):
        _native.bag_backward_rows(z((2, 3), np.float32), z(2, np.float32), z(0, np.int64),
                                  z(0, np.int64), z(0, np.int64), z((4, 5), np.float32),
                                  z(4, np.float32), z((0, 5), np.float32), z(0, np.float32),
                                  True, False, 1)  # fmt: skip
    with pytest.raises(ValueError, match="grad must be"):
        _native.row_adam_rows(z((4, 3), np.float32), z((4, 3), np.float32),
                              z((4, 3), np.float32), z(2, np.int64), z((1, 3), np.float32),
                              0.9, 0.999, 1e-8, 0.1, 1)  # fmt: skip
    with pytest.raises(ValueError, match="Buffer dtype mismatch"):
        _native.row_adam_rows(z((4, 3)), z((4, 3), np.float32), z((4, 3), np.float32),
                              z(1, np.int64), z((1, 3), np.float32),
                              0.9, 0.999, 1e-8, 0.1, 1)  # fmt: skip
