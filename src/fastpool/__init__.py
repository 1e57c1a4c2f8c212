"""fastpool: static embeddings (Model2Vec-style lookup tables) on an OpenMP C++ kernel."""

from ._api import encode, load
from ._build import build_info, set_isa
from ._similarity import similarity
from ._st import quantize_embeddings
from ._version import __version__
from .distill import distill  # torch is imported on call, not here
from .model import StaticModel
from .patch import patch_model2vec  # imports model2vec on call, not here
from .persistence.vectors import import_vectors
from .quantization import quantize_model

__all__ = [
    "__version__",
    "build_info",
    "StaticModel",
    "distill",
    "encode",
    "import_vectors",
    "load",
    "patch_model2vec",
    "quantize_embeddings",
    "quantize_model",
    "set_isa",
    "similarity",
]
