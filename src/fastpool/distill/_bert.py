"""A compact float32 forward pass for BERT teachers on CPU, for distillation's short sequences.

Distillation runs every vocabulary token through the teacher as ``[CLS] token [SEP]``: ~30,000
sequences of three positions. On such sequences Hugging Face's ``BertModel`` spends about a
third of its CPU time outside the linear layers (the attention kernel's set-up for each 3 x 3
problem, a softmax over rows of three, copies between head layouts), and its float32
``nn.Linear`` goes through torch's default CPU matmul, which on the AMD EPYC we measured runs a
768 x 384 by 384 x 1536 product in 8.5 ms where oneDNN's float32 kernel takes 3.7 ms.

``CompactBert`` does the same float32 arithmetic in fewer steps:

- every linear layer through oneDNN (``torch.ops.mkldnn._linear_pointwise``, a private torch op,
  so it is first checked once against ``F.linear``), with the GELU fused into the intermediate
  layer and the query, key and value products merged into one;
- attention over sequences of at most ``SHORT_SEQUENCE`` positions as broadcast products and an
  explicit softmax (no per-problem kernel set-up); longer ones use
  ``scaled_dot_product_attention``.

It reproduces ``BertModel(...).last_hidden_state`` to float32 rounding (tests compare the two;
measured max relative difference ~1e-6). ``compact_bert`` returns None for anything it does not
reproduce exactly (other architectures or position encodings, other activations, decoders,
pruned heads, non-float32 weights, non-CPU devices, a torch without that op or where it fails
its check), and the caller runs the teacher itself.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch
import torch.nn.functional as F

# Sequences up to this long take the broadcast attention; its intermediate tensor has
# batch * S * S * hidden elements, which stays small only for short S.
SHORT_SEQUENCE = 4


@functools.lru_cache(maxsize=1)
def _onednn_linear_available() -> bool:
    """Whether oneDNN's fused linear op exists here and computes what F.linear + GELU does.

    It is a private torch op: a torch that renamed or changed it makes the teacher run its own
    modules instead of failing (or, worse, computing something else).
    """
    if not torch.backends.mkldnn.is_available():
        return False
    if not hasattr(torch.ops.mkldnn, "_linear_pointwise"):
        return False
    g = torch.Generator().manual_seed(0)
    x, w, b = (torch.randn(*shape, generator=g) for shape in ((3, 8), (5, 8), (5,)))
    try:
        with torch.inference_mode():
            plain, fused = _Linear(w, b)(x), _Linear(w, b, gelu=True)(x)
            want = F.linear(x, w, b)
            return bool(
                torch.allclose(plain, want, rtol=1e-5, atol=1e-6)
                and torch.allclose(fused, F.gelu(want), rtol=1e-5, atol=1e-6)
            )
    except (RuntimeError, TypeError, AttributeError):
        return False


class _Linear:
    """y = x W^T + b through oneDNN, optionally followed by GELU (erf form) in the same pass."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, gelu: bool = False) -> None:
        weight = weight.detach().contiguous()
        # Reordered once into oneDNN's blocked layout instead of on every call (~4% faster;
        # bit-identical results, measured).
        reorder = getattr(torch.ops.mkldnn, "_reorder_linear_weight", None)
        self.weight = reorder(weight) if reorder is not None else weight
        self.bias = bias.detach().contiguous()
        # _linear_pointwise(input, weight, bias, attr, scalars, algorithm): "gelu" with
        # algorithm "none" is the exact (erf) GELU, as BERT's hidden_act "gelu".
        self.attr, self.algorithm = ("gelu", "none") if gelu else ("none", "")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.mkldnn._linear_pointwise(
            x, self.weight, self.bias, self.attr, [], self.algorithm
        )


class _Layer:
    """One encoder layer's weights: the query, key and value products merged into one."""

    def __init__(self, layer: Any) -> None:
        attention = layer.attention
        parts = (attention.self.query, attention.self.key, attention.self.value)
        self.qkv = _Linear(
            torch.cat([p.weight.detach() for p in parts]),
            torch.cat([p.bias.detach() for p in parts]),
        )
        self.out = _Linear(attention.output.dense.weight, attention.output.dense.bias)
        self.out_norm = _norm_weights(attention.output.LayerNorm)
        self.up = _Linear(layer.intermediate.dense.weight, layer.intermediate.dense.bias, gelu=True)
        self.down = _Linear(layer.output.dense.weight, layer.output.dense.bias)
        self.down_norm = _norm_weights(layer.output.LayerNorm)


def _norm_weights(norm: Any) -> tuple[torch.Tensor, torch.Tensor]:
    return norm.weight.detach(), norm.bias.detach()


def _supported(model: Any) -> bool:
    config = getattr(model, "config", None)
    if config is None or getattr(config, "model_type", None) != "bert":
        return False
    if getattr(config, "position_embedding_type", "absolute") != "absolute":
        return False
    if getattr(config, "hidden_act", None) != "gelu":
        return False
    if getattr(config, "is_decoder", False) or getattr(config, "add_cross_attention", False):
        return False
    if model.training or not hasattr(model, "embeddings") or not hasattr(model, "encoder"):
        return False
    hidden = config.hidden_size
    if hidden % config.num_attention_heads:
        return False
    for p in model.parameters():
        if p.dtype != torch.float32 or p.device.type != "cpu":
            return False
    try:
        for layer in model.encoder.layer:
            attention = layer.attention.self
            for part in (attention.query, attention.key, attention.value):
                if tuple(part.weight.shape) != (hidden, hidden) or part.bias is None:
                    return False  # pruned heads or no bias: not the plain layout
    except AttributeError:
        return False
    return True


def compact_supported(model: Any, device: torch.device) -> bool:
    """Whether ``CompactBert`` reproduces ``model`` on ``device``."""
    return device.type == "cpu" and _onednn_linear_available() and _supported(model)


def compact_bert(model: Any, device: torch.device) -> CompactBert | None:
    """A ``CompactBert`` for ``model`` when it reproduces it exactly on ``device``, else None."""
    return CompactBert(model) if compact_supported(model, device) else None


class CompactBert:
    """``BertModel``'s float32 forward (last hidden state) for inference on CPU; see the module."""

    def __init__(self, model: Any) -> None:
        config = model.config
        self.hidden = config.hidden_size
        self.heads = config.num_attention_heads
        self.eps = config.layer_norm_eps
        emb = model.embeddings
        self.word = emb.word_embeddings.weight.detach()
        self.position = emb.position_embeddings.weight.detach()
        self.token_type = emb.token_type_embeddings.weight.detach()
        self.embedding_norm = _norm_weights(emb.LayerNorm)
        self.layers = [_Layer(layer) for layer in model.encoder.layer]

    def _norm(
        self, x: torch.Tensor, weight_bias: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        return F.layer_norm(x, (self.hidden,), weight_bias[0], weight_bias[1], self.eps)

    def _attention(
        self, qkv: torch.Tensor, mask: torch.Tensor, batch: int, length: int
    ) -> torch.Tensor:
        head_dim = self.hidden // self.heads
        qkv = qkv.view(batch, length, 3, self.heads, head_dim)
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]  # (batch, position, head, head_dim)
        # BERT's additive mask: the dtype's lowest value on padded keys.
        masked = (1.0 - mask.to(q.dtype)) * torch.finfo(q.dtype).min  # (batch, key)
        if length <= SHORT_SEQUENCE:
            # scores[b, i, j, h] = q[b, i, h] . k[b, j, h] / sqrt(head_dim)
            scores = (q[:, :, None] * k[:, None]).sum(-1) / math.sqrt(head_dim)
            scores = scores + masked[:, None, :, None]
            scores = scores - scores.amax(2, keepdim=True)
            weights = scores.exp()
            weights = weights / weights.sum(2, keepdim=True)
            context = (weights[..., None] * v[:, None]).sum(2)  # (batch, query, head, head_dim)
            return context.reshape(batch * length, self.hidden)
        context = F.scaled_dot_product_attention(
            q.transpose(1, 2),
            k.transpose(1, 2),
            v.transpose(1, 2),
            attn_mask=masked[:, None, None, :],
        )  # (batch, head, position, head_dim)
        return context.transpose(1, 2).reshape(batch * length, self.hidden)

    @torch.inference_mode()
    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Last hidden state, (batch, length, hidden), for token type 0 everywhere."""
        batch, length = input_ids.shape
        x = self.word[input_ids] + self.token_type[0]
        x = x + self.position[:length]
        x = self._norm(x, self.embedding_norm).reshape(batch * length, self.hidden)
        for layer in self.layers:
            context = self._attention(layer.qkv(x), attention_mask, batch, length)
            x = self._norm(layer.out(context) + x, layer.out_norm)
            x = self._norm(layer.down(layer.up(x)) + x, layer.down_norm)
        return x.view(batch, length, self.hidden)
