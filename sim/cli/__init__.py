"""The `gridgov` command: parse the arguments, run the command, turn every failure into a message and an exit status.

    parsers   the arguments of every command (shared options declared once)
    commands  the `cmd_*` functions, which call the library

Bad input ends with one line on stderr naming the file, the parameter, the bad value and what
is allowed, and exit status 2, never a traceback. Ctrl-C ends with status 130 and SIGTERM with
143, each with a line saying how to resume.
"""

from __future__ import annotations

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
    except KeyboardInterrupt as interrupt:
        what = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
        hint = getattr(interrupt, "resume_hint", "nothing half-written was left behind. Run the same command again.")
        print(f"gridgov: {what}; {hint}", file=sys.stderr)
        return 143 if isinstance(interrupt, Terminated) else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _install_sigterm():
    """Treat SIGTERM like Ctrl-C (clean stop, resume message); returns the handler to restore."""
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a notebook's worker thread)
        return None


if __name__ == "__main__":
    sys.exit(main())
