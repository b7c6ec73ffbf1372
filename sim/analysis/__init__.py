"""From raw runs to numbers: the KPI registry, KPIs, the case log, scorecards and tables of one run, and the
statistics across replications (intervals, paired differences), and which scenarios behave identically.
"""
