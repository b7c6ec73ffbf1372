"""The brief as slides (python-pptx): a title slide, one slide per finding with its chart and the numbers in the
speaker notes, the indicator table, and the caveats. 16:9; charts embedded at slide resolution (1920 x 1080)."""

from __future__ import annotations

from pathlib import Path

from pptx import Presentation
from pptx.util import Emu, Inches, Pt

from ..analysis import messages
from .brief_content import Brief

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(40 / 3), Inches(7.5)
HEADLINE_ROWS = 8  # indicator rows on the table slide (the service and flow groups first)
FONT = "Noto Sans SC"  # the font PowerPoint is asked for; it falls back to the system's CJK font


def _text(frame, lines: list[str], size: int, bold: bool = False) -> None:
    frame.word_wrap = True
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.name = FONT


def _title(slide, text: str, size: int = 26) -> None:
    box = slide.shapes.add_textbox(Inches(0.5), Inches(0.25), SLIDE_WIDTH - Inches(1.0), Inches(1.1))
    _text(box.text_frame, [text], size, bold=True)


def write_slides(brief: Brief, path: Path) -> None:
    """Write the brief's slides to path (a .pptx file)."""
    t = lambda key, **fields: messages.text(key, brief.language, **fields)  # noqa: E731
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    blank = deck.slide_layouts[6]

    slide = deck.slides.add_slide(blank)
    box = slide.shapes.add_textbox(Inches(0.8), Inches(2.0), SLIDE_WIDTH - Inches(1.6), Inches(1.5))
    _text(box.text_frame, [brief.title], 40, bold=True)
    box = slide.shapes.add_textbox(Inches(0.8), Inches(3.6), SLIDE_WIDTH - Inches(1.6), Inches(2.5))
    _text(box.text_frame, [brief.question, "", brief.generated], 22)
    slide.notes_slide.notes_text_frame.text = "\n".join(brief.sizing)

    for number, finding in enumerate(brief.findings, start=1):
        slide = deck.slides.add_slide(blank)
        _title(slide, t("finding.headline", number=number, text=finding.text), 20)
        chart = brief.charts.get(finding.chart)
        if chart is not None:
            height = SLIDE_HEIGHT - Inches(1.6)
            width = Emu(int(height * 16 / 9))
            slide.shapes.add_picture(str(chart), int((SLIDE_WIDTH - width) / 2), Inches(1.45), width, height)
        slide.notes_slide.notes_text_frame.text = "\n".join([finding.text, "", *finding.notes])

    slide = deck.slides.add_slide(blank)
    _title(slide, t("slide.kpis"))
    rows = [row for group in brief.kpi_table["groups"] for row in group["rows"]][:HEADLINE_ROWS]
    scenarios = brief.kpi_table["scenarios"]
    shape = slide.shapes.add_table(len(rows) + 1, len(scenarios) + 1, Inches(0.4), Inches(1.3),
                                   SLIDE_WIDTH - Inches(0.8), Inches(0.5) * (len(rows) + 1))
    table = shape.table
    header = [t("table.kpi"), *scenarios]
    for column, text in enumerate(header):
        _text(table.cell(0, column).text_frame, [text], 12, bold=True)
    for r, row in enumerate(rows, start=1):
        _text(table.cell(r, 0).text_frame, [f"{row['label']} ({row['unit']})"], 11)
        for c, (estimate, difference) in enumerate(row["cells"], start=1):
            _text(table.cell(r, c).text_frame, [estimate] + ([difference] if difference else []), 10)
    slide.notes_slide.notes_text_frame.text = t("brief.kpi_note")

    slide = deck.slides.add_slide(blank)
    _title(slide, t("slide.caveats"))
    box = slide.shapes.add_textbox(Inches(0.6), Inches(1.4), SLIDE_WIDTH - Inches(1.2), SLIDE_HEIGHT - Inches(1.8))
    _text(box.text_frame, [f"• {line}" for line in brief.sizing], 18)
    deck.save(str(path))
