"""The brief's parts that need no batch: the message catalogue, numbers for the locale, the shipped CJK font, charts
drawn in Chinese and saved after their style context, merged identical curves, titles in the scenario files.

The briefs of the smoke batch themselves are tested end to end in test_batch.py (they share its batch run).
"""

from __future__ import annotations

import re
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager

from sim.analysis import messages, registry
from sim.core.outcomes import UNITS
from sim.params import load_scenario
from sim.reporting import charts, fonts

from .conftest import PARAMS

CJK = re.compile(r"[\u3400-\u9fff]")


def png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


def summary_of(means: dict[str, float], kpi: str = "on_time_rate", half: float = 0.02) -> pd.DataFrame:
    return pd.DataFrame([{"scenario": name, "kpi": kpi, "mean": m, "ci_low": m - half, "ci_high": m + half,
                          "interval": "interval"} for name, m in means.items()])


def glyph_warnings(draw) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


# --------------------------------------------------------------------------- the catalogue


def test_every_catalogued_text_has_english_and_chinese():
    for key, entry in messages.catalogue().items():
        assert set(entry) == {"en", "zh"} and entry["en"] and entry["zh"], key


def test_the_chinese_texts_keep_the_english_fields():
    for key, entry in messages.catalogue().items():
        assert set(re.findall(r"{(\w+)}", entry["en"])) == set(re.findall(r"{(\w+)}", entry["zh"])), key


def test_every_registry_unit_and_group_is_in_both_languages():
    for unit in UNITS:
        assert messages.unit_text(unit, "en") and messages.unit_text(unit, "zh")
    for kpi in registry.DECLARED:
        assert CJK.search(registry.DECLARED[kpi].zh), kpi


def test_an_uncatalogued_key_is_an_error_naming_it():
    with pytest.raises(KeyError, match="no.such.key"):
        messages.text("no.such.key")


def test_numbers_are_formatted_for_the_language_and_never_a_negative_zero():
    assert messages.percent(0.825, "en") == "82.5 %" and messages.percent(0.825, "zh") == "82.5%"
    assert messages.number(2034, "zh") == "2,034" and messages.number(1234.56, "en", 1) == "1,234.6"
    assert messages.number(-0.00001, "en", 1) == "0.0" and messages.number(-0.00001, "en", 1, signed=True) == "0.0"
    assert messages.points(0.105, "en") == "+10.5 points" and messages.points(-0.031, "zh") == "-3.1个百分点"


# --------------------------------------------------------------------------- the CJK font


def test_the_cjk_font_comes_from_the_projects_dependencies_and_is_registered_explicitly():
    import pylopdf_fonts_zh_cn

    path = fonts.cjk_font_file()
    assert path.parent == Path(pylopdf_fonts_zh_cn.__file__).parent
    assert fonts.cjk_family() == "Noto Sans SC"
    assert str(path) in {f.fname for f in font_manager.fontManager.ttflist}


def test_a_chinese_chart_saved_after_its_style_context_closed_has_every_glyph(tmp_path):
    figure = charts.kpi_bars(summary_of({"a": 0.8, "b": 0.9}), "on_time_rate", "zh", target=0.95,
                             titles={"a": "改革前", "b": "招聘2034名网格员"})
    assert not glyph_warnings(lambda: charts.write(figure, tmp_path / "zh.png"))  # drawn here, outside style()
    assert png_size(tmp_path / "zh.png") == (1920, 1080)


def test_a_missing_glyph_is_caught(tmp_path):
    """The check the brief tests rely on can fail: a font without Chinese draws boxes and warns."""
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots()
    ax.set_title("按时办结率", family="DejaVu Sans")
    assert glyph_warnings(lambda: figure.savefig(tmp_path / "boxes.png"))
    plt.close(figure)


# --------------------------------------------------------------------------- charts


def _drawn_texts(figure) -> list[str]:
    figure.canvas.draw()
    return [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


def test_the_on_time_chart_has_a_percent_axis_titles_as_ticks_and_the_target_outside_the_bars():
    figure = charts.kpi_bars(summary_of({"base": 0.825, "reform": 0.937}), "on_time_rate", "en", target=0.95,
                             titles={"base": "Before the reform", "reform": "Reform"})
    ax = figure.axes[0]
    texts = _drawn_texts(figure)
    assert "target 95 %" in texts and "93.7 %" in texts and "base" not in texts
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Before the reform", "Reform"]
    assert all(t.get_text().endswith("%") for t in ax.get_yticklabels())
    target = next(t for t in ax.texts if t.get_text() == "target 95 %")
    assert target.get_position()[0] >= 1.0  # right of the plotting area, clear of the bars and their labels
    charts.plt.close(figure)


def _log(hours: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"arrived_h": np.zeros(len(hours)), "closed_h": hours, "due_h": np.full(len(hours), 72.0)})


def test_identical_time_to_close_curves_are_drawn_once_and_said_to_coincide():
    hours = np.random.default_rng(1).exponential(30, 500)
    logs = {"a": _log(hours), "b": _log(hours), "c": _log(hours * 2)}
    figure = charts.time_to_close(logs, "en", [(72.0, "department"), 24.0], titles={"a": "A", "b": "B", "c": "C"})
    ax = figure.axes[0]
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert len(labels) == 2 and "A, B: identical curves" in labels[0] and labels[1] == "C"
    texts = _drawn_texts(figure)
    assert "72 h: department deadline" in texts and "24 h: case category deadline" in texts
    assert not [t for t in texts if "10^" in t or "$" in t]  # plain hours, no 10^-1 notation
    charts.plt.close(figure)


def test_open_cases_get_one_panel_per_distinct_scenario_with_warm_up_drain_and_hiring_marked():
    scenario = load_scenario(PARAMS / "luzhou_2034.yaml", ["horizon_days=60", "warm_up_days=14", "drain_days=10",
                                                           "workforce.hiring_batches=[{size: 10, start_day: 20}]"])
    days = np.arange(0, 70, 0.5)
    rows = [{"scenario": name, "replication": r, "day": d, "backlog": 100 + 10 * r + shift}
            for name, shift in (("a", 0), ("b", 0), ("c", 50)) for r in range(2) for d in days]
    figure = charts.backlog_over_time(pd.DataFrame(rows), "en", titles={"a": "A", "b": "B", "c": "C"},
                                      scenarios={"a": scenario, "b": scenario, "c": scenario})
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["A, B", "C"]
    texts = _drawn_texts(figure)
    assert "hiring: +10" in texts and "warm-up (not measured)" in texts and "drain: no new cases" in texts
    assert "identical curves" in figure._suptitle.get_text()
    charts.plt.close(figure)


def test_the_cost_chart_draws_no_interval_for_a_fixed_cost_and_labels_every_point():
    summary = pd.concat([summary_of({"a": 0.8, "b": 0.9, "c": 0.91}),
                         pd.DataFrame([{"scenario": n, "kpi": "annual_cost_yuan", "mean": c, "ci_low": c, "ci_high": c,
                                        "interval": "constant"} for n, c in (("a", 3e6), ("b", 3.5e6), ("c", 3.5e6))])])
    figure = charts.cost_vs_on_time(summary, "en", titles={"a": "A", "b": "B", "c": "C"})
    texts = _drawn_texts(figure)
    assert {"A", "B", "C"} <= set(texts) and "Annual cost (million yuan)" in texts
    assert not any("both ways" in t for t in texts)
    charts.plt.close(figure)


def test_the_staffing_reference_is_neutral_and_the_cost_axis_starts_at_zero():
    table = pd.DataFrame({"head_count": [1000, 2000, 3184], "on_time_mean": [0.7, 0.85, 0.93],
                          "on_time_ci_low": [0.68, 0.83, 0.91], "on_time_ci_high": [0.72, 0.87, 0.95],
                          "cost_mean": [5e7, 9e7, 1.3e8], "cost_ci_low": [5e7, 9e7, 1.3e8],
                          "cost_ci_high": [5e7, 9e7, 1.3e8]})
    figure = charts.staffing_curve(table, 0.95, 3184, "Luzhou", "en")
    ax, twin = figure.axes
    reference = next(line for line in ax.get_lines() if line.get_label().startswith("Luzhou"))
    assert reference.get_label() == "Luzhou: 3,184" and reference.get_color() == charts.REFERENCE_COLOUR
    assert twin.get_ylim()[0] == 0
    charts.plt.close(figure)


# --------------------------------------------------------------------------- titles in the scenario files


def test_a_scenario_file_carries_its_title_and_description_in_both_languages():
    scenario = load_scenario(PARAMS / "luzhou_baseline.yaml")
    assert scenario.title("en") == "Before the reform" and scenario.title("zh") == "改革前"
    assert CJK.search(scenario.description.zh)


def test_a_title_changes_no_result():
    with_title = load_scenario(PARAMS / "luzhou_baseline.yaml")
    without = load_scenario(PARAMS / "luzhou_baseline.yaml", ["title=null", "description=plain"])
    assert with_title.content_hash() == without.content_hash()


# --------------------------------------------------------------------------- the cost chart's points of one cost


def test_points_of_the_same_cost_are_set_side_by_side_and_the_note_says_so():
    summary = pd.concat([summary_of({"a": 0.8, "b": 0.9, "c": 0.91}),
                         pd.DataFrame([{"scenario": n, "kpi": "annual_cost_yuan", "mean": c, "ci_low": c, "ci_high": c,
                                        "interval": "constant"} for n, c in (("a", 3e6), ("b", 3.5e6), ("c", 3.5e6))])])
    figure = charts.cost_vs_on_time(summary, "en", titles={"a": "A", "b": "B", "c": "C"})
    figure.canvas.draw()
    ax = figure.axes[0]
    markers = [line for line in ax.get_lines() if line.get_marker() == "o"]
    shown_x = [line.get_transform().transform((line.get_xdata()[0], line.get_ydata()[0]))[0] for line in markers]
    assert shown_x[1] != shown_x[2] and abs(shown_x[1] - shown_x[2]) < 0.05 * figure.bbox.width
    assert "points side by side have the same cost" in ax.get_title()
    charts.plt.close(figure)


# --------------------------------------------------------------------------- slides


def test_a_slide_headline_shrinks_to_fit_and_a_chinese_character_counts_as_wide():
    from sim.reporting import slides

    width = slides.SLIDE_WIDTH - 2 * slides.MARGIN
    assert slides.headline_size("Finding 1: short", width) == (slides.HEADLINE_SIZES[0], 1)
    size, lines = slides.headline_size("word " * 45, width)
    assert size < slides.HEADLINE_SIZES[0] and lines <= slides.HEADLINE_LINES
    assert slides.text_width_pt("按时办结率", 20) == 100 and slides.text_width_pt("rate", 20) == pytest.approx(48)


def test_slide_texts_ask_for_a_latin_and_an_east_asian_font(tmp_path):
    from pptx import Presentation
    from pptx.oxml.ns import qn

    from sim.reporting import slides

    deck = Presentation()
    box = deck.slides.add_slide(deck.slide_layouts[6]).shapes.add_textbox(0, 0, 100, 100)
    slides._text(box.text_frame, ["按时办结率 95%"], 20, "zh")
    properties = box.text_frame.paragraphs[0].runs[0]._r.find(qn("a:rPr"))
    assert properties.find(qn("a:ea")).get("typeface") == slides.FONTS["zh"][1]
    assert properties.get("lang") == "zh-CN"


# --------------------------------------------------------------------------- the page's fonts


def test_an_english_page_uses_latin_fonts_first_and_a_chinese_page_its_embedded_font_with_ascii():
    assert fonts.page_families("en")[0] == "DejaVu Sans" and fonts.page_families("zh")[0] == fonts.EMBEDDED_FAMILY
    assert fonts.embedded_cjk_font("no Chinese here") == ""
    plain, with_ascii = fonts.embedded_cjk_font("按时 ok"), fonts.embedded_cjk_font("按时 ok", latin=True)
    assert len(with_ascii) > len(plain)


# --------------------------------------------------------------------------- notebooks in both languages


NOTEBOOKS_WITH_CATALOGUED_PROSE = ("scenario.ipynb", "compare.ipynb", "prevention_scorecards.ipynb")


@pytest.mark.parametrize("name", NOTEBOOKS_WITH_CATALOGUED_PROSE)
def test_a_notebooks_introduction_and_headings_come_from_the_catalogue(name):
    import nbformat

    book = nbformat.read(PARAMS.parent / "notebooks" / name, as_version=4)
    assert not [c for c in book.cells if c.cell_type == "markdown"]  # no static prose: it would stay English
    assert "parameters" in book.cells[0].metadata.get("tags", []) and "language" in book.cells[0].source
    keys = re.findall(r'nb\.heading\("([\w.]+)", language\)', "\n".join(c.source for c in book.cells))
    assert keys and keys[0].startswith("notebook.intro_") and all(messages.has(k) for k in keys)
    assert messages.text(keys[0], "zh").startswith("# ") and CJK.search(messages.text(keys[0], "zh"))


@pytest.fixture(scope="module")
def scorecard_run():
    from sim.experiment.runs import simulate

    from .conftest import small_scenario

    return simulate(small_scenario("horizon_days=21", "warm_up_days=7", "drain_days=7"), seed=1)


def test_scorecard_and_time_use_columns_follow_the_language(scorecard_run):
    from sim.reporting import notebook

    card = notebook.scorecard_frame(scorecard_run.tables["scorecard_community_monthly"], "zh")
    assert list(card.columns)[:3] == ["单位", "期次", "起始日"] and all(CJK.search(c) for c in card.columns)
    assert card["按时办结率"].str.endswith("%").all() and set(card["低于阈值"]) <= {"是", "否"}
    english = notebook.scorecard_frame(scorecard_run.tables["scorecard_community_monthly"], "en")
    assert "On-time rate" in english.columns and "on_time_rate" not in english.columns
    use = notebook.time_use_frame(scorecard_run.tables["time_use"], "zh")
    assert "网格员" in set(use["岗位"]) and all(CJK.search(c) for c in use.columns)
    kpis = notebook.mechanism_kpis(scorecard_run.kpis, "zh")
    assert "按时办结率" in set(kpis["指标"])
