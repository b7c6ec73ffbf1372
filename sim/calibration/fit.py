"""The calibration entry points under their former module name, for `sim.cli` until it imports them from `sim.calibration`.

Delete this module once `sim.cli` uses `from ..calibration import calibrate, read_case_log, write_scenario`.
"""

from . import calibrate, read_case_log, write_scenario

__all__ = ["calibrate", "read_case_log", "write_scenario"]
