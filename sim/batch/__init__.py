"""Scenario batches: a batch file, its scenarios and sweeps, parallel notebook runs, skip-if-current, the report.

    schema   the batch file: its models (strict like scenario files) and `read_batch`
    plan     the scenarios a batch resolves to (sweeps expanded), their keys, folders and notebooks
    execute  one notebook in a child process (kernel, parameters, timeout, process group)
    child    that child process: `python -m sim.batch.child SPEC_JSON` (papermill, no `sim` model code)
    runner   `run_batch`: every scenario not complete and current, then the comparison and the report

Nothing is imported here: the child process imports this package and must start quickly.
"""
