import numpy as np

def bag_backward_rows(
    grad: np.ndarray,
    inv_length: np.ndarray,
    by_id: np.ndarray,
    starts: np.ndarray,
    unique: np.ndarray,
    table: np.ndarray,
    weights: np.ndarray,
    grad_table: np.ndarray,
    grad_weights: np.ndarray,
    scale_by_weight: bool,
    want_grad_weights: bool,
    n_threads: int,
) -> None: ...
def row_adam_rows(
    param: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    rows: np.ndarray,
    grad: np.ndarray,
    beta1: float,
    beta2: float,
    eps: float,
    step_size: float,
    n_threads: int,
) -> None: ...
