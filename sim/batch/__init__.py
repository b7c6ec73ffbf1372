"""Batches of scenarios run through parameterised notebooks with papermill, and their report.
"""
