"""Counts that are typos, not plans: beyond these, building the task lists alone would exhaust memory.

Foundations (no imports): the command line checks them while parsing its arguments, and batch
files are validated against the same numbers.
"""

MAX_REPLICATIONS = 10_000
MAX_JOBS = 1_024
MAX_SEARCH_STEPS = 50  # calibrate --search-steps: each step is a simulation of the whole log period
MAX_TOP_CATEGORIES = 500  # calibrate --top-categories
MAX_WARM_UP_DAYS = 3_650  # calibrate --warm-up-days: the schema's longest horizon
MAX_SERVERS = 1_000_000  # validate mmc --servers: the schema's largest workforce
MAX_BATCH_SCENARIOS = 1_000  # scenarios in one batch once its sweeps are expanded
MAX_NAME_CHARS = 120  # a scenario name (the schema's limit), checked before any work
