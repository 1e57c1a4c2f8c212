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
def kernel_isa() -> list[str]: ...
