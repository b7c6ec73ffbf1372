"""Batches: the batch file, sweeps, skip-if-current, a smoke batch end to end, and a failing scenario.

The end-to-end tests execute the shipped notebooks with papermill in child processes, with a
kernel running this interpreter, on the 40-grid toy district of conftest.py.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import warnings
from html import unescape
from pathlib import Path

import nbformat
import pytest

from sim.batch.execute import check_parameters
from sim.batch.plan import NOTEBOOK_DIR, plan_batch, scenario_key
from sim.batch.runner import run_batch, summary_text
from sim.batch.schema import read_batch
from sim.cli import main
from sim.errors import InputError
from sim.results import manifest
from sim.results.folder import LOCK
from sim.results.markers import is_complete

from .conftest import PARAMS, SMALL

SMOKE = PARAMS / "batches" / "smoke.yaml"


def write_batch(folder: Path, text: str) -> Path:
    path = folder / "batch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def small_batch_text(scenarios: str, extra: str = "") -> str:
    sets = "\n".join(f"  - {s}" for s in SMALL)
    return (f"name: tiny\nreplications: 2\nseed: 3\ntimeout_minutes: 5\n{extra}set:\n{sets}\nscenarios:\n{scenarios}")


def png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke")
    result = run_batch(SMOKE, out, jobs=2, progress=False)
    return out, result


# --------------------------------------------------------------------------- the batch file


def test_a_sweep_expands_to_one_named_scenario_per_combination(tmp_path):
    path = write_batch(tmp_path, small_batch_text(
        f"  - name: deadline\n    file: {PARAMS / 'luzhou_2034.yaml'}\n"
        "    set: ['workforce.hiring_batches=[]']\n"
        "    sweep: {dispatch.resolution_deadline_h: [24, 48], dispatch.queue_discipline: [fifo, edf]}\n"
        "    name_format: 'h{resolution_deadline_h}_{queue_discipline}'\n"))
    plan = plan_batch(path, tmp_path / "out")
    assert [s.name for s in plan.scenarios] == ["h24_fifo", "h24_edf", "h48_fifo", "h48_edf"]
    assert plan.scenarios[1].scenario.dispatch.queue_discipline == "edf"
    assert plan.scenarios[2].scenario.dispatch.resolution_deadline_h == 48
    assert plan.baseline == "h24_fifo"


def batch_file_error(tmp_path: Path, top: str = "", entry: str = "") -> tuple[Path, str]:
    path = write_batch(tmp_path, f"name: x\n{top or 'replications: 2'}\nscenarios:\n  - name: a\n    file: "
                                 f"a.yaml\n{entry}")
    with pytest.raises(InputError) as info:
        read_batch(path)
    return path, str(info.value)


@pytest.mark.parametrize("top, key, expected", [
    ("replications: true", "replications", "not true/false"),
    ("replications: 2\nseed: .nan", "seed", "finite number"),
    ("replications: 2\ntimeout_minutes: .inf", "timeout_minutes", "finite number"),
    ("replications: 2\ntarget_on_time_rate: false", "target_on_time_rate", "not true/false"),
    ("replications: 2\nhorizon_days: true", "horizon_days", "not true/false"),
], ids=["true-replications", "nan-seed", "infinite-timeout", "false-target", "true-horizon"])
def test_a_batch_file_is_as_strict_as_a_scenario_file(tmp_path, top, key, expected):
    path, message = batch_file_error(tmp_path, top)
    assert message.startswith(f"{path}: {key}: ") and expected in message and "\n" not in message, message


def test_an_unknown_key_in_a_batch_file_names_the_keys_a_batch_file_allows(tmp_path):
    path, message = batch_file_error(tmp_path, "replications: 2\nreplicatons: 2")
    assert message.startswith(f"{path}: replicatons: unknown parameter"), message
    assert "did you mean 'replications'?" in message and "allowed: baseline, description, drain_days" in message


def test_an_unknown_key_in_a_batch_scenario_names_the_keys_a_batch_scenario_allows(tmp_path):
    _, message = batch_file_error(tmp_path, entry="    sweeps: {}\n")
    assert "scenarios.0.sweeps: unknown parameter 'sweeps' (did you mean 'sweep'?); " \
           "allowed: description, file, name, name_format, set, sweep, title" in message, message


def test_a_baseline_that_is_not_a_scenario_is_an_input_error(tmp_path):
    path = write_batch(tmp_path, small_batch_text(f"  - name: a\n    file: {PARAMS / 'luzhou_baseline.yaml'}\n",
                                                  extra="baseline: b\n"))
    with pytest.raises(InputError, match="baseline"):
        plan_batch(path)


def test_a_parameter_the_notebook_does_not_declare_is_an_input_error():
    with pytest.raises(InputError, match="replicatons"):
        check_parameters(NOTEBOOK_DIR / "scenario.ipynb", {"replicatons": 3})


def test_the_key_changes_with_content_replications_seed_code_version_and_language(small):
    key = scenario_key(small, 2, 1, "v1")
    other = small.model_copy(deep=True)
    other.workforce.grid_workers += 1
    assert scenario_key(small, 2, 1, "v1") == key
    assert len({key, scenario_key(other, 2, 1, "v1"), scenario_key(small, 3, 1, "v1"),
                scenario_key(small, 2, 2, "v1"), scenario_key(small, 2, 1, "v2"),
                scenario_key(small, 2, 1, "v1", "zh")}) == 6


def test_a_swept_title_takes_the_swept_values_and_an_unknown_field_is_an_input_error(tmp_path):
    entry = (f"  - name: d\n    file: {PARAMS / 'luzhou_baseline.yaml'}\n"
             "    sweep: {{dispatch.resolution_deadline_h: [24, 72]}}\n")
    title = '    title: {en: "limit {resolution_deadline_h} h", zh: "时限{resolution_deadline_h}小时"}\n'
    plan = plan_batch(write_batch(tmp_path, small_batch_text(entry.format() + title)))
    assert [s.title for s in plan.scenarios] == [{"en": "limit 24 h", "zh": "时限24小时"},
                                                 {"en": "limit 72 h", "zh": "时限72小时"}]
    with pytest.raises(InputError, match=r"title.en '\{nope\}': \{nope\} is not a swept key"):
        plan_batch(write_batch(tmp_path, small_batch_text(entry.format() + '    title: {en: "{nope}", zh: "x"}\n')))


def test_a_swept_description_takes_the_swept_values(tmp_path):
    entry = (f"  - name: d\n    file: {PARAMS / 'luzhou_baseline.yaml'}\n"
             "    sweep: {dispatch.resolution_deadline_h: [24, 72]}\n"
             '    description: {en: "a {resolution_deadline_h} h limit", zh: "时限{resolution_deadline_h}小时"}\n')
    plan = plan_batch(write_batch(tmp_path, small_batch_text(entry)))
    assert [s.description["en"] for s in plan.scenarios] == ["a 24 h limit", "a 72 h limit"]


def test_a_title_may_not_reach_into_attributes_or_ask_for_a_huge_width(tmp_path):
    entry = (f"  - name: d\n    file: {PARAMS / 'luzhou_baseline.yaml'}\n"
             "    sweep: {dispatch.resolution_deadline_h: [24, 72]}\n")
    for template in ("{resolution_deadline_h.__class__}", "{resolution_deadline_h:>999999999}"):
        title = f'    title: {{en: "x", zh: "{template}"}}\n'
        with pytest.raises(InputError, match="title.zh"):
            plan_batch(write_batch(tmp_path, small_batch_text(entry + title)))


def test_a_scenario_without_a_title_is_called_by_its_file_title_else_its_name(tmp_path):
    plan = plan_batch(write_batch(tmp_path, small_batch_text(
        f"  - name: before\n    file: {PARAMS / 'luzhou_baseline.yaml'}\n"
        f"  - name: elsewhere\n    file: {PARAMS / 'yanta.yaml'}\n")))
    assert plan.scenarios[0].title == {"en": "Before the reform", "zh": "改革前"}
    assert plan.scenarios[1].title == {"en": "elsewhere", "zh": "elsewhere"}


def test_the_shipped_batches_are_valid():
    for path in (PARAMS / "batches").glob("*.yaml"):
        plan = plan_batch(path)
        assert plan.scenarios and plan.baseline in [s.name for s in plan.scenarios]


def test_the_main_batch_compares_baseline_2034_deadlines_and_queue_disciplines():
    plan = plan_batch(PARAMS / "batches" / "luzhou_policies.yaml")
    scenarios = {s.name: s.scenario for s in plan.scenarios}
    assert scenarios[plan.baseline].workforce.hiring_batches == []
    reform = [s for s in scenarios.values() if s.workforce.hiring_batches]
    assert {sum(b.size for b in s.workforce.hiring_batches) for s in reform} == {2034}
    assert all(len(s.workforce.hiring_batches) == 2 for s in reform)
    assert {s.dispatch.resolution_deadline_h for s in reform} == {24, 48, 72}
    assert {s.dispatch.queue_discipline for s in reform} == {"fifo", "edf"}


# --------------------------------------------------------------------------- end to end


def test_a_smoke_batch_runs_every_scenario_notebook_and_exports_the_report(smoke_run):
    out, result = smoke_run
    assert result.ok, summary_text(result)
    manifest = json.loads((out / "batch.json").read_text())
    assert [s["status"] for s in manifest["scenarios"]] == ["complete"] * 3
    for entry in manifest["scenarios"]:
        assert is_complete(out / entry["folder"], entry["key"])
        executed = nbformat.read(out / entry["notebook"], as_version=4)
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64" in html
    assert "nb.load_batch" not in html and "from sim import" not in html  # no code cells
    assert "<script src=" not in html  # nothing fetched from the network


def test_the_report_charts_are_png_and_svg_sized_for_a_16_9_slide(smoke_run):
    out, _ = smoke_run
    for stem in ("on_time_rate", "time_to_close", "backlog"):
        assert png_size(out / "charts" / f"{stem}.png") == (1920, 1080)
        assert (out / "charts" / f"{stem}.svg").read_text().lstrip().startswith("<?xml")


def test_every_scenario_keeps_a_time_to_close_curve_per_replication_and_the_brief_reads_them(smoke_run):
    from sim.reporting.brief import closure_of
    from sim.reporting.notebook import load_batch
    from sim.reporting.results_folder import CLOSURE_FILE

    out, _ = smoke_run
    batch = load_batch(out)
    for entry in json.loads((out / "batch.json").read_text())["scenarios"]:
        assert CLOSURE_FILE in json.loads((out / entry["folder"] / "complete.json").read_text())["files"]
    curves = closure_of(batch)
    assert set(curves["scenario"]) == set(batch.names) and curves["replication"].nunique() == 2


# --------------------------------------------------------------------------- the meeting brief (issue 14)

IDENTIFIER = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b|--set|\b[a-z_]+\.[a-z_]+\.[a-z_]+\b|\b[0-9a-f]{16}\b")
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def briefs(smoke_run, tmp_path_factory):
    """The smoke batch's brief rendered again in both languages (gridgov report), with matplotlib's warnings kept."""
    out, _ = smoke_run
    rendered = {}
    for language in ("en", "zh"):
        folder = tmp_path_factory.mktemp(f"brief_{language}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = main(["report", str(out), "--language", language, "--out", str(folder)])
        rendered[language] = (folder, code, [str(w.message) for w in caught])
    return rendered


def _visible(html: str) -> str:
    """The page's text as a reader sees it: no tags, no embedded images or fonts, no style."""
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return unescape(html)


def test_the_english_and_chinese_briefs_render_with_no_missing_glyph(briefs):
    for language, (folder, code, caught) in briefs.items():
        assert code == 0
        assert (folder / "report.html").is_file() and (folder / "report.pptx").is_file()
        missing = [message for message in caught if "missing from" in message or "Glyph" in message]
        assert not missing, (language, missing)
        for stem in ("on_time_rate", "time_to_close", "backlog", "cost_vs_on_time"):
            assert png_size(folder / "charts" / f"{stem}.png") == (1920, 1080)


def test_the_chinese_brief_has_chinese_headings_and_findings_and_says_its_language(briefs):
    html = (briefs["zh"][0] / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in html
    main_part = html.split('<section class="audit"')[0]
    headings = re.findall(r"<h[12]>(.*?)</h[12]>", main_part)
    findings = re.findall(r'<li class="(?:claim|noclaim)">(.*?)</li>', main_part)
    assert len(headings) >= 5 and 3 <= len(findings) <= 5
    for text in headings + findings:
        assert CJK.search(text) and not re.search(r"[A-Za-z]", text), text
    assert '<html lang="en">' in (briefs["en"][0] / "report.html").read_text(encoding="utf-8")


def test_the_brief_opens_with_the_question_and_findings_and_ends_with_the_audit(briefs):
    html = (briefs["en"][0] / "report.html").read_text(encoding="utf-8")
    order = [html.index(marker) for marker in ('class="question"', 'class="findings"', 'class="sizing"',
                                               'class="charts"', 'class="kpis"', 'class="audit"')]
    assert order == sorted(order)
    assert 'href="#provenance"' in html and 'id="provenance"' in html
    assert "42 days" in html and "2 replications" in html


def test_the_brief_shows_no_code_identifiers_outside_the_audit_appendix(briefs, smoke_run):
    for language in ("en", "zh"):
        html = (briefs[language][0] / "report.html").read_text(encoding="utf-8")
        before, appendix = html.split('<section class="audit"')
        visible = _visible(before)
        assert not IDENTIFIER.findall(visible), (language, IDENTIFIER.findall(visible))
        assert "-0.0" not in visible and "−0.0" not in visible  # no negative zero
        assert "hired_10_fifo" in appendix and "workforce.grid_workers" in appendix  # the audit keeps them


def test_every_finding_is_worded_only_as_strongly_as_its_interval_allows(smoke_run):
    from sim.reporting.brief import findings
    from sim.reporting.notebook import load_batch

    found = findings(load_batch(smoke_run[0]), "en")
    assert 3 <= len(found) <= 5
    for finding in found:
        stated = " raised " in finding.text or " lowered " in finding.text
        if finding.interval == "interval":
            assert stated == finding.significant, finding.text
            assert ("no clear difference" in finding.text) == (not finding.significant), finding.text
            assert "95 % CI" in finding.text
        if finding.interval == "constant":
            assert not stated and "95 % CI" not in finding.text, finding.text


def test_the_slides_hold_a_title_a_slide_per_finding_with_its_chart_and_numbers_the_kpis_and_the_caveats(briefs,
                                                                                                          smoke_run):
    from pptx import Presentation

    from sim.reporting.brief import findings
    from sim.reporting.notebook import load_batch

    for language in ("en", "zh"):
        deck = Presentation(str(briefs[language][0] / "report.pptx"))
        found = findings(load_batch(smoke_run[0]), language)
        slides = list(deck.slides)
        assert len(slides) == 1 + len(found) + 2
        for slide, finding in zip(slides[1:1 + len(found)], found, strict=True):
            pictures = [shape for shape in slide.shapes if shape.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
            assert len(pictures) == 1
            notes = slide.notes_slide.notes_text_frame.text
            assert finding.text in notes and all(number in notes for number in finding.notes)
        assert any(shape.has_table for shape in slides[-2].shapes)


def test_gridgov_report_renders_a_finished_batch_again_without_simulating(smoke_run, tmp_path):
    out, _ = smoke_run
    before = {p: p.stat().st_mtime_ns for p in (out / "scenarios").rglob("*") if p.is_file()}
    assert main(["report", str(out), "--language", "zh", "--out", str(tmp_path / "zh")]) == 0
    assert {p: p.stat().st_mtime_ns for p in (out / "scenarios").rglob("*") if p.is_file()} == before
    assert main(["report", str(tmp_path / "nothing_here")]) == 2


def test_a_rerun_skips_complete_scenarios_and_recomputes_a_changed_one(smoke_run, tmp_path):
    out, _ = smoke_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    again = run_batch(SMOKE, copy, jobs=2, progress=False, report=False)
    assert all(s.status.startswith("skipped") for s in again.plan.scenarios)
    # A damaged result file makes its scenario incomplete: only that one runs again.
    victim = again.plan.scenarios[1]
    (victim.folder / "kpis_per_replication.csv").write_text("damaged")
    third = run_batch(SMOKE, copy, jobs=2, progress=False, report=False)
    assert [s.status for s in third.plan.scenarios] == ["skipped (complete and current)", "complete",
                                                       "skipped (complete and current)"]


def test_a_failing_scenario_leaves_the_others_complete_and_the_exit_status_non_zero(tmp_path, capsys):
    notebook = nbformat.read(NOTEBOOK_DIR / "scenario.ipynb", as_version=4)
    notebook.cells.insert(2, nbformat.v4.new_code_cell(
        'if "made_to_fail" in out_dir:\n    raise RuntimeError("this scenario was made to fail")'))
    nbformat.write(notebook, tmp_path / "failing_scenario.ipynb")
    path = write_batch(tmp_path, small_batch_text(
        f"  - name: works\n    file: {PARAMS / 'luzhou_baseline.yaml'}\n"
        f"  - name: made_to_fail\n    file: {PARAMS / 'luzhou_baseline.yaml'}\n    set: [workforce.grid_workers=20]\n",
        extra=f"notebooks: {{scenario: {tmp_path / 'failing_scenario.ipynb'}}}\n"))
    code = main(["batch", str(path), "--out", str(tmp_path / "out"), "--jobs", "2", "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "FAILED made_to_fail: RuntimeError: this scenario was made to fail" in printed
    manifest = json.loads((tmp_path / "out" / "batch.json").read_text())
    assert [s["status"] for s in manifest["scenarios"]] == ["complete", "failed"]
    assert (tmp_path / "out" / "notebooks" / "made_to_fail.ipynb").exists()  # the failed run is kept, with its error
    assert (tmp_path / "out" / "report.html").exists()  # the comparison reports what completed


def test_a_bad_batch_file_exits_2_with_one_message(tmp_path, capsys):
    path = write_batch(tmp_path, "name: x\nreplications: 0\nscenarios: []\n")
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    assert "replications" in capsys.readouterr().err


# --------------------------------------------------------------------------- interruptions (issue 6)


def _batch_command(out, batch: Path = SMOKE) -> list[str]:
    return [sys.executable, "-m", "sim", "batch", str(batch), "--out", str(out), "-j", "2", "--no-progress"]


def _kpis_of(out) -> dict[str, str]:
    return {p.parent.name: p.read_text() for p in sorted((out / "scenarios").glob("*/kpis_per_replication.csv"))}


def test_a_second_batch_on_the_same_folder_is_refused_and_the_first_completes(tmp_path):
    one_scenario = f"  - name: baseline\n    file: {PARAMS / 'luzhou_baseline.yaml'}\n"
    batch = write_batch(tmp_path, small_batch_text(one_scenario))
    out = tmp_path / "out"
    first = subprocess.Popen(_batch_command(out, batch), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (out / LOCK).exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    second = subprocess.run(_batch_command(out, batch), capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and "in use by another gridgov process" in second.stderr, second.stderr
    assert "Traceback" not in second.stderr
    first_out, first_err = first.communicate(timeout=600)
    assert first.returncode == 0, first_err
    assert "1 computed" in first_out
    assert manifest.verify(out).ok


def test_a_batch_killed_at_a_random_moment_completes_on_rerun_with_identical_results(smoke_run, tmp_path):
    expected = _kpis_of(smoke_run[0])  # the same batch, uninterrupted (in this process: any process gives the same)
    assert len(expected) == 3
    rng = random.Random(6)
    for attempt in range(2):
        out = tmp_path / f"killed{attempt}"
        victim = subprocess.Popen(_batch_command(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 12.0))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        rerun = subprocess.run(_batch_command(out), capture_output=True, text=True, timeout=600)
        assert rerun.returncode == 0, rerun.stderr
        assert _kpis_of(out) == expected
        assert (out / "report.html").exists()
        assert manifest.verify(out).ok


def _descendants_of(pid: int) -> list[int]:
    """Live (not zombie) processes descended from pid, read from /proc."""
    parent_of = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if state != "Z":
            parent_of[int(stat.parent.name)] = int(parent)
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parent_of.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc (Linux)")
def test_a_killed_batch_leaves_no_notebook_kernel_or_worker_running(tmp_path):
    long_batch = write_batch(tmp_path, "name: long\nreplications: 4\nscenarios:\n  - name: year\n"
                                       f"    file: {PARAMS / 'luzhou_baseline.yaml'}\n")
    command = [sys.executable, "-m", "sim", "batch", str(long_batch), "--out", str(tmp_path / "out"), "--no-progress"]
    victim = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(_descendants_of(victim.pid)) < 2 and time.monotonic() < deadline:  # the notebook and its kernel
        time.sleep(0.05)
    time.sleep(3)  # the kernel starts its replication workers
    descendants = _descendants_of(victim.pid)
    assert len(descendants) >= 2, "the batch started no notebook"
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    deadline = time.monotonic() + 15  # left alone, they would simulate four district-years
    while any(_alive(pid) for pid in descendants) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in descendants if _alive(pid)]


def test_a_batch_into_an_unwritable_folder_fails_clearly_and_writes_nothing(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = subprocess.run(_batch_command(blocker / "out"), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "a_file" in result.stderr and "Traceback" not in result.stderr
    assert blocker.read_text() == "not a folder"
