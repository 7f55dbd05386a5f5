"""Feature matrices the training engine accepts: dense embeddings, or sparse n-gram counts kept sparse.

Image embeddings are a few hundred dense floats per item; text n-gram features are tens of thousands of
columns with a hundred or two non-zeros per row. Densifying the latter would cost gigabytes, so a sparse
matrix stays a SciPy CSR matrix and a batch of it becomes :class:`SparseRows` (the column indices, row
offsets and values that :class:`torch.nn.EmbeddingBag` takes as a sparse linear layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]

from labelhub.errors import ValidationError

if TYPE_CHECKING:
    # Imported where a batch is made (Features.batch): the labelling queue's strategies use Features without
    # training anything, and importing torch cost the first queue request of each server process 3-10 s.
    import torch

__all__ = ["Batch", "Features", "SparseRows"]


@dataclass(frozen=True, slots=True)
class SparseRows:
    """A batch of sparse rows: ``indices`` (columns), ``offsets`` (where each row starts), ``weights`` (values).

    Deliberately not a tuple: :func:`torch.optim.swa_utils.update_bn` keeps only the first element of a
    tuple batch, and passes anything else to the model whole.
    """

    indices: torch.Tensor
    offsets: torch.Tensor
    weights: torch.Tensor

    def __len__(self) -> int:
        return int(self.offsets.shape[0])


Batch: TypeAlias = "torch.Tensor | SparseRows"


class Features:
    """An ``(items, dim)`` feature matrix, dense (NumPy) or sparse (SciPy CSR), with batches as tensors."""

    __slots__ = ("_dense", "_sparse")

    def __init__(self, matrix: Any, *, field: str = "features") -> None:
        self._dense: npt.NDArray[np.float32] | None = None
        self._sparse: sp.csr_matrix | None = None
        if isinstance(matrix, Features):
            self._dense, self._sparse = matrix._dense, matrix._sparse
            return
        if sp.issparse(matrix):
            csr = sp.csr_matrix(matrix, dtype=np.float32)
            csr.sort_indices()
            if csr.shape[0] < 1 or csr.shape[1] < 1:
                raise ValidationError(f"{field} must have at least one row and column, got {csr.shape}", field=field)
            if not np.all(np.isfinite(csr.data)):
                raise ValidationError(f"{field} holds a value that is not finite", field=field)
            self._sparse = csr
            return
        try:
            arr = np.ascontiguousarray(matrix, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{field} must be a numeric matrix: {exc}", field=field) from exc
        if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
            raise ValidationError(f"{field} must have shape (items, dim) with both > 0, got {arr.shape}", field=field)
        if not np.all(np.isfinite(arr)):
            raise ValidationError(f"{field} holds a value that is not finite", field=field)
        self._dense = arr

    @property
    def sparse(self) -> bool:
        """True when the rows are sparse (the model's first layer is then an EmbeddingBag)."""
        return self._sparse is not None

    @property
    def dim(self) -> int:
        """Number of columns."""
        return int(self._matrix.shape[1])

    @property
    def _matrix(self) -> npt.NDArray[np.float32] | sp.csr_matrix:
        m = self._dense if self._dense is not None else self._sparse
        if m is None:  # pragma: no cover - the constructor always sets one
            raise RuntimeError("empty Features")
        return m

    def __len__(self) -> int:
        return int(self._matrix.shape[0])

    def take(self, rows: npt.ArrayLike) -> Features:
        """Return the features of the given rows (a copy), in that order."""
        idx = np.asarray(rows, dtype=np.int64)
        return Features(self._matrix[idx])

    def batch(self, rows: npt.ArrayLike | None = None) -> Batch:
        """Return the given rows (all when None) as the model's input: a float tensor or :class:`SparseRows`."""
        import torch

        m = self._matrix if rows is None else self._matrix[np.asarray(rows, dtype=np.int64)]
        if isinstance(m, np.ndarray):
            return torch.from_numpy(np.ascontiguousarray(m))
        csr = sp.csr_matrix(m)
        return SparseRows(
            indices=torch.from_numpy(csr.indices.astype(np.int64)),
            offsets=torch.from_numpy(csr.indptr[:-1].astype(np.int64)),
            weights=torch.from_numpy(csr.data.astype(np.float32)),
        )

    def normalized(self) -> npt.NDArray[np.float32] | sp.csr_matrix:
        """Return the rows scaled to unit L2 norm (zero rows stay zero): dot products are then cosines."""
        m = self._matrix
        if isinstance(m, np.ndarray):
            norms = np.linalg.norm(m, axis=1, keepdims=True)
            return (m / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        scale = sp.diags(1.0 / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        return sp.csr_matrix(scale @ m)
