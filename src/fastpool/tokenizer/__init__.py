"""Text -> token ids: the backend choice and each semantics' limits (:class:`TokenizerPipeline`).

``hf`` runs Hugging Face ``tokenizers`` into CSR, ``native`` says whether the
native C++ tokenizer reproduces a tokenizer.json and wraps it, ``arrow`` reads
Arrow text columns in place, ``_bridge`` is the Cython bridge to
``csrc/fastpool/tokenizer/``. New tokenizer families go here. Nothing here knows
the model class or the bundled model.
"""

from .hf import model2vec_tokenizer, private_tokenizer, vocabulary
from .native import TABLES_TOKENIZERS_VERSION, NativeTokenizer, native_support
from .pipeline import BACKENDS, TokenizerPipeline

__all__ = [
    "BACKENDS",
    "TABLES_TOKENIZERS_VERSION",
    "NativeTokenizer",
    "TokenizerPipeline",
    "model2vec_tokenizer",
    "native_support",
    "private_tokenizer",
    "vocabulary",
]
