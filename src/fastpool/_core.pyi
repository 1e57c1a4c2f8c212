import numpy as np

def pool_csr(
    ids: np.ndarray,
    offsets: np.ndarray,
    table: np.ndarray,
    out: np.ndarray,
    weights: np.ndarray | None,
    mapping: np.ndarray | None,
    scale: np.ndarray | None,
    mean: bool,
    normalize: bool,
    n_threads: int,
) -> None: ...

STREAM_OUTPUT_BYTES: int

def empty_rows(n_rows: int, dim: int) -> np.ndarray: ...
def kernel_streams_output(out: np.ndarray) -> bool: ...
def kernel_row_shift(table: np.ndarray) -> int: ...
def openmp_max_threads() -> int: ...
def openmp_enabled() -> bool: ...
def kernel_min_work_per_thread(work: int | None = None) -> int: ...
def kernel_prefetch_distances() -> dict[int, int]: ...
def kernel_isa() -> list[str]: ...

ISA_LEVELS: tuple[str, ...]

def kernel_isa_best() -> str: ...
def kernel_isa_active() -> str: ...
def kernel_set_isa(level: int) -> str: ...
def out_of_range(values: np.ndarray, stop: int) -> int: ...
def json_extent(text: bytes, depth_limit: int) -> tuple[int, int]: ...
def parse_vector_lines(
    text: bytes,
    start: int,
    table: np.ndarray,
    row: int,
    word_spans: np.ndarray,
    n_threads: int = 1,
) -> tuple[int, int]: ...
def parse_binary_records(
    data: bytes, start: int, table: np.ndarray, row: int, word_spans: np.ndarray
) -> tuple[int, int]: ...

OFFSETS_OK: int
OFFSETS_EMPTY: int
OFFSETS_BAD_FIRST: int
OFFSETS_BAD_LAST: int

def check_offsets(offsets: np.ndarray, n_ids: int) -> int: ...
def encode_fast(
    ids: object,
    offsets: object,
    table: object,
    out: object,
    mean: bool,
    normalize: bool,
    n_threads: int,
) -> np.ndarray | None: ...
