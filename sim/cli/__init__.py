"""The `gridgov` command: parse the arguments, run the command, turn every failure into a message and an exit status.

    parsers   the arguments of every command (shared options declared once)
    commands  the `cmd_*` functions, which call the library
    calibrate_command  `gridgov calibrate` (its checks before the work and its console summary)
    json_output        what `--json` does with numpy scalars and paths

Bad input ends with one line on stderr naming the file, the parameter, the bad value and what
is allowed, and exit status 2, never a traceback. Any other failure is one line too (exit 2): an
OSError names its file, and an unexpected exception says it is a bug (set GRIDGOV_TRACEBACK=1
for the traceback). Ctrl-C ends with status 130 and SIGTERM with
143, each with a line saying how to resume.
"""

from __future__ import annotations

import os
import signal
import sys

from ..errors import InputError
from .commands import COMMANDS
from .parsers import build_parser

__all__ = ["Terminated", "build_parser", "main"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that clean-up runs as for Ctrl-C."""


def _on_sigterm(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """Run one gridgov command line (default: sys.argv); returns the exit status."""
    previous = _install_sigterm()
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except InputError as error:
        print(f"gridgov: error: {error}", file=sys.stderr)
        return 2
    except RecursionError:
        print("gridgov: error: the input is nested too deeply to be read (Python's recursion limit was reached); "
              "no results were marked complete", file=sys.stderr)
        return 2
    except MemoryError:
        print("gridgov: error: out of memory reading or processing the input; check the sizes and counts "
              "given (see README, 'Bad input')", file=sys.stderr)
        return 2
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"gridgov: error: {where}{error.strerror or error}; no results were marked complete", file=sys.stderr)
        return 2
    except Exception as error:  # the last guard: a bug, told as one line (GRIDGOV_TRACEBACK=1 shows the traceback)
        if os.environ.get("GRIDGOV_TRACEBACK"):
            raise
        print(f"gridgov: error: unexpected {type(error).__name__}: {_first_line(error)}. This is a bug in gridgov, "
              "not in your input: please report it with the command line (GRIDGOV_TRACEBACK=1 shows where it "
              "happened)", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        what = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
        hint = getattr(interrupt, "resume_hint", "nothing half-written was left behind. Run the same command again.")
        print(f"gridgov: {what}; {hint}", file=sys.stderr)
        return 143 if isinstance(interrupt, Terminated) else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else "(no message)"


def _install_sigterm():
    """Treat SIGTERM like Ctrl-C (clean stop, resume message); returns the handler to restore."""
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a notebook's worker thread)
        return None


if __name__ == "__main__":
    sys.exit(main())
