"""The README's examples work: every ```python block runs, every documented `gridgov` command parses.

The Python blocks run in order from the repository root in one namespace, as a reader pasting
them one after the other into one session would (a later block may use a name an earlier block
defined). A placeholder Dask scheduler (`tcp://HOST:8786`) is replaced by the address of a local
cluster started for the test. The `gridgov` lines of the ```bash blocks are parsed with the real
parser (`sim.cli.build_parser`); placeholders such as `LOG.csv.gz` are arguments like any other.
A usage synopsis (optional arguments in [brackets]) is checked option by option: each option
exists for that command and takes a value exactly when the synopsis gives it one.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from sim.cli import build_parser
from sim.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PLACEHOLDER_SCHEDULER = "tcp://HOST:8786"


def fenced_blocks(language: str) -> list[tuple[int, str]]:
    """(line number of the opening fence, code) of every ```language block of the README."""
    blocks, current, start = [], None, 0
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), start=1):
        if current is None:
            if line.strip() == f"```{language}":
                current, start = [], number
        elif line.strip() == "```":
            blocks.append((start, "\n".join(current) + "\n"))
            current = None
        else:
            current.append(line)
    return blocks


def gridgov_commands() -> list[tuple[int, str]]:
    """(README line, command) of every `gridgov` command of the ```bash blocks, comments removed.

    A command goes on over lines ending in a backslash, and over indented lines (the way a usage
    synopsis is wrapped); `make ...`, `python ...` and `. .venv/bin/activate` lines are not
    gridgov commands.
    """
    commands = []
    for start, code in fenced_blocks("bash"):
        current, continued = None, False
        for offset, raw in enumerate(code.splitlines(), start=1):
            line = raw.split("#", 1)[0].rstrip()
            if current is not None and (continued or (raw[:1].isspace() and line.strip())):
                current[1] += " " + line.strip().removesuffix("\\")
            else:
                current = None
                if line.strip().startswith("gridgov "):
                    current = [start + offset, line.strip().removesuffix("\\")]
                    commands.append(current)
            continued = line.endswith("\\")
    return [(number, " ".join(command.split())) for number, command in commands]


PYTHON_BLOCKS = fenced_blocks("python")
COMMANDS = gridgov_commands()


# --------------------------------------------------------------------------- the extraction itself


def test_the_readme_has_python_blocks_and_gridgov_commands_to_check():
    assert len(PYTHON_BLOCKS) >= 2
    assert len(COMMANDS) >= 15
    assert all(command.startswith("gridgov ") for _, command in COMMANDS)


def test_a_command_wrapped_with_a_backslash_is_one_command():
    hiring = [c for _, c in COMMANDS if "hiring_none.yaml" in c]
    assert len(hiring) == 1 and hiring[0].endswith("params/hiring_2500.yaml -n 4")


def test_a_comment_after_a_command_is_not_part_of_it():
    assert not [c for _, c in COMMANDS if "#" in c]


# --------------------------------------------------------------------------- python blocks


class Session:
    """One namespace for all the blocks, each run once, in README order."""

    def __init__(self):
        self.namespace = {"__name__": "__readme__"}
        self.ran: set[int] = set()

    def run(self, line: int, code: str) -> None:
        self.ran.add(line)
        exec(compile(code, f"README.md (block at line {line})", "exec"), self.namespace)

    def run_up_to(self, line: int, substitute) -> None:
        """Run the blocks before this one that have not run yet (as when this test runs alone), then this one."""
        for earlier, code in PYTHON_BLOCKS:
            if earlier <= line and earlier not in self.ran:
                self.run(earlier, substitute(code))


@pytest.fixture(scope="module")
def session():
    return Session()


@pytest.fixture(scope="module")
def scheduler():
    """A local Dask cluster standing in for the README's `tcp://HOST:8786`; started only if a block needs it."""
    clusters = []

    def address() -> str:
        if not clusters:
            distributed = pytest.importorskip("distributed")
            # Workers as threads of this process: no start-up of worker processes, so it takes a second.
            clusters.append(distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                                     dashboard_address=":0"))
        return clusters[0].scheduler_address

    yield address
    for cluster in clusters:
        cluster.close()


def python_block_params():
    return [pytest.param(line, code, id=f"README.md:{line}") for line, code in PYTHON_BLOCKS]


@pytest.mark.parametrize(("line", "code"), python_block_params())
def test_python_block_runs(line, code, session, scheduler, monkeypatch):
    monkeypatch.chdir(ROOT)

    def substitute(text: str) -> str:
        return text.replace(PLACEHOLDER_SCHEDULER, scheduler()) if PLACEHOLDER_SCHEDULER in text else text

    session.run_up_to(line, substitute)


# --------------------------------------------------------------------------- bash blocks


def subcommand_parser(parser, name: str):
    (subcommands,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    assert name in subcommands.choices, f"unknown command {name!r}; known: {sorted(subcommands.choices)}"
    return subcommands.choices[name]


def check_synopsis(parser, argv: list[str]) -> None:
    """Each [--option VALUE] of a usage synopsis exists for the command and takes a value iff given one."""
    command = subcommand_parser(parser, argv[0])
    tokens = [t for t in re.split(r"[\[\]\s]+", " ".join(argv[1:])) if t and t != "..."]
    positionals, i = [], 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("-"):
            action = command._option_string_actions.get(token)
            assert action is not None, f"gridgov {argv[0]} has no option {token}"
            takes_value = action.nargs != 0
            gives_value = i + 1 < len(tokens) and not tokens[i + 1].startswith("-")
            assert takes_value == gives_value, (f"gridgov {argv[0]} {token} "
                                                f"{'takes' if takes_value else 'takes no'} value")
            i += 2 if gives_value else 1
        else:
            positionals.append(token)
            i += 1
    parser.parse_args([argv[0], *positionals])


@pytest.mark.parametrize(("line", "command"), [pytest.param(n, c, id=f"README.md:{n}") for n, c in COMMANDS])
def test_documented_command_parses(line, command):
    argv = shlex.split(command)[1:]
    parser = build_parser()
    try:
        if "[" in command:
            check_synopsis(parser, argv)
        else:
            parser.parse_args(argv)
    except (InputError, SystemExit) as error:
        pytest.fail(f"README.md line {line}: `{command}` does not parse: {error}")


def test_a_mistyped_option_does_not_parse():
    """The check above can fail: the parser refuses what the README must not document."""
    with pytest.raises(InputError):
        build_parser().parse_args(["run", "params/luzhou_2034.yaml", "--repetitions", "10"])


def test_a_synopsis_with_an_unknown_option_is_refused():
    with pytest.raises(AssertionError, match="no option --colour"):
        check_synopsis(build_parser(), ["calibrate", "LOG.csv.gz", "[--colour", "C]"])
