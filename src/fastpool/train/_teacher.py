"""A local transformer teacher run over texts: hidden states pooled two ways (see featurize)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import AutoModel

from ..distill._bert import compact_bert
from ..distill._distill import teacher_folder

# Families whose position ids start after the padding index (RoBERTa's layout).
_PADDED_POSITIONS = {"roberta", "xlm-roberta", "camembert", "mpnet", "longformer"}


def _positions(config: Any) -> int:
    """How many tokens the teacher can take: its position table, less RoBERTa's offset."""
    limit = getattr(config, "max_position_embeddings", None)
    if not isinstance(limit, int) or limit < 1:
        return 1 << 30
    if getattr(config, "model_type", None) in _PADDED_POSITIONS:
        limit -= int(getattr(config, "pad_token_id", None) or 0) + 1
    return max(limit, 1)


class Teacher:
    def __init__(self, teacher: str | Path, *, max_length: int) -> None:
        folder = teacher_folder(teacher)
        tok_path = folder / "tokenizer.json"
        if not tok_path.is_file():
            tok_path = Path(teacher) / "tokenizer.json"
        self.tokenizer = Tokenizer.from_file(str(tok_path))
        self.tokenizer.no_padding()
        self.model = AutoModel.from_pretrained(str(folder)).eval()
        # Never past the teacher's position table (a longer text would not run at all).
        self.tokenizer.enable_truncation(min(max_length, _positions(self.model.config)))
        self.compact = compact_bert(self.model, torch.device("cpu"))
        self.pad_id = self.tokenizer.padding["pad_id"] if self.tokenizer.padding else 0

    @torch.inference_mode()
    def embed(self, texts: list[str], batch_size: int, bar: Any) -> tuple[np.ndarray, np.ndarray]:
        encodings = self.tokenizer.encode_batch(texts)
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(lengths, kind="stable")
        sentence = tokens = None
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())
            ids = np.full((rows.size, width), self.pad_id, dtype=np.int64)
            special = np.ones((rows.size, width), dtype=bool)
            for j, r in enumerate(rows):
                ids[j, : lengths[r]] = encodings[r].ids
                special[j, : lengths[r]] = np.asarray(encodings[r].special_tokens_mask, bool)
            mask = np.arange(width) < lengths[rows][:, None]
            input_ids = torch.from_numpy(ids)
            attention = torch.from_numpy(mask.astype(np.int64))
            if self.compact is not None:
                hidden = self.compact(input_ids, attention)
            else:
                kwargs = {"token_type_ids": torch.zeros_like(input_ids)}
                hidden = self.model(input_ids=input_ids, attention_mask=attention, **kwargs)
                hidden = hidden.last_hidden_state
            hidden = hidden.float()
            m = torch.from_numpy(mask.astype(np.float32))[..., None]
            sent = (hidden * m).sum(1) / m.sum(1).clamp_min(1.0)
            sent = sent / sent.norm(dim=1, keepdim=True).clamp_min(1e-12)
            content = torch.from_numpy((mask & ~special).astype(np.float32))[..., None]
            tok = (hidden * content).sum(1) / content.sum(1).clamp_min(1.0)
            if sentence is None:
                sentence = np.empty((len(texts), sent.shape[1]), dtype=np.float32)
                tokens = np.empty_like(sentence)
            sentence[rows] = sent.numpy()
            tokens[rows] = tok.numpy()  # type: ignore[index]
            if bar is not None:
                bar.update(rows.size)
        assert sentence is not None and tokens is not None
        return sentence, tokens
