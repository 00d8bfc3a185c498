"""Q4.4: principal component analysis to k dimensions, for comparison with the autoencoder."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg


@dataclass
class PCA:
    """A fitted projection: the data mean and the top-k principal directions (rows)."""

    mean: np.ndarray  # [d]
    components: np.ndarray  # [k, d], orthonormal rows

    def encode(self, x: np.ndarray) -> np.ndarray:
        """k numbers per row of x."""
        return (x - self.mean) @ self.components.T

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Rows in the original space from their k numbers."""
        return codes @ self.components + self.mean

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """Project x onto the k directions and back."""
        return self.decode(self.encode(x))

    @property
    def parameter_count(self) -> int:
        """Numbers the projection stores: the mean and k directions."""
        return int(self.mean.size + self.components.size)


def fit_pca(x: np.ndarray, k: int) -> PCA:
    """Fit PCA with k components to the rows of x.

    Tall data (more rows than columns, e.g. 10800 x 1024) uses the top-k eigenvectors of the d x d
    scatter matrix, cheaper than the SVD of the whole centred data; other shapes use the SVD.
    """
    if not 0 < k <= min(x.shape):
        raise ValueError(f"k must be between 1 and {min(x.shape)} for data of shape {x.shape}, got {k}")
    mean = x.mean(axis=0)
    centred = x - mean
    n, d = x.shape
    if n <= d:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        return PCA(mean=mean, components=vt[:k])
    _, vectors = linalg.eigh(centred.T @ centred, subset_by_index=(d - k, d - 1))  # ascending eigenvalues
    return PCA(mean=mean, components=np.ascontiguousarray(vectors[:, ::-1].T))
