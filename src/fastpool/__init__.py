"""fastpool: static embeddings (Model2Vec-style lookup tables) on an OpenMP C++ kernel."""

from ._build import build_info
from ._encode import encode

__version__ = "0.1.0"

__all__ = ["__version__", "build_info", "encode"]
