"""Calibrating a district from its own case log: a scenario that reproduces the log, and how well it does.

`read_case_log` reads and cleans a log (`logs`, `columns`); `calibrate` groups its cases
(`categories`), reads off arrivals and units (`arrivals`, `departments`) and searches the work
contents by simulation (`search`, `work_content`), comparing both logs on the same summary
(`moments`); `write_scenario` writes the labelled scenario (`scenario_file`); `acceptance`
judges the fit.
"""

from .logs import CaseLog, read_case_log
from .result import Calibration
from .scenario_file import write_scenario
from .search import calibrate

__all__ = ["CaseLog", "Calibration", "calibrate", "read_case_log", "write_scenario"]
