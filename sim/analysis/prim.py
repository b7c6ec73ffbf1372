"""Scenario discovery with PRIM (Friedman and Fisher's Patient Rule Induction Method): the box of the uncertainty
space where a policy fails.

Given the futures (one row per future, one column per uncertainty) and whether a policy failed its
target in each, PRIM peels the box that holds every future, a small slice (alpha of the futures in
the box) at a time, always the slice whose removal leaves the highest share of failures (the
*density*), until fewer than `min_mass` of the futures are left. Each box of that peeling
trajectory has a *coverage* (the share of all failures it holds) and a density; the box chosen
is the densest whose coverage is at least `min_coverage`. Peeling is greedy and removes whole
slices, so it can cut past the edge of the failure region; *pasting* (Friedman and Fisher's second
step) then widens the chosen box again, one limit at a time, by the slice of futures just outside
it that gives the highest density, for as long as one does not lower it. The box reported is the pasted one,
with the limits it places on each uncertainty (the others stay unrestricted). Our own small
implementation: EMA Workbench's is the reference, but it pulls a large dependency tree for a few
dozen lines of method.
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


def paste(x: np.ndarray, failed: np.ndarray, names: list[str], box: Box, alpha: float = 0.05,
          bounds: dict[str, tuple[float, float]] | None = None) -> Box:
    """Widen a box, one limit at a time, by the slice of futures just outside it (alpha of the futures in the box,
    at least one) that gives the highest density, for as long as one does not lower it: a box whose density
    stays the same while it holds more of the failures is the better description (ties: the larger box).

    A limit widened past the last future on its side goes back to the full range (bounds, default the futures'
    range), so that it no longer restricts the box.
    """
    x = np.asarray(x, dtype=float)
    failed = np.asarray(failed, dtype=bool)
    full = dict(bounds) if bounds is not None else {
        name: (float(x[:, j].min()), float(x[:, j].max())) for j, name in enumerate(names)}
    total = int(failed.sum())
    limits = dict(box.limits)
    while True:
        inside = _inside(x, names, limits)
        density = failed[inside].mean() if inside.any() else 0.0
        step = max(1, int(round(alpha * inside.sum())))
        best = None
        for j, name in enumerate(names):
            low, high = limits[name]
            others = _inside(x, names, limits, skip=j)
            for side in ("low", "high"):
                outside = np.sort(x[others & (x[:, j] < low if side == "low" else x[:, j] > high), j])
                if not len(outside):
                    continue
                taken = outside[::-1][:step] if side == "low" else outside[:step]
                last = len(taken) == len(outside)
                new = (full[name][0] if last else float(taken[-1])) if side == "low" else (
                    full[name][1] if last else float(taken[-1]))
                widened = (new, high) if side == "low" else (low, new)
                keep = others & (x[:, j] >= widened[0]) & (x[:, j] <= widened[1])
                gain = failed[keep].mean()
                if gain >= density - 1e-12 and (best is None or (gain, keep.sum()) > (best[0], best[1])):
                    best = (gain, int(keep.sum()), name, widened)
        if best is None:
            return _box(limits, _inside(x, names, limits), failed, total)
        limits = {**limits, best[2]: best[3]}


def _inside(x: np.ndarray, names: list[str], limits: dict[str, tuple[float, float]], skip: int = -1) -> np.ndarray:
    """The futures inside the limits (every uncertainty's but the one at index skip)."""
    inside = np.ones(x.shape[0], dtype=bool)
    for j, name in enumerate(names):
        if j != skip:
            inside &= (x[:, j] >= limits[name][0]) & (x[:, j] <= limits[name][1])
    return inside


def discover(x: np.ndarray, failed: np.ndarray, names: list[str], *, alpha: float = 0.1, min_mass: float = 0.05,
             min_coverage: float = 0.5, bounds: dict[str, tuple[float, float]] | None = None,
             pasting: bool = True, paste_alpha: float = 0.05) -> Box | None:
    """The densest box of the peeling trajectory holding at least min_coverage of the failures, then pasted (None:
    no failures, or failure everywhere, where there is nothing to discover)."""
    failed = np.asarray(failed, dtype=bool)
    if not failed.any() or failed.all():
        return None
    boxes = [b for b in peel(x, failed, names, alpha, min_mass, bounds) if b.coverage >= min_coverage]
    chosen = max(boxes, key=lambda b: (round(b.density, 12), b.coverage))
    return paste(x, failed, names, chosen, paste_alpha, bounds) if pasting else chosen
