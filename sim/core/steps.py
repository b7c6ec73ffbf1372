"""Piecewise-constant (step) series: a log of change times and values, integrated or sampled."""

from __future__ import annotations

import math

import numpy as np


def step_integral(t: np.ndarray, values: np.ndarray, a: float, b: float) -> float:
    """Integral over [a, b) of a right-continuous step function given by change times and values."""
    if b <= a or len(t) == 0:
        return 0.0
    edges = np.clip(np.append(t, math.inf), a, b)
    return float(np.sum(values * np.diff(edges)))


def step_at(t: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The step function's value at each instant of `at` (the last change at or before it)."""
    index = np.searchsorted(t, at, side="right") - 1
    return np.asarray(values)[np.maximum(index, 0)]


def segments(t: list[float], values: list, end_h: float) -> list[tuple[float, float, object]]:
    """[(from_h, to_h, value), ...] over [t[0], end_h), empty segments left out."""
    bounds = list(t[1:]) + [end_h]
    return [(a, min(b, end_h), v) for a, b, v in zip(t, bounds, values, strict=True) if min(b, end_h) > a]
