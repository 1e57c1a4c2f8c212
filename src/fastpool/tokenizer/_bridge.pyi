import numpy as np

def tables_tokenizers_version() -> str: ...

class ArrowTexts:
    def __init__(self) -> None: ...
    def __len__(self) -> int: ...
    def add_chunk(
        self,
        data: memoryview,
        offsets: memoryview,
        validity: memoryview | None,
        offset: int,
        length: int,
        large: bool,
    ) -> int: ...

class NativeBase:
    def clear_cache(self) -> None: ...
    def set_cache_words(self, words: int) -> None: ...
    def cache_words(self) -> int: ...
    def cache_info(self) -> tuple[int, int, int]: ...
    def _hold_pool_lock(self, ms: int) -> None: ...
    def tokenize_csr(
        self,
        texts: tuple[str | bytes, ...] | ArrowTexts,
        max_chars: int,
        max_tokens: int,
        drop_unk: bool,
        n_threads: int,
    ) -> tuple[np.ndarray, np.ndarray]: ...
    def encode(
        self,
        texts: tuple[str | bytes, ...] | ArrowTexts,
        table: np.ndarray,
        out: np.ndarray,
        weights: np.ndarray | None,
        mapping: np.ndarray | None,
        max_chars: int,
        max_tokens: int,
        mean: bool,
        normalize: bool,
        n_threads: int,
        scale: np.ndarray | None = None,
    ) -> None: ...

class WordPieceTokenizer(NativeBase):
    def __init__(
        self,
        vocab_data: bytes,
        vocab_offsets: np.ndarray,
        vocab_ids: np.ndarray,
        added_data: bytes,
        added_offsets: np.ndarray,
        added_ids: np.ndarray,
        prefix: bytes,
        clean_text: bool,
        handle_chinese_chars: bool,
        strip_accents: bool,
        lowercase: bool,
        max_input_chars_per_word: int,
        unk_id: int,
        added_flags: np.ndarray | None = None,
    ) -> None: ...
    def pretokenize(self, texts: tuple[str | bytes, ...]) -> list[list[str]]: ...

class UnigramTokenizer(NativeBase):
    def __init__(
        self,
        pieces: bytes,
        offsets: np.ndarray,
        scores: np.ndarray,
        unk_id: int,
        byte_fallback: bool,
        added_data: bytes,
        added_offsets: np.ndarray,
        added_ids: np.ndarray,
        added_flags: np.ndarray,
        steps: list[tuple[int, bytes, bytes, bool, bool, int]],
        charsmaps: list[bytes],
        pre: int,
        replacement: bytes,
        prepend_scheme: int,
        split: bool,
        pre_steps: list[tuple[int, int]] | None = None,
    ) -> None: ...
    def normalize(self, texts: tuple[str | bytes, ...]) -> list[str]: ...
    def pretokenize(self, texts: tuple[str | bytes, ...]) -> list[list[str]]: ...

def unigram_vocab(
    vocab: list, wanted: set[str]
) -> tuple[bytes, np.ndarray, np.ndarray, dict[str, int]] | str: ...

class ByteLevelBPETokenizer(NativeBase):
    def __init__(
        self,
        vocab_data: bytes,
        vocab_ids: np.ndarray,
        merges_data: bytes,
        n_merges: int,
        merge_pairs: bool,
        added_data: bytes,
        added_offsets: np.ndarray,
        added_ids: np.ndarray,
        prefix: bytes,
        suffix: bytes,
        add_prefix_space: bool,
        use_regex: bool,
        ignore_merges: bool,
        fuse_unk: bool,
        byte_fallback: bool,
        unk_id: int,
        qwen2_split: bool,
        forms: list[int] | None = None,
        added_flags: np.ndarray | None = None,
    ) -> None: ...

UNICODE_FORMS: dict[str, int]

def unicode_normalize(form: int, texts: tuple[str | bytes, ...]) -> list[str]: ...
