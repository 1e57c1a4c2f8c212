"""fastpool: static embeddings (Model2Vec-style lookup tables) on an OpenMP C++ kernel."""

from ._build import _apply_isa_env, build_info, set_isa
from ._encode import encode
from ._similarity import similarity
from ._st import quantize_embeddings
from .distill import distill  # torch is imported on call, not here
from .model import StaticModel, load
from .patch import patch_model2vec  # imports model2vec on call, not here

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "build_info",
    "StaticModel",
    "distill",
    "encode",
    "load",
    "patch_model2vec",
    "quantize_embeddings",
    "set_isa",
    "similarity",
]

_apply_isa_env()
