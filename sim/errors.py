"""The one exception type users see: bad input, reported as a sentence, never a traceback."""

from __future__ import annotations


class InputError(Exception):
    """Invalid user input: a scenario file, an override or a command-line argument.

    The message names where the problem is (file, parameter path), the bad value and what is
    allowed. The CLI prints it on stderr and exits with status 2.
    """

    def __init__(self, message: str, *, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class OutputError(InputError):
    """Results cannot be written (full disk, unwritable or vanished output folder).

    Reported like bad input: one line naming the folder and the reason, exit status 2; the folder
    is left without a manifest, so it is never taken for a complete result.
    """
