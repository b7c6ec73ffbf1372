"""The model core: one replication of a district in SimPy (streams, calendars, territory, arrivals, cases,
queues, stations, handling, the grid workforce, the district). No pandas, no files, no mechanism imports:
mechanisms act through the hooks of `core.hooks`.
"""
