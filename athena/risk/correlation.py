"""Correlation risk: the correlation matrix of returns and its average off-diagonal level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from athena.errors import InvalidData
from athena.risk.returns import check_returns

__all__ = ["average_correlation", "correlation_matrix"]


def correlation_matrix(returns: pd.DataFrame) -> pd.DataFrame:
    """Return the Pearson correlation matrix of returns.

    Parameters
    ----------
    returns : pandas.DataFrame
        Returns per period, one column per symbol, no NaN.

    Returns
    -------
    pandas.DataFrame
        Symmetric, ones on the diagonal, indexed and labelled by symbol.

    Raises
    ------
    InvalidData
        When returns hold NaN or infinite values, fewer than two periods, or a constant column (its
        correlation is undefined).
    """
    symbols = [str(c) for c in returns.columns]
    matrix = check_returns(returns, symbols)
    flat = [s for s, sd in zip(symbols, matrix.std(axis=0), strict=True) if sd == 0.0]
    if flat:
        raise InvalidData(f"correlation is undefined for constant returns of {', '.join(flat)}")
    corr = np.atleast_2d(np.corrcoef(matrix, rowvar=False))
    np.fill_diagonal(corr, 1.0)
    return pd.DataFrame(corr, index=symbols, columns=symbols)


def average_correlation(correlation: pd.DataFrame) -> float:
    """Return the mean off-diagonal correlation (1.0 for a single symbol).

    Parameters
    ----------
    correlation : pandas.DataFrame
        A correlation matrix.

    Returns
    -------
    float
        The average pairwise correlation.
    """
    values = correlation.to_numpy(dtype=np.float64)
    n = values.shape[0]
    if n < 2:
        return 1.0
    return float((values.sum() - np.trace(values)) / (n * (n - 1)))
