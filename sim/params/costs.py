"""Yearly costs: pay by role and grade (3 posts x 18 grades), allowances, community funds, training."""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from .base import Strict

PAY_POSTS = ("chief", "deputy", "staff")
PAY_GRADES = 18


def default_pay_scale() -> list[list[float]]:
    """An illustrative 3 posts x 18 grades table (三岗十八级): 3 % a grade; staff row averaging 66,300 yuan."""
    staff_base = 66_300 / (1 + 0.03 * (PAY_GRADES - 1) / 2)
    return [
        [round(staff_base * factor * (1 + 0.03 * grade), -2) for grade in range(PAY_GRADES)]
        for factor in (1.30, 1.15, 1.0)
    ]


class Costs(Strict):
    """Yearly costs of the community-level system (department staff are outside: paid by departments)."""

    grid_worker_pay_yuan_per_year: float = Field(
        48_000.0, ge=0, le=1e7,
        description="assumption: a full-time urban grid worker earns 48,000 yuan a year with social insurance, below "
                    "the community worker average of seed 004",
    )
    community_worker_pay_yuan_per_year: float = Field(
        66_300.0, ge=0, le=1e7, description="seed 004: average community worker pay 6.63万元 a year "
                                             "(人均薪酬达6.63万元/年)"
    )
    pay_scale_yuan_per_year: list[list[float]] = Field(
        default_factory=default_pay_scale,
        description="assumption: figures of the 3 posts x 18 grades scale (seeds 000, 001 name it, give no figures): 3 "
                    "% a grade, deputy 1.15 x and chief 1.30 x staff, staff averaging seed 004's 66,300",
    )
    secretary_post: int = Field(0, ge=0, le=2, description="assumption: a secretary is paid on the chief row (0 chief, "
                                                           "1 deputy, 2 staff)")
    secretary_grade: int = Field(9, ge=0, le=PAY_GRADES - 1, description="assumption: a secretary sits mid-scale, "
                                                                         "grade 10 of 18 (index 9)")
    certified_social_worker_share: float = Field(
        0.365, ge=0, le=1, description="seed 004: 292 of 800+ community workers are certified social workers"
    )
    certified_level_mix: list[float] = Field(
        default=[0.6, 0.3, 0.1], min_length=3, max_length=3,
        description="assumption: of the certified, 60 % junior, 30 % intermediate, 10 % senior",
    )
    allowance_yuan_per_month: list[float] = Field(
        default=[150.0, 300.0, 500.0], min_length=3, max_length=3,
        description="seed 004: certified social worker allowance 150 / 300 / 500 yuan a month "
                    "(初级150元/月、中级300元/月、高级500元/月)",
    )
    community_operating_funds_yuan_per_year: float = Field(
        390_000.0, ge=0, le=1e9, description="seed 004: community operating funds 39万元 a year "
                                             "(运转经费达39万元/年); seed 001 gives 350,000 for office and "
                                             "service funds"
    )
    community_special_fund_yuan_per_year: float = Field(
        0.0, ge=0, le=1e9, description="assumption: 0 unless a seed gives one (seed 002: Chongchuan 200,000 yuan per "
                                       "community a year)"
    )
    training_cost_yuan_per_trainee: float = Field(
        3_000.0, ge=0, le=1e7, description="assumption: 3,000 yuan per trainee per class (venue, teaching, board)"
    )

    @model_validator(mode="after")
    def _table_shape(self) -> Costs:
        table = self.pay_scale_yuan_per_year
        if len(table) != len(PAY_POSTS) or any(len(row) != PAY_GRADES for row in table):
            raise ValueError(f"pay_scale_yuan_per_year must be {len(PAY_POSTS)} rows ({', '.join(PAY_POSTS)}) of "
                             f"{PAY_GRADES} grades")
        if any(v < 0 or not math.isfinite(v) for row in table for v in row):
            raise ValueError("pay_scale_yuan_per_year figures must be finite and non-negative")
        if any(v < 0 for v in self.certified_level_mix) or not math.isclose(sum(self.certified_level_mix), 1.0,
                                                                            abs_tol=1e-6):
            raise ValueError(f"certified_level_mix must be three non-negative shares summing to 1, got "
                             f"{self.certified_level_mix}")
        return self

    def secretary_pay_yuan_per_year(self) -> float:
        return self.pay_scale_yuan_per_year[self.secretary_post][self.secretary_grade]

    def allowance_yuan_per_community_worker_year(self) -> float:
        """Expected certified social worker allowance per community worker, per year."""
        pairs = zip(self.certified_level_mix, self.allowance_yuan_per_month, strict=True)
        monthly = sum(share * amount for share, amount in pairs)
        return 12 * self.certified_social_worker_share * monthly
