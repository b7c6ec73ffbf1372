"""The fonts the charts draw with: DejaVu Sans for Latin text, Noto Sans SC for Chinese, both shipped with the
project's dependencies (matplotlib; pylopdf-fonts-zh-cn, the SIL OFL subset of Noto Sans CJK SC).

The CJK font file is registered with matplotlib explicitly (`fontManager.addfont`), so neither a
font cache written before it was installed nor a machine without system fonts can hide it. The
families are set as a fallback list in `font.family` itself: a text object keeps concrete family
names, so a figure drawn or saved after the style context has closed still finds every glyph.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager

LATIN_FAMILY = "DejaVu Sans"  # matplotlib's own font


@cache
def cjk_font_file() -> Path:
    """The Noto Sans SC font file of the pylopdf-fonts-zh-cn package."""
    import pylopdf_fonts_zh_cn

    path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the CJK font of pylopdf-fonts-zh-cn is missing; reinstall the project")
    return path


@cache
def cjk_family() -> str:
    """Register the CJK font file with matplotlib (once) and return its family name ('Noto Sans SC')."""
    path = cjk_font_file()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def families(language: str = "en") -> list[str]:
    """The font fallback list for a language: Chinese first for zh, Latin first otherwise; each text falls back
    glyph by glyph to the other (a Chinese scenario title in an English chart still renders)."""
    if language == "zh":
        return [cjk_family(), LATIN_FAMILY]
    return [LATIN_FAMILY, cjk_family()]


def install_fallback() -> None:
    """Make the fallback list matplotlib's default too, for texts created at draw time outside any style context
    (tick labels of a figure saved later)."""
    matplotlib.rcParams["font.family"] = families("en")


EMBEDDED_FAMILY = "gridgov CJK"  # the page's own @font-face (`embedded_cjk_font`)
LATIN_PAGE_FAMILIES = ("DejaVu Sans", "Segoe UI", "Helvetica Neue", "Arial")
CJK_PAGE_FAMILIES = ("Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei")


def page_families(language: str = "en") -> list[str]:
    """A page's CSS font list: for Chinese the embedded font first (it carries the page's Chinese and every ASCII
    character, so digits and letters match the Chinese); otherwise the Latin fonts first and the embedded one
    only for the few Chinese characters (so an English page does not mix two fonts in its numbers)."""
    if language == "zh":
        return [EMBEDDED_FAMILY, *CJK_PAGE_FAMILIES, *LATIN_PAGE_FAMILIES]
    return [*LATIN_PAGE_FAMILIES, EMBEDDED_FAMILY, *CJK_PAGE_FAMILIES]


def embedded_cjk_font(text: str, latin: bool = False) -> str:
    """The CJK font cut down to the characters of `text` that need it (with `latin`, also every printable ASCII
    character), as a base64 WOFF for a page's @font-face ('' when the text has no Chinese): the page then shows
    its Chinese on a machine without Chinese fonts."""
    import base64
    import io
    import string

    from fontTools import subset

    needed = sorted({ch for ch in text if ord(ch) > 0x2E7F})  # CJK punctuation, ideographs, full-width forms
    if not needed:
        return ""
    needed += sorted({ch for ch in text if 0x2000 <= ord(ch) <= 0x206F})  # quotation marks, dashes: CJK widths
    if latin:
        needed += sorted(set(string.printable.strip()) | {" "})
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    font = subset.load_font(str(cjk_font_file()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(needed))
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return base64.b64encode(buffer.getvalue()).decode()
