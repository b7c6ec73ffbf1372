"""Units of the simulation clock: time is in hours since Monday 00:00 of day 0."""

HOURS_PER_DAY = 24.0
HOURS_PER_WEEK = 168.0
DAYS_PER_YEAR = 365.0
HOURS_PER_YEAR = HOURS_PER_DAY * DAYS_PER_YEAR
