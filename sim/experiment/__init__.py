"""Experiments: replications and seeds, executors (in-process, process pool, Dask), studies of one mechanism
alone, and validation against queueing theory.
"""
