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
def openmp_max_threads() -> int: ...
def openmp_enabled() -> bool: ...
def kernel_min_work_per_thread(work: int | None = None) -> int: ...
def kernel_isa() -> list[str]: ...

ISA_LEVELS: tuple[str, ...]

def kernel_isa_best() -> str: ...
def kernel_isa_active() -> str: ...
def kernel_set_isa(level: int) -> str: ...
def stream_read(data: np.ndarray) -> float: ...
def out_of_range(values: np.ndarray, stop: int) -> int: ...

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
