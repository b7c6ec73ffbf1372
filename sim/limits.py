"""Counts that are typos, not plans: beyond these, building the task lists alone would exhaust memory.

Foundations (no imports): the command line checks them while parsing its arguments, and batch
files are validated against the same numbers.
"""

MAX_REPLICATIONS = 10_000
MAX_JOBS = 1_024
