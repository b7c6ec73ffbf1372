"""The brief as slides (python-pptx): a title slide, one slide per finding with its chart and the numbers in the
speaker notes, the indicator table, and the caveats. 16:9; charts embedded at slide resolution (1920 x 1080).

A finding's sentence is the slide's headline; its font size and height are worked out from its
length (python-pptx cannot measure text), so that the chart starts below it whatever the language.
Texts ask for fonts that meeting-room computers have: Arial for Latin script and Microsoft YaHei
for Chinese (`a:latin` and `a:ea`, so PowerPoint picks per character; in Chinese slides YaHei for
both, so digits match the characters around them); a viewer without them substitutes its own.
"""

from __future__ import annotations

import math
from pathlib import Path

from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from ..analysis import messages
from .brief_content import Brief

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(40 / 3), Inches(7.5)
MARGIN = Inches(0.45)
HEADLINE_ROWS = 8  # indicator rows on the table slide (the service and flow groups first)
FONTS = {"en": ("Arial", "Microsoft YaHei"), "zh": ("Microsoft YaHei", "Microsoft YaHei")}  # (latin, east asian)
LANG_TAGS = {"en": "en-GB", "zh": "zh-CN"}
HEADLINE_SIZES = (24, 22, 20, 18, 16)  # points, largest first: the first that fits in HEADLINE_LINES lines
HEADLINE_LINES = 3
LINE_SPACING = 1.25  # a line's height per point of font size


def _is_wide(ch: str) -> bool:
    return ord(ch) > 0x2E7F


def text_width_pt(text: str, size: float) -> float:
    """A conservative estimate of a bold line's width: a Chinese character is one em, other characters 0.6 em."""
    return sum(1.0 if _is_wide(ch) else 0.6 for ch in text) * size


def lines_needed(text: str, size: float, width: int) -> int:
    return max(1, math.ceil(text_width_pt(text, size) / (Emu(width).pt * 0.97)))


def headline_size(text: str, width: int) -> tuple[int, int]:
    """The largest headline size whose text fits in HEADLINE_LINES lines of the width, with its line count."""
    for size in HEADLINE_SIZES:
        lines = lines_needed(text, size, width)
        if lines <= HEADLINE_LINES:
            return size, lines
    size = HEADLINE_SIZES[-1]
    return size, lines_needed(text, size, width)


def _fonts(run, language: str) -> None:
    latin, east_asian = FONTS[language]
    run.font.name = latin
    properties = run._r.get_or_add_rPr()
    properties.set("lang", LANG_TAGS[language])
    for old in properties.findall(qn("a:ea")):
        properties.remove(old)
    ea = properties.makeelement(qn("a:ea"), {"typeface": east_asian})
    properties.find(qn("a:latin")).addnext(ea)


def _text(frame, lines: list[str], size: int, language: str, bold: bool = False) -> None:
    frame.word_wrap = True
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.bold = bold
            _fonts(run, language)


def _headline(slide, text: str, language: str, sizes=HEADLINE_SIZES) -> int:
    """The slide's headline across the top, sized to fit; returns where it ends (EMU from the top)."""
    width = SLIDE_WIDTH - 2 * MARGIN
    size, lines = headline_size(text, width) if len(sizes) > 1 else (sizes[0], lines_needed(text, sizes[0], width))
    height = Pt(lines * size * LINE_SPACING) + Inches(0.15)
    box = slide.shapes.add_textbox(MARGIN, Inches(0.25), width, height)
    _text(box.text_frame, [text], size, language, bold=True)
    return Inches(0.25) + height


def _picture(slide, path: Path, top: int) -> None:
    """A 16:9 chart as large as fits below top, centred."""
    height = SLIDE_HEIGHT - top - Inches(0.2)
    width = Emu(int(height * 16 / 9))
    if width > SLIDE_WIDTH - 2 * MARGIN:
        width = SLIDE_WIDTH - 2 * MARGIN
        height = Emu(int(width * 9 / 16))
    slide.shapes.add_picture(str(path), int((SLIDE_WIDTH - width) / 2), top, width, height)


def write_slides(brief: Brief, path: Path) -> None:
    """Write the brief's slides to path (a .pptx file)."""
    language = brief.language
    t = lambda key, **fields: messages.text(key, language, **fields)  # noqa: E731
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    blank = deck.slide_layouts[6]

    slide = deck.slides.add_slide(blank)
    box = slide.shapes.add_textbox(Inches(0.8), Inches(2.0), SLIDE_WIDTH - Inches(1.6), Inches(1.5))
    _text(box.text_frame, [brief.title], 40, language, bold=True)
    box = slide.shapes.add_textbox(Inches(0.8), Inches(3.6), SLIDE_WIDTH - Inches(1.6), Inches(2.5))
    _text(box.text_frame, [brief.question, "", brief.generated], 22, language)
    slide.notes_slide.notes_text_frame.text = "\n".join(brief.sizing)

    for number, finding in enumerate(brief.findings, start=1):
        slide = deck.slides.add_slide(blank)
        bottom = _headline(slide, t("finding.headline", number=number, text=finding.text), language)
        chart = brief.charts.get(finding.chart)
        if chart is not None:
            _picture(slide, chart, bottom + Inches(0.05))
        slide.notes_slide.notes_text_frame.text = "\n".join([finding.text, "", *finding.notes])

    slide = deck.slides.add_slide(blank)
    top = _headline(slide, t("slide.kpis"), language, sizes=(28,))
    rows = [row for group in brief.kpi_table["groups"] for row in group["rows"]][:HEADLINE_ROWS]
    scenarios = brief.kpi_table["scenarios"]
    row_height = min(Inches(0.68), int((SLIDE_HEIGHT - top - Inches(0.3)) / (len(rows) + 1)))
    shape = slide.shapes.add_table(len(rows) + 1, len(scenarios) + 1, MARGIN, top, SLIDE_WIDTH - 2 * MARGIN,
                                   row_height * (len(rows) + 1))
    table = shape.table
    table.columns[0].width = Inches(3.4)
    for column in range(1, len(scenarios) + 1):
        table.columns[column].width = int((SLIDE_WIDTH - 2 * MARGIN - Inches(3.4)) / len(scenarios))
    for column, text in enumerate([t("table.kpi"), *scenarios]):
        _text(table.cell(0, column).text_frame, [text], 15, language, bold=True)
    for r, row in enumerate(rows, start=1):
        _text(table.cell(r, 0).text_frame, [t("slide.label_unit", label=row["label"], unit=row["unit"])], 14, language)
        for c, (estimate, difference) in enumerate(row["cells"], start=1):
            _text(table.cell(r, c).text_frame, [estimate] + ([difference] if difference else []), 13, language)
    slide.notes_slide.notes_text_frame.text = t("brief.kpi_note")

    slide = deck.slides.add_slide(blank)
    top = _headline(slide, t("slide.caveats"), language, sizes=(28,))
    box = slide.shapes.add_textbox(MARGIN + Inches(0.15), top + Inches(0.1), SLIDE_WIDTH - 2 * MARGIN - Inches(0.3),
                                   SLIDE_HEIGHT - top - Inches(0.4))
    _text(box.text_frame, [f"• {line}" for line in brief.sizing], 20, language)
    for paragraph in box.text_frame.paragraphs:
        paragraph.space_after = Pt(8)
    deck.save(str(path))
