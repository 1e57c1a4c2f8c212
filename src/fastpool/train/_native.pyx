# cython: language_level=3, boundscheck=False, wraparound=False
"""The row-sparse training kernels (csrc/fastpool/train_rows.h) on numpy arrays.

The callers in ``_rows.py`` pass float32 / int64 C-contiguous arrays (torch tensors' own
memory, through ``.numpy()``) whose shapes and index ranges they built themselves; the
typed memoryviews below check dtype and contiguity, and the kernels run with the GIL
released.
"""

from libc.stdint cimport int64_t


cdef extern from "fastpool/train_rows.h" namespace "fastpool" nogil:
    cdef struct BagBackwardArgs:
        const float* grad
        const float* inv_length
        const int64_t* by_id
        const int64_t* starts
        const int64_t* unique
        int64_t n_tokens
        int64_t n_unique
        int64_t dim
        const float* table
        const float* weights
        float* grad_table
        float* grad_weights

    cdef struct RowAdamArgs:
        float* param
        float* m
        float* v
        const int64_t* rows
        const float* grad
        int64_t n
        int64_t dim
        float beta1
        float beta2
        float eps
        float step_size

    void bag_backward(const BagBackwardArgs& a, int n_threads) noexcept
    void row_adam(const RowAdamArgs& a, int n_threads) noexcept


def bag_backward_rows(
    const float[:, ::1] grad,
    const float[::1] inv_length,
    const int64_t[::1] by_id,
    const int64_t[::1] starts,
    const int64_t[::1] unique,
    const float[:, ::1] table,
    const float[::1] weights,
    float[:, ::1] grad_table,
    float[::1] grad_weights,
    bint scale_by_weight,
    bint want_grad_weights,
    int n_threads,
):
    """grad_table[u] = (w[u] if scale_by_weight else 1) * S[u];
    grad_weights[u] = S[u] . table[u]."""
    if grad.shape[1] != table.shape[1] or grad_table.shape[1] != table.shape[1]:
        raise ValueError(f"gradient width {grad.shape[1]} != table width {table.shape[1]}")
    if grad_table.shape[0] != unique.shape[0] or starts.shape[0] != unique.shape[0]:
        raise ValueError("grad_table and starts need one row per unique id")
    if want_grad_weights and grad_weights.shape[0] != unique.shape[0]:
        raise ValueError("grad_weights needs one entry per unique id")
    cdef BagBackwardArgs a
    a.grad = &grad[0, 0] if grad.shape[0] else NULL
    a.inv_length = &inv_length[0] if inv_length.shape[0] else NULL
    a.by_id = &by_id[0] if by_id.shape[0] else NULL
    a.starts = &starts[0] if starts.shape[0] else NULL
    a.unique = &unique[0] if unique.shape[0] else NULL
    a.n_tokens = by_id.shape[0]
    a.n_unique = unique.shape[0]
    a.dim = table.shape[1]
    a.table = &table[0, 0]
    a.weights = &weights[0] if scale_by_weight else NULL
    a.grad_table = &grad_table[0, 0] if grad_table.shape[0] else NULL
    a.grad_weights = &grad_weights[0] if want_grad_weights and grad_weights.shape[0] else NULL
    if a.n_unique == 0:
        return
    with nogil:
        bag_backward(a, n_threads)


def row_adam_rows(
    float[:, ::1] param,
    float[:, ::1] m,
    float[:, ::1] v,
    const int64_t[::1] rows,
    const float[:, ::1] grad,
    float beta1,
    float beta2,
    float eps,
    float step_size,
    int n_threads,
):
    """Lazy Adam on the distinct ``rows`` of ``param`` (and its moments), in place."""
    if m.shape[0] != param.shape[0] or v.shape[0] != param.shape[0] \
            or m.shape[1] != param.shape[1] or v.shape[1] != param.shape[1]:
        raise ValueError("the Adam moments must have the parameter's shape")
    if grad.shape[0] != rows.shape[0] or grad.shape[1] != param.shape[1]:
        raise ValueError(f"grad must be ({rows.shape[0]}, {param.shape[1]}), "
                         f"got ({grad.shape[0]}, {grad.shape[1]})")
    if rows.shape[0] == 0:
        return
    cdef RowAdamArgs a
    a.param = &param[0, 0]
    a.m = &m[0, 0]
    a.v = &v[0, 0]
    a.rows = &rows[0]
    a.grad = &grad[0, 0]
    a.n = rows.shape[0]
    a.dim = param.shape[1]
    a.beta1 = beta1
    a.beta2 = beta2
    a.eps = eps
    a.step_size = step_size
    with nogil:
        row_adam(a, n_threads)
