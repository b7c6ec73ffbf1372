"""Scenario discovery with PRIM (Friedman and Fisher's Patient Rule Induction Method): the box of the uncertainty
space where a policy fails.

Given the futures (one row per future, one column per uncertainty) and whether a policy failed its
target in each, PRIM peels the box that holds every future, a small slice (alpha of the futures in
the box) at a time, always the slice whose removal leaves the highest share of failures (the
*density*), until fewer than `min_mass` of the futures are left. Each box of that peeling
trajectory has a *coverage* (the share of all failures it holds) and a density; the box reported
is the densest whose coverage is at least `min_coverage`, with the limits it places on each
uncertainty (the others stay unrestricted). Our own small implementation: EMA Workbench's is the
reference, but it pulls a large dependency tree for a few dozen lines of method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    """A box of the uncertainty space: limits per uncertainty, and how much of the failures it holds."""

    limits: dict[str, tuple[float, float]]
    coverage: float  # failures in the box / all failures
    density: float  # failures in the box / futures in the box
    mass: float  # futures in the box / all futures
    futures: int

    def restricted(self, full: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        """The limits that cut the full range of an uncertainty (the ones that describe the box)."""
        return {name: (low, high) for name, (low, high) in self.limits.items()
                if low > full[name][0] or high < full[name][1]}


def peel(x: np.ndarray, failed: np.ndarray, names: list[str], alpha: float = 0.1, min_mass: float = 0.05,
         bounds: dict[str, tuple[float, float]] | None = None) -> list[Box]:
    """The peeling trajectory, from the box holding every future to the last one holding at least min_mass.

    bounds: the full range of each uncertainty (default: the range of the futures), the first box.
    """
    x = np.asarray(x, dtype=float)
    failed = np.asarray(failed, dtype=bool)
    if x.ndim != 2 or x.shape[0] != failed.shape[0] or x.shape[1] != len(names):
        raise ValueError(f"x must be futures x uncertainties ({failed.shape[0]} x {len(names)}), got {x.shape}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    n, total = len(failed), int(failed.sum())
    limits = dict(bounds) if bounds is not None else {
        name: (float(x[:, j].min()), float(x[:, j].max())) for j, name in enumerate(names)}
    inside = np.ones(n, dtype=bool)
    boxes = [_box(limits, inside, failed, total)]
    while inside.sum() / n > min_mass and total:
        best = None
        for j, name in enumerate(names):
            values = x[inside, j]
            for side, cut in (("low", np.quantile(values, alpha)), ("high", np.quantile(values, 1 - alpha))):
                keep = inside & (x[:, j] >= cut if side == "low" else x[:, j] <= cut)
                # A peel must remove something and leave at least min_mass of the futures.
                if keep.sum() == inside.sum() or keep.sum() / n < min_mass or not keep.any():
                    continue
                density = failed[keep].mean()
                if best is None or density > best[0] + 1e-12:
                    best = (density, j, name, side, cut, keep)
        if best is None:
            break
        _, j, name, side, cut, keep = best
        low, high = limits[name]
        limits = {**limits, name: (float(cut), high) if side == "low" else (low, float(cut))}
        inside = keep
        boxes.append(_box(limits, inside, failed, total))
    return boxes


def _box(limits: dict[str, tuple[float, float]], inside: np.ndarray, failed: np.ndarray, total: int) -> Box:
    count = int(inside.sum())
    hits = int((failed & inside).sum())
    return Box(dict(limits), hits / total if total else float("nan"), hits / count if count else float("nan"),
               count / len(failed), count)


def discover(x: np.ndarray, failed: np.ndarray, names: list[str], *, alpha: float = 0.1, min_mass: float = 0.05,
             min_coverage: float = 0.5, bounds: dict[str, tuple[float, float]] | None = None) -> Box | None:
    """The densest box of the peeling trajectory holding at least min_coverage of the failures (None: no failures,
    or failure everywhere, where there is nothing to discover)."""
    failed = np.asarray(failed, dtype=bool)
    if not failed.any() or failed.all():
        return None
    boxes = [b for b in peel(x, failed, names, alpha, min_mass, bounds) if b.coverage >= min_coverage]
    return max(boxes, key=lambda b: (round(b.density, 12), b.coverage))
