"""The model that ships inside the package: fastpool's own distillation of all-MiniLM-L6-v2.

Made by ``scripts/make_default_model.py``; its README.md says how and how well, and its LICENSE
is the teacher's (Apache-2.0).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import StaticModel

_DEFAULT = Path(__file__).resolve().parent / "models" / "default"


def default_model_path() -> Path:
    """The folder of the bundled default model (a model2vec-0.10 folder).

    Raises
    ------
    FileNotFoundError
        If the package was built without it (run ``python scripts/make_default_model.py``).
    """
    if not (_DEFAULT / "model.safetensors").is_file():
        raise FileNotFoundError(
            f"the default model is missing from {_DEFAULT}; "
            "make it with `python scripts/make_default_model.py`"
        )
    return _DEFAULT


@functools.lru_cache(maxsize=1)
def default_model() -> StaticModel:
    """The bundled model, loaded once per process (memory-mapped, so this is cheap)."""
    from .model import StaticModel

    return StaticModel.from_pretrained(default_model_path())
