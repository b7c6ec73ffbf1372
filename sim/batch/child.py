"""One notebook executed in a process of its own: `python -m sim.batch.child SPEC_JSON` (see `execute`).

SPEC_JSON is one JSON object: `notebook`, `output` (the executed copy), `parameters`, `cwd`,
`kernel`, `shutdown_wait_s`, `parent` (the pid of the batch that started it) and, to export the
executed notebook as the report, `html` (the page to write) and `title`.

Exit status 0 when the notebook ran (and was exported); otherwise 1, with the reason as the last
line on stderr, `gridgov-batch-error: <reason>`. The executed notebook, with its error, is kept.

This process imports papermill, nbconvert and jinja2, never the model: `sim` and `sim.batch`
import nothing when loaded, so it starts in a fraction of a second. The notebook's kernel is a
separate process that imports whatever the notebook needs.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from typing import Any

from ..children import die_with_parent

ERROR_PREFIX = "gridgov-batch-error: "
REPORT_TEMPLATE = "report.html.j2"  # package data beside this module


def main(argv: list[str]) -> int:
    """Execute the notebook SPEC_JSON names; 0 if it ran, 1 with the error line on stderr if not."""
    spec = json.loads(argv[0])
    # Killed with the batch: a killed batch must not leave notebooks writing into the folder its re-run
    # fills (their kernels follow: ipykernel exits when its parent is gone). Armed here rather than in a
    # preexec_fn, which can deadlock a child forked from a process with threads before it reaches exec.
    die_with_parent(spec["parent"])
    # jsonschema (under nbformat) would import rfc3987_syntax, which builds a parser at import (about
    # 2 s of CPU per process) for an IRI format notebooks never use.
    sys.modules.setdefault("rfc3987_syntax", None)
    logging.getLogger("papermill").setLevel(logging.WARNING)
    _wait_for_kernel_messages_in_short_polls()
    try:
        execute(spec)
        if spec.get("html"):
            export_html(spec["output"], spec["html"], spec.get("title") or "report")
    except Exception as error:
        print(ERROR_PREFIX + " ".join(_reason(error, spec["output"]).split()), file=sys.stderr)
        return 1
    return 0


KERNEL_START_S = 120  # on two busy cores a kernel can take over nbclient's default 60 s to answer
KERNEL_NOT_STARTED = ("Kernel didn't respond", "Kernel died before replying to kernel_info")


def execute(spec: dict[str, Any]) -> None:
    """Run the notebook with papermill, parameters injected, on the kernel the batch set up.

    A kernel that does not start (no answer in time; two kernels started at once on one machine can
    be given the same port) is tried once more: no cell has run, so nothing is done twice.
    """
    import papermill
    from traitlets.config import Config

    config = Config()
    config.KernelManager.shutdown_wait_time = spec["shutdown_wait_s"]
    for attempt in (1, 2):
        try:
            papermill.execute_notebook(spec["notebook"], spec["output"], parameters=spec["parameters"],
                                       kernel_name=spec["kernel"], cwd=spec["cwd"], progress_bar=False,
                                       start_timeout=KERNEL_START_S, config=config)
            return
        except RuntimeError as error:
            if attempt == 2 or not str(error).startswith(KERNEL_NOT_STARTED):
                raise


def export_html(notebook: str, html: str, title: str) -> None:
    """The executed notebook as one self-contained page without code cells, written whole or not at all."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True, template_file=REPORT_TEMPLATE,
                            extra_loaders=[jinja2.PackageLoader(__package__, ".")])
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4),
                                          resources={"metadata": {"name": title}})
    fd, tmp = tempfile.mkstemp(prefix=".report.", suffix=".tmp", dir=os.path.dirname(html))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, html)
    except BaseException:
        os.unlink(tmp)
        raise


def _reason(error: Exception, output: str) -> str:
    if type(error).__name__ == "PapermillExecutionError":
        return f"{error.ename}: {error.evalue} (cell {error.exec_count}; see {output})"
    return f"{type(error).__name__}: {error}"


def _wait_for_kernel_messages_in_short_polls() -> None:
    """Work around jupyter/nbclient#312: poll the kernel's channels in short waits instead of one long one.

    A zmq.asyncio poll can miss the wake-up of a message already waiting: the cell's reply and
    outputs then never arrive and papermill waits for ever on an idle kernel, as a notebook with
    widgets did about once in 20 runs here. Waiting in short polls re-checks the socket.
    """
    from queue import Empty

    from jupyter_client.channels import AsyncZMQSocketChannel

    get_msg = AsyncZMQSocketChannel.get_msg

    async def get_msg_in_short_polls(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = 0.5 if deadline is None else max(0.0, min(0.5, deadline - time.monotonic()))
            try:
                return await get_msg(self, left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    AsyncZMQSocketChannel.get_msg = get_msg_in_short_polls


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
