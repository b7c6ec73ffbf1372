"""The case log as a file: its bytes read safely, what kind of file it is, and the text encoding of a CSV.

`read_log_table` reads the file with `sim.safe_io.read_bytes` (regular files only, at most
MAX_LOG_BYTES, so a FIFO or `/dev/zero` is refused by name, never read for ever), then decides
what it is from its first bytes, not from its name:

- a zip holding `xl/workbook.xml` is an Excel workbook (.xlsx); a zip holding exactly one CSV is
  that CSV; any other zip is refused with what it holds;
- an OLE2 file (`D0 CF 11 E0`) is a legacy Excel 97-2003 `.xls`, read with xlrd when installed,
  else refused with how to convert it;
- gzip is decompressed, with the same byte limit on what comes out;
- anything else is CSV text: UTF-8 (with or without BOM), else GB18030 when the text reads as
  Chinese (its non-ASCII characters are nearly all common GB2312 characters), else Windows-1252 /
  Latin-1 (a European export), so that "café" never becomes GB18030 mojibake.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
import zlib
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..safe_io import read_bytes

MAX_LOG_BYTES = 1_000_000_000  # a city's multi-year 311 export is a few hundred MB
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_GZIP = b"\x1f\x8b"


def read_log_table(path: Path) -> tuple[pd.DataFrame, str]:
    """Every column of the log as text (Excel datetimes kept as such), and what was read (e.g. 'CSV, Windows-1252')."""
    data = read_bytes(path, limit=MAX_LOG_BYTES, what="case log")
    if not data.strip():
        raise InputError("the file is empty: a case log needs a header row and at least one case", where=str(path))
    if data.startswith(_ZIP):
        return _read_zip(path, data)
    if data.startswith(_OLE2):
        return _read_xls(path, data), "Excel 97-2003 (.xls)"
    if data.startswith(_GZIP):
        data = _gunzip(path, data)
    text, encoding = decode_text(data, path)
    return _read_csv_text(path, text), f"CSV, {encoding}"


def _gunzip(path: Path, data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(MAX_LOG_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"is a damaged gzip file ({error})", where=str(path)) from None
    if len(out) > MAX_LOG_BYTES:
        raise InputError(f"decompresses to more than {MAX_LOG_BYTES:,} bytes; a case log may be at most "
                         f"{MAX_LOG_BYTES:,} bytes", where=str(path))
    return out


def _read_zip(path: Path, data: bytes) -> tuple[pd.DataFrame, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as error:
        raise InputError(f"is a damaged zip file ({error})", where=str(path)) from None
    if "xl/workbook.xml" in names:
        total = sum(info.file_size for info in archive.infolist())
        if total > MAX_LOG_BYTES:
            raise InputError(f"is a workbook of {total:,} bytes uncompressed; at most {MAX_LOG_BYTES:,}",
                             where=str(path))
        try:
            return pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl"), "Excel (.xlsx)"
        except Exception as error:  # openpyxl raises many kinds on a damaged workbook
            raise InputError(f"is a damaged Excel workbook ({type(error).__name__}: "
                             f"{str(error).splitlines()[0] if str(error) else ''})", where=str(path)) from None
    tables = [n for n in names if n.lower().endswith((".csv", ".txt")) and not n.endswith("/")]
    if path.suffix.lower() in (".xlsx", ".xlsm") or len(tables) != 1:
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "") or "nothing"
        raise InputError(f"is a zip archive but not an Excel workbook (no xl/workbook.xml) nor a zip of one CSV; "
                         f"it holds: {shown}", where=str(path))
    info = archive.getinfo(tables[0])
    if info.file_size > MAX_LOG_BYTES:
        raise InputError(f"holds {tables[0]} of {info.file_size:,} bytes; a case log may be at most "
                         f"{MAX_LOG_BYTES:,} bytes", where=str(path))
    try:
        content = archive.read(tables[0])
    except (zipfile.BadZipFile, OSError, RuntimeError, zlib.error) as error:
        raise InputError(f"cannot read {tables[0]} in the zip ({error})", where=str(path)) from None
    text, encoding = decode_text(content, path)
    return _read_csv_text(path, text), f"CSV in zip ({tables[0]}), {encoding}"


def _read_xls(path: Path, data: bytes) -> pd.DataFrame:
    try:
        import xlrd  # noqa: F401
    except ImportError:
        raise InputError("is a legacy Excel 97-2003 .xls file, which gridgov reads only with the optional package "
                         "xlrd (not installed); save it from Excel as .xlsx or CSV", where=str(path)) from None
    try:
        return pd.read_excel(io.BytesIO(data), dtype=object, engine="xlrd")
    except Exception as error:  # xlrd raises its own kinds on a damaged file
        raise InputError(f"is a damaged .xls file ({type(error).__name__})", where=str(path)) from None


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """The text of a CSV and its encoding: UTF-8, else GB18030 if it reads as Chinese, else Windows-1252/Latin-1."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if reads_as_chinese(text):
            return text, "GB18030"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def reads_as_chinese(text: str) -> bool:
    """Whether GB18030-decoded text is plausibly Chinese: nearly all its non-ASCII characters are in GB2312."""
    others = [c for c in text if ord(c) > 127]
    if not others:
        return True
    sample = others[:: max(1, len(others) // 5000)]
    common = 0
    for char in sample:
        try:
            char.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common >= 0.9 * len(sample)


def _read_csv_text(path: Path, text: str) -> pd.DataFrame:
    first = text.split("\n", 1)[0]
    sniff = "," not in first and ("\t" in first or ";" in first)
    try:
        if sniff:
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], sep=None,
                               engine="python")
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty: a case log needs a header row and at least one case",
                         where=str(path)) from None
    except (pd.errors.ParserError, ValueError, csv.Error) as error:
        raise InputError(f"cannot read it as CSV: {str(error).splitlines()[0]}", where=str(path)) from None
