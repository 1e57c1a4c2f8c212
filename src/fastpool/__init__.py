"""fastpool: static embeddings (Model2Vec-style lookup tables) on an OpenMP C++ kernel."""

from ._build import _apply_isa_env, build_info, set_isa
from ._encode import encode
from ._similarity import similarity
from .distill import distill  # torch is imported on call, not here
from .model import StaticModel, load

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "build_info",
    "StaticModel",
    "distill",
    "encode",
    "load",
    "set_isa",
    "similarity",
]

_apply_isa_env()
