"""What the live pages share: their style sheet, a chart as PNG bytes for an image widget, one chart at a time."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from functools import cache
from pathlib import Path

from ..results import store

RENDER = threading.Lock()  # matplotlib's rc settings are global: one chart at a time

STYLE = """<style>
.gridgov-stale { opacity: 0.35; filter: grayscale(100%); transition: opacity 0.2s; }
.gridgov-lever { width: 250px; margin: 0 18px 8px 0; }
.gridgov-lever.gridgov-wide { width: 380px; }
.gridgov-lever .widget-slider, .gridgov-lever .widget-dropdown, .gridgov-lever .widget-toggle-buttons { width: 240px; }
.gridgov-kpis table { border-collapse: collapse; font-size: 14px; }
.gridgov-kpis th, .gridgov-kpis td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }
.gridgov-kpis td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.gridgov-better { color: #1a7f37; } .gridgov-worse { color: #b3261e; }
.gridgov-error { color: #b3261e; font-weight: bold; }
.gridgov-note { color: #555; font-size: 13px; }
</style>"""


def png(figure) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        figure.set_size_inches(11, 5.2)
        figure.savefig(buffer, format="png", dpi=80)
    finally:
        plt.close(figure)
    return buffer.getvalue()


CATALOGUE_PREFIXES = ("app.", "lever.", "table.", "unit.", "staffing.", "explorer.", "chart.reference")


def cache_folder() -> Path:
    """Where results computed once are kept for next time (`GRIDGOV_CACHE`, default ~/.cache/gridgov)."""
    return Path(os.environ.get("GRIDGOV_CACHE") or Path.home() / ".cache" / "gridgov")


@cache
def font_face(language: str, extra: str = "") -> str:
    """For a page in Chinese: a style sheet embedding the CJK font cut down to the characters the page can show
    (its catalogue texts, the KPI labels, `extra` such as scenario titles), so that Chinese shows on a machine
    without Chinese fonts; '' in English."""
    if language != "zh":
        return ""
    from ..analysis import messages, registry
    from .fonts import embedded_cjk_font

    texts = [entry["zh"] for key, entry in messages.catalogue().items()
             if key.startswith(CATALOGUE_PREFIXES) or key in ("no_interval", "constant", "n_a", "percent", "points")]
    texts += [k.zh for k in registry.DECLARED.values()]
    needed = "".join(sorted(set("".join(texts) + extra)))
    kept = cache_folder() / f"cjk-{hashlib.sha256(needed.encode()).hexdigest()[:16]}.b64"
    try:
        font = kept.read_text()
    except OSError:
        font = embedded_cjk_font(needed)
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            store.atomic_write(kept, lambda path: path.write_text(font))
        except OSError:
            pass  # no cache: cut the font again next time
    return ("<style>@font-face { font-family: 'GridgovCJK'; src: url(data:font/woff;base64," + font + ") "
            "format('woff'); }\n.gridgov-explorer, .gridgov-explorer *, .gridgov-staffing, .gridgov-staffing * "
            "{ font-family: 'DejaVu Sans', Arial, 'GridgovCJK', sans-serif !important; }</style>")
