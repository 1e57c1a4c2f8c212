"""Model files: find them in a folder, read them into :class:`ModelParts`, write them back.

``folder`` finds the files of a layout, ``safetensors`` reads and writes tensors
(memory-mapped, every header checked), ``load`` turns a folder into parts,
``save`` writes model2vec 0.10's layout, ``quantize`` and ``fold`` change a
table once at load. Nothing here knows the model class or the bundled model.
"""

from .load import SEMANTICS, load_parts
from .parts import ModelParts
from .quantize import QUANTIZE_TO, quantize_table, quantize_vocabulary
from .save import save_model_folder

__all__ = [
    "QUANTIZE_TO",
    "SEMANTICS",
    "ModelParts",
    "load_parts",
    "quantize_table",
    "quantize_vocabulary",
    "save_model_folder",
]
