"""Small drawing helpers shared by the scenario and the live feed.

Every draw takes its generator explicitly: nothing here touches the global random state, so each
part of the scenario keeps its own stream and stays the same for a seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np

__all__ = ["choice", "minutes", "weighted"]


def minutes(value: float) -> timedelta:
    """Whole seconds, so stored timestamps stay readable and identical across platforms."""
    return timedelta(seconds=round(value * 60.0))


def choice(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def weighted(rng: np.random.Generator, pairs: Sequence[tuple[Any, float]]) -> Any:
    weights = np.array([w for _, w in pairs], dtype=float)
    return pairs[int(rng.choice(len(pairs), p=weights / weights.sum()))][0]
