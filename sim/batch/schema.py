"""The batch file: scenarios (a file plus overrides, or a sweep), the replications and seed they share, the notebooks.

A batch file is validated like a scenario file (the models are built on `sim.params.base.Strict`):
unknown keys are errors, numbers must be finite, `true`/`false` is never a number, and every
problem is one InputError naming the file, the key, the value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from ..errors import InputError
from ..limits import MAX_REPLICATIONS
from ..params import describe_validation_error, read_yaml
from ..params.base import LocalText, Strict


class BatchScenario(Strict):
    """One entry of `scenarios:`: a scenario file with overrides, optionally swept over parameters."""

    name: str = Field(min_length=1, max_length=100, description="scenario identifier (folders, audit)")
    title: LocalText | None = Field(
        None, description="what the brief calls the scenario (en, zh); with a sweep, {leaf} fields take the swept "
        "values as in name_format; default: the scenario file's title, else the name")
    description: LocalText | None = Field(None, description="one or two sentences on the scenario (en, zh)")
    file: str = Field(min_length=1, description="scenario file, relative to the batch file")
    set: list[str] = Field(default_factory=list, description="PATH=VALUE overrides, as gridgov --set")
    sweep: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="parameter path -> values; one scenario per combination (cartesian product)",
    )
    name_format: str | None = Field(
        None, description="names of swept scenarios, e.g. 'deadline_{resolution_deadline_h}h' "
        "(keys: last part of each swept path); default: name_value1_value2"
    )

    @field_validator("sweep")
    @classmethod
    def _non_empty(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path, values in value.items():
            if not values:
                raise ValueError(f"sweep over {path!r} has no values")
        return value


class BatchNotebooks(Strict):
    """The notebooks a batch runs: one per scenario, and the comparison exported as the report."""

    scenario: str = Field("scenario.ipynb", description="per-scenario notebook (relative to the batch file, "
                          "or a name in the shipped notebooks/ folder)")
    compare: str | None = Field("compare.ipynb", description="comparison notebook exported as the report; null: none")


class BatchPrecision(Strict):
    """Replications by precision: added until the KPI's 95 % half-width, of every scenario's mean and of every
    paired difference from the baseline, is at most half_width (`sim.experiment.precision`), with a cap."""

    kpi: str = Field(min_length=1, description="the KPI whose half-width is the target, e.g. on_time_rate")
    half_width: float = Field(gt=0, description="the largest 95 % half-width allowed, in the KPI's unit")
    max_replications: int = Field(50, ge=2, le=MAX_REPLICATIONS, description="the cap on replications")
    min_replications: int = Field(2, ge=2, le=MAX_REPLICATIONS,
                                  description="the rule is checked from this many replications on")

    @field_validator("kpi")
    @classmethod
    def _a_kpi(cls, value: str) -> str:
        from ..analysis import registry

        if registry.find(value) is None:
            raise ValueError(f"{value!r} is not a KPI; e.g. on_time_rate, ttc_p90_h, backlog_mean")
        return value

    @model_validator(mode="after")
    def _minimum_within_cap(self) -> BatchPrecision:
        if self.min_replications > self.max_replications:
            raise ValueError(f"min_replications ({self.min_replications}) must not exceed max_replications "
                             f"({self.max_replications})")
        return self


class Batch(Strict):
    """A batch of scenarios run over the same replications and seed (common random numbers)."""

    name: str = Field(min_length=1, max_length=100)
    title: LocalText | None = Field(None, description="the brief's title (en, zh); default: the name")
    question: LocalText | None = Field(None, description="the question the batch answers, the brief's first line")
    description: str | LocalText = ""
    replications: int | None = Field(None, ge=1, le=MAX_REPLICATIONS,
                                     description="replications of every scenario; required unless precision is given")
    precision: BatchPrecision | None = Field(None, description="replications by precision instead of a fixed count "
                                             "(replications is then ignored)")
    seed: int = Field(0, ge=0, lt=2**63)
    horizon_days: int | None = Field(None, ge=1, description="overrides every scenario's horizon_days")
    warm_up_days: int | None = Field(None, ge=0, description="overrides every scenario's warm_up_days")
    drain_days: int | None = Field(None, ge=0, description="overrides every scenario's drain_days")
    set: list[str] = Field(default_factory=list, description="overrides applied to every scenario first")
    baseline: str | None = Field(None, description="the scenario differences are taken against; default: the first")
    target_on_time_rate: float = Field(0.95, gt=0, le=1, description="the target line in the on-time chart")
    language: Literal["en", "zh"] = "en"
    timeout_minutes: float | None = Field(None, gt=0, le=100_000, description="stop a scenario's notebook after "
                                          "this long (at most 100,000 minutes); None: no limit")
    notebooks: BatchNotebooks = Field(default_factory=BatchNotebooks)
    scenarios: list[BatchScenario] = Field(min_length=1)

    @model_validator(mode="after")
    def _replications_or_precision(self) -> Batch:
        if self.replications is None and self.precision is None:
            raise ValueError("replications is required (a count of at least 1) unless precision "
                             "({kpi, half_width, max_replications}) is given")
        return self


def read_batch(path: str | Path) -> Batch:
    """Read and validate a batch file; unknown keys and bad values are InputErrors naming the file."""
    path = Path(path)
    raw = read_yaml(path, what="batch file")
    try:
        return Batch.model_validate(raw)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, raw, root=Batch), where=str(path)) from None
