"""The district's territory: subdistricts, communities and grids, built from a scenario.

Grids are residential (households drawn between the per-grid minimum and maximum) or dedicated
(offices, markets, units), which carry a case load given in household equivalents. Community
sizes vary (gamma-distributed weights); every community has at least one residential grid and
every subdistrict at least one community. Grid order follows community order, so neighbouring
grids in the arrays are neighbours on the ground.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..params.district import Territory as TerritorySpec
from .streams import Streams


@dataclass(frozen=True)
class Territory:
    grid_community: np.ndarray  # community index of each grid
    grid_households: np.ndarray  # households of each grid (0 for dedicated grids)
    grid_dedicated: np.ndarray  # True for dedicated grids
    grid_load: np.ndarray  # case load weight in household equivalents
    community_subdistrict: np.ndarray  # subdistrict index of each community

    @property
    def n_grids(self) -> int:
        return len(self.grid_community)

    @property
    def n_communities(self) -> int:
        return len(self.community_subdistrict)

    @property
    def households(self) -> int:
        return int(self.grid_households.sum())

    def community_households(self) -> np.ndarray:
        return np.bincount(self.grid_community, weights=self.grid_households, minlength=self.n_communities)

    def grid_subdistrict(self) -> np.ndarray:
        return self.community_subdistrict[self.grid_community]


def allocate(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split `total` into integer parts proportional to weights (largest remainder), each >= minimum."""
    n = len(weights)
    base = np.full(n, minimum, dtype=np.int64)
    rest = total - minimum * n
    if rest < 0:
        raise ValueError(f"cannot give {minimum} to each of {n} parts out of {total}")
    share = weights / weights.sum() * rest
    counts = np.floor(share).astype(np.int64)
    remainder = rest - int(counts.sum())
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[:remainder]] += 1
    return base + counts


def build_territory(spec: TerritorySpec, streams: Streams) -> Territory:
    """Lay out communities and grids. Uses the 'territory' stream only."""
    rng = streams["territory"]
    cv = spec.community_size_cv
    if cv > 0:
        weights = rng.gamma(1.0 / cv**2, cv**2, size=spec.communities)
    else:
        weights = np.ones(spec.communities)
    weights = np.maximum(weights, 1e-9)
    residential = allocate(spec.residential_grids, weights, minimum=1)
    dedicated = allocate(spec.dedicated_grids,
                         residential.astype(float)) if spec.dedicated_grids else np.zeros_like(residential)

    community_subdistrict = np.sort(
        np.concatenate([np.arange(spec.subdistricts), rng.integers(0, spec.subdistricts,
                                                                   spec.communities - spec.subdistricts)])
    )
    grid_community = np.repeat(np.arange(spec.communities), residential + dedicated)
    grid_dedicated = np.concatenate(
        [np.r_[np.zeros(r, dtype=bool), np.ones(d, dtype=bool)] for r, d in zip(residential, dedicated, strict=True)]
    )
    households = rng.integers(spec.households_per_grid_min, spec.households_per_grid_max + 1, size=len(grid_community))
    grid_households = np.where(grid_dedicated, 0, households).astype(np.int64)
    grid_load = np.where(grid_dedicated, spec.dedicated_grid_household_equivalent, grid_households).astype(float)
    return Territory(
        grid_community=grid_community,
        grid_households=grid_households,
        grid_dedicated=grid_dedicated,
        grid_load=grid_load,
        community_subdistrict=community_subdistrict,
    )


# --------------------------------------------------------------------------- splitting (issue 3)


def split_communities(territory: Territory, max_households: int) -> tuple[Territory, np.ndarray]:
    """Split every community above `max_households` into parts of neighbouring grids (seed 003).

    A community of H households becomes the fewest parts of contiguous grids, balanced by
    households, none above the cap (a single grid above the cap stays whole). The first part
    keeps the community's index; the others are appended after the existing communities, in
    the same subdistrict. Grids and households are untouched, only their community changes.
    Returns the new territory and the parent community of every community (itself if unsplit).
    """
    grid_community = territory.grid_community.copy()
    households = territory.community_households()
    parent = list(range(territory.n_communities))
    subdistrict = territory.community_subdistrict.tolist()
    for community in np.flatnonzero(households > max_households).tolist():
        grids = np.flatnonzero(territory.grid_community == community)
        parts = _balanced_parts(territory.grid_households[grids], max_households)
        for part in range(1, int(parts.max()) + 1):
            grid_community[grids[parts == part]] = len(parent)
            parent.append(community)
            subdistrict.append(subdistrict[community])
    split = Territory(
        grid_community=grid_community,
        grid_households=territory.grid_households,
        grid_dedicated=territory.grid_dedicated,
        grid_load=territory.grid_load,
        community_subdistrict=np.asarray(subdistrict, dtype=territory.community_subdistrict.dtype),
    )
    return split, np.asarray(parent, dtype=np.int64)


def _balanced_parts(grid_households: np.ndarray, cap: int) -> np.ndarray:
    """Part index (0, 1, ...) of each grid of one community: fewest contiguous parts, none above cap."""
    total = float(grid_households.sum())
    middle = np.cumsum(grid_households) - grid_households / 2.0
    for k in range(max(1, math.ceil(total / cap)), len(grid_households) + 1):
        slots = np.minimum((middle / total * k).astype(np.int64), k - 1)
        _, parts = np.unique(slots, return_inverse=True)
        if np.bincount(parts, weights=grid_households).max() <= cap:
            return parts
    return np.arange(len(grid_households))
