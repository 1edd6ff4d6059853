"""Reading one file of a delivery into a DuckDB table of text cells, one row per record, nothing dropped.

`connectors.delivery_reader` calls it for each file of a delivery, then types and checks the rows.

CSV goes through DuckDB's reader configured so that no record is ever skipped: every column is text,
a sentinel `_overflow` column catches rows with too many fields, `null_padding` with an impossible NULL
string marks rows with too few (an empty field reads as '', a missing one as NULL), and the reader runs
single-threaded so that the table's rowid is the record's position in the file. XLSX (the first sheet)
goes through python-calamine, which parses a sheet in Rust; its cells are turned into text column-wise.

The result always has the same shape: `row_number`, `c0 … cN` (text cells by position) and `_ragged`
(NULL, or why the record's field count is wrong), plus the `HeaderMap` telling which position is which column.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from connectors import encoding
from connectors.headers import HeaderMap, StructuralError, find_header_row, map_header, require_complete
from connectors.spec import Source

# XLSX safety limits: a sheet is a zip entry; refuse one that would inflate beyond these (a zip bomb).
MAX_XLSX_UNCOMPRESSED = 1 << 30  # 1 GiB
MAX_XLSX_RATIO = 200
NULL_SENTINEL = "\x01hedui-no-field\x01"


@dataclass(frozen=True)
class FileRead:
    file: str
    header: HeaderMap
    rows: int
    encoding: str
    sha256: str
    note: str | None = None


def _first_record(path: Path) -> list[str] | None:
    """The header record. `newline=""` on the StringIO too: with the default, a file whose lines end in a bare
    CR (old Mac / some mainframe exports) would reach the csv module as one line holding CRs and raise
    `csv.Error`. Any csv.Error (for example NUL-riddled UTF-16 without a BOM, which is valid UTF-8) is a
    broken structure, so it rejects the delivery with a reason; it never escapes the connector."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        text = handle.read(1 << 20)
    try:
        for record in csv.reader(io.StringIO(text, newline="")):
            return record
    except csv.Error as exc:
        raise StructuralError(f"the header row cannot be read as CSV ({exc})") from None
    return None


def _read_csv(columns: str, mode: str) -> str:
    """The one `read_csv` call of every CSV read (see the module docstring), lenient or strict by `mode`."""
    return f"""
        read_csv(
            $path,
            columns = {{{columns}, '_overflow': 'VARCHAR'}},
            header = true,
            delim = ',',
            quote = '"',
            escape = '"',
            auto_detect = false,
            null_padding = true,
            parallel = false,
            nullstr = $null_sentinel,
            max_line_size = 16777216,
            {mode}
        )"""


def _read_cells(con: duckdb.DuckDBPyConnection, readable: Path, table: str, columns: str) -> None:
    con.execute(
        f"create or replace temp table {table}_cells as select * from {_read_csv(columns, 'strict_mode = false')}",
        {"path": str(readable), "null_sentinel": NULL_SENTINEL},
    )


def _csv_error_reason(exc: Exception) -> str:
    """DuckDB's reader can still refuse a file (for example a multi-byte character right after a closing quote,
    `"x"李`, which its lenient mode splits into invalid UTF-8). Such an error rejects the delivery, not the
    whole source. The message quotes the offending line ("Original Line: …"), which holds names and IDs, so
    only the line number and the kind of error are kept."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    where = next((line.split("CSV Error on Line:")[1].strip() for line in lines if "CSV Error on Line:" in line), None)
    # The quoted line may itself span several lines (a quoted field holding a line break), so the description is
    # recognised by its shape (a sentence without commas), never taken as "the line after Original Line", and
    # redacted on top: a record's text must never reach a reason.
    from hedui.privacy import redact_error_text

    kind = next((line for line in lines[1:] if not line.startswith(("Original Line", "Possible Solution"))
                 and "=" not in line and "," not in line and "，" not in line and line.endswith(".")),
                type(exc).__name__)
    return f"the CSV reader refused the file{f' at line {where}' if where else ''}: {redact_error_text(kind)[:200]}"


def _find_misquoted_records(con: duckdb.DuckDBPyConnection, readable: Path, table: str, columns: str) -> str:
    """A temp table `{table}_misquoted(record)` of the record numbers (1 = first record after the header) that
    DuckDB's strict reader refuses for their quoting. Its `line` counts records, not physical lines, so it
    matches the lenient read's row numbers even when a quoted field holds a newline."""
    rejects, scans = f"{table}_rejects", f"{table}_reject_scans"
    strict = (f"strict_mode = true, ignore_errors = true, store_rejects = true, "
              f"rejects_table = '{rejects}', rejects_scan = '{scans}'")
    con.execute(
        f"select count(*) from {_read_csv(columns, strict)}",
        {"path": str(readable), "null_sentinel": NULL_SENTINEL},
    ).fetchall()  # fetched to the end: the rejects tables appear only when the query is finished
    found = con.execute("select count(*) from duckdb_tables() where temporary and table_name = $t",
                        {"t": rejects}).fetchone()[0]
    con.execute(
        f"""
        create or replace temp table {table}_misquoted as
        select distinct line - 1 as record from {rejects if found else "(select null::bigint as line, null as error_type)"}
        where error_type in ('UNQUOTED VALUE', 'INVALID UNICODE')
        """
    )
    con.execute(f"drop table if exists {rejects}")
    con.execute(f"drop table if exists {scans}")
    return f"{table}_misquoted"


def _likely_cause(readable: Path, source: Source, header: HeaderMap) -> str:
    """Why a CSV file's first record lacks required columns, when the file says: title rows above the header
    (the header is a later line), or text in another encoding (Big5, from Taiwan or Hong Kong software, reads
    as GB18030 without an error but as other characters). Only the first MiB is looked at, on this failure path."""
    with open(readable, encoding="utf-8-sig", newline="", errors="replace") as handle:
        text = handle.read(1 << 20)
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number > 11:
                break
            if number > 1 and record and not map_header(record, source).missing(source):
                return (f" — the header is on line {number}: title rows stand above it (a CSV file starts with "
                        "its header row; remove the lines above it)")
    except (csv.Error, StructuralError):
        pass
    if header.known:
        return ""
    try:
        first_line = readable.read_bytes()[: 1 << 16].decode("utf-8-sig", errors="strict").split("\n")[0]
        as_big5 = first_line.encode("gb18030").decode("big5")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return ""
    from connectors.normalise import _t2s

    as_big5 = _t2s().convert(as_big5)  # Big5 text is traditional: 身份證號 is the header 身份证号
    cells = next(csv.reader(io.StringIO(as_big5, newline="")), [])
    if cells and not map_header(cells, source).missing(source):
        return (" — the file looks Big5-encoded (its header reads correctly as Big5): the interface allows "
                "UTF-8 or GB18030; re-export it in one of them")
    return ""


def read_csv_file(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str, tmp_dir: Path) -> FileRead:
    """Read one CSV file; its records are counted twice, by the byte scan (line breaks outside quotes) and by
    DuckDB's lenient reader, and a file where the two disagree is refused: the lenient reader lets an opening
    quote that never closes swallow the rest of the file into one field, and nothing else would notice."""
    scanned = encoding.scan(path)
    counter = encoding.RecordCounter() if scanned.records is None else None
    try:
        readable = encoding.to_utf8(path, scanned.encoding, tmp_dir / f"{table}.utf8.csv", counter)
        counted = scanned.records or counter.result()
        try:
            header = _read_records(con, readable, source, table, misquote_possible=scanned.stray_quote)
        finally:
            if readable != path:
                readable.unlink(missing_ok=True)
    except (StructuralError, encoding.UnreadableFile) as exc:
        # the rows of a refused file are still counted (set aside), by the scan that does not depend on reading it
        counted = scanned.records or (counter.result() if counter and counter.lines else None)
        reader_refused = "misquoted" in str(exc) or "CSV reader refused" in str(exc)
        if counted is not None and (counted.unclosed or (counted.quoted_breaks and reader_refused)):
            exc.records = _records_by_lines(path, scanned)  # quotes that cannot be trusted: count lines
        else:
            exc.records = counted.records if counted is not None else None
        raise
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    if (rows != counted.records and scanned.records is not None and path.stat().st_size != scanned.size
            and rows == (now := encoding.count_records(path)).records and not now.unclosed):
        # a sender still appending: the file grew between the scan and the read; counted again as it is now, it
        # agrees with the reader (its checksum is the scan's, so the next night reads it again, whole)
        counted = now
    if not counted.unclosed and rows == counted.records and counted.quoted_breaks \
            and _ragged_record_spanning_lines(con, table, header.width):
        # Two quotes that never close pair up with each other, in the byte count and in the reader alike: the
        # lines between them become one record, with text after the second quote. That is this loss, not a
        # legitimate multi-line field, so the file is refused.
        con.execute(f"drop table if exists {table}")
        error = StructuralError(
            "a misquoted record spans several lines: a quote that never closes was closed by a later stray "
            "quote, joining the lines between them into one record; refused"
        )
        error.records = _records_by_lines(path, scanned)
        raise error
    if counted.unclosed or rows != counted.records:
        con.execute(f"drop table if exists {table}")
        error = StructuralError(
            f"the records cannot be counted reliably: {counted.records} by the line breaks outside quotes, "
            f"{rows} by the CSV reader"
            + ("; the file ends inside a quoted field (an opening quote that never closes)" if counted.unclosed
               else "; a quote that never closes, or a stray quote inside a field, joins lines into one record")
        )
        # set aside: the file's non-empty lines, since its quotes cannot be trusted to say where records end
        error.records = _records_by_lines(path, scanned)
        raise error
    return FileRead(path.name, header, rows, scanned.encoding, scanned.sha256)


def _records_by_lines(path: Path, scanned: encoding.FileScan) -> int | None:
    """The records of a refused file whose quotes cannot be trusted, set aside by its non-empty lines (the
    header is the first); unknown for UTF-16, whose line-break bytes occur inside characters."""
    return max(0, encoding.count_lines(path) - 1) if scanned.encoding != "utf-16" else None


def _ragged_record_spanning_lines(con: duckdb.DuckDBPyConnection, table: str, width: int) -> bool:
    """Whether a misquoted record (text after a closing quote) holds a line break in one of its cells: what two
    opening quotes that never close make of the lines between them (the second one "closes" the first and its
    field's text follows). A well-quoted multi-line field is never followed by text, even in a record of the
    wrong length, so that record stays one quarantined row."""
    spans = " or ".join(f"contains(c{i}, chr(10)) or contains(c{i}, chr(13))" for i in range(width))
    return con.execute(
        f"select exists (select 1 from {table} where starts_with(_ragged, 'misquoted') and ({spans}))"
    ).fetchone()[0]


def _read_records(con: duckdb.DuckDBPyConnection, readable: Path, source: Source, table: str, *,
                  misquote_possible: bool) -> HeaderMap:
    """`table`: one row per record of the UTF-8 file `readable`, with `_ragged` saying why a record is unusable."""
    header_cells = _first_record(readable)
    if not header_cells or not any(c.strip() for c in header_cells):
        raise StructuralError("empty file: no header row")
    header = map_header(header_cells, source)
    try:
        require_complete(header, source)
    except StructuralError as exc:
        raise StructuralError(f"{exc}{_likely_cause(readable, source, header)}") from None
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(header.width))
    try:
        _read_cells(con, readable, table, columns)
    except duckdb.Error as exc:
        raise StructuralError(_csv_error_reason(exc)) from None
    try:
        misquoted = (_find_misquoted_records(con, readable, table, columns) if misquote_possible
                     else "(select null::bigint as record)")
    except duckdb.Error as exc:
        # The file has misquoted fields and even the strict reader cannot find where its records end: what the
        # lenient read made of it cannot be trusted, so the delivery is rejected rather than loaded mangled.
        con.execute(f"drop table if exists {table}_cells")
        raise StructuralError("misquoted fields: " + _csv_error_reason(exc)) from None
    missing_field = " or ".join(f"c{i} is null" for i in range(header.width))
    con.execute(
        f"""
        create or replace temp table {table} as
        select
            rowid + 1 as row_number,
            {", ".join(f"c{i}" for i in range(header.width))},
            case
                when rowid + 1 in (select record from {misquoted})
                    then 'misquoted field: text follows a closing quote, so the field cannot be read as sent'
                when _overflow is not null then 'too many fields: the row has more fields than the header'
                when {missing_field} then 'too few fields: the row is shorter than the header (truncated?)'
            end as _ragged
        from {table}_cells
        """
    )
    con.execute(f"drop table {table}_cells")
    con.execute(f"drop table if exists {table}_misquoted")
    return header


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            total = sum(e.file_size for e in entries)
            packed = sum(e.compress_size for e in entries) or 1
            if total > MAX_XLSX_UNCOMPRESSED or total / packed > MAX_XLSX_RATIO:
                raise StructuralError(
                    f"workbook refused: it would inflate to {total} bytes ({total // packed}× its size), "
                    "beyond the safety limit"
                )
            _check_sheet_extent(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        # A zip whose directory opens but whose entries do not (or whose declared sizes lie: Python checks the
        # size and CRC of what it inflates) is a corrupt workbook, not a crash of the connector.
        raise StructuralError(f"corrupt workbook: {type(exc).__name__}") from None


# A sheet's extent is a bomb of its own: calamine holds a sheet as a dense rectangle (32 bytes per cell) from
# its first to its last cell, so a few-KB workbook with cells at A1 and XFD1048576 asks for 512 GB and aborts
# the whole process (a Rust allocation failure cannot be caught). The first sheet's cell references are
# therefore scanned (streaming, bounded by the inflation limit above) before calamine opens it.
MAX_XLSX_CELLS = 30_000_000  # Excel's 1,048,576 rows × ~28 columns; about 1 GB inside calamine
_REF_COLUMN = re.compile(rb"\sr=\"([A-Z]{1,3})[0-9]")  # the letters of a cell reference
_REF_ROW = re.compile(rb"\sr=\"[A-Z]{0,3}([0-9]{1,9})\"")  # the row of a cell or row reference
_COLUMN_LETTERS = {chr(ord("A") + i): i + 1 for i in range(26)}


def _first_sheet_name(archive: zipfile.ZipFile) -> list[str]:
    """The zip entry of the workbook's first visible sheet (the one read); every worksheet if unsure."""
    import posixpath
    import xml.etree.ElementTree as ET

    names = set(archive.namelist())
    sheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    try:
        if archive.getinfo("xl/workbook.xml").file_size > (16 << 20):
            return sheets
        book = ET.fromstring(archive.read("xl/workbook.xml"))
        first = next(e for e in book.iter() if (e.tag.endswith("}sheet") or e.tag == "sheet")
                     and e.get("state", "visible") == "visible")
        rid = next(v for k, v in first.attrib.items() if k.endswith("}id"))
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        target = next(e.get("Target") for e in rels.iter() if e.get("Id") == rid)
        entry = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        return [entry] if entry in names else sheets
    except (KeyError, StopIteration, ET.ParseError, AttributeError, TypeError):
        return sheets


def _check_sheet_extent(archive: zipfile.ZipFile) -> None:
    for name in _first_sheet_name(archive):
        min_row = min_col = None
        max_row = max_col = 0
        elements = 0
        tail = b""
        with archive.open(name) as handle:
            for chunk in iter(lambda: handle.read(encoding.CHUNK), b""):
                data = tail + chunk
                cut = data.rfind(b">") + 1  # never split an element between two chunks
                data, tail = data[:cut], data[cut:]
                elements += data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
                # distinct values only, collected in C: a sheet has few distinct column letters and at most
                # one row number per row, so the Python-level work stays small however many cells there are
                rows = [int(r) for r in set(_REF_ROW.findall(data))]
                if rows:
                    max_row, min_row = max(max_row, max(rows)), min(min_row or min(rows), min(rows))
                for letters in set(_REF_COLUMN.findall(data)):
                    col = 0
                    for letter in letters.decode():
                        col = col * 26 + _COLUMN_LETTERS[letter]
                    max_col = max(max_col, col)
                    min_col = col if min_col is None else min(min_col, col)
        extent = (max_row - (min_row or 1) + 1) * (max_col - (min_col or 1) + 1) if max_row else 0
        if max(extent, elements) > MAX_XLSX_CELLS:
            raise StructuralError(
                f"workbook refused: its sheet spans {max(extent, elements)} cells "
                f"({max_row} rows × {max_col} columns), beyond the safety limit of {MAX_XLSX_CELLS}"
            )


# Below this, an integer-valued number cell is exactly the integer it shows (a 15-digit ID is < 10^15); at or
# above it, a float may already have lost digits (an 18-digit ID typed as a number), and it keeps showing its
# damage (`4.30482197801305e+17`) so that the contract can quarantine it rather than load a wrong ID.
_EXACT_INTEGER = 1e15


def _cells_to_text(values: list[object]) -> pa.Array:
    """Spreadsheet cells to text, column-wise: dates as ISO, integer-valued numbers as integers (a number cell
    holding 家庭编号 1001 reads `1001`, as the CSV files say, not `1001.0`: every column is text until typed,
    so keys, flow numbers and 15-digit IDs all need it), other numbers as Python prints them (so a number that
    was once an 18-digit ID shows its damage), empty cells as ''."""
    series = pd.Series(values, dtype=object)
    missing = series.isna()
    text = series.astype(str)
    floats = series.map(type).eq(float)  # bool is not float; dates and text are left alone
    if floats.any():
        numbers = series[floats].astype("float64")
        whole = numbers[(numbers % 1 == 0) & (numbers.abs() < _EXACT_INTEGER)]
        text[whole.index] = whole.astype("int64").astype(str)
    text[missing] = None
    return pa.array(text.to_numpy(dtype=object), type=pa.string())


def _visible_sheet(workbook) -> int:
    """The index of the first visible worksheet: a hidden first sheet is a template or a lookup list the
    sender never sees, not the data (a hidden header-only template read as 'no records' emptied a picture)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            return index
    raise StructuralError("the workbook has no visible worksheet")


def _other_sheets_hold_rows(workbook, read: int) -> bool:
    """Whether any other worksheet holds more than a header row (its extent, not its cells: cheap)."""
    for index in range(len(workbook.sheet_names)):
        if index != read:
            try:
                if workbook.get_sheet_by_index(index).height > 1:
                    return True
            except Exception:  # a chart sheet or a sheet calamine cannot open holds no records to miss
                continue
    return False


def read_xlsx_file(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str, tmp_dir: Path) -> FileRead:
    from python_calamine import CalamineWorkbook

    scanned = encoding.scan(path)
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            if handle.read(4) == b"PK\x03\x04":
                # A zip whose end (its directory) is missing: a workbook truncated in transfer, not a CSV file.
                raise StructuralError("corrupt workbook: the zip archive is truncated (no central directory)")
        # A "workbook" that is really a CSV file renamed: read it as what it is, and say so.
        read = read_csv_file(con, path, source, table, tmp_dir)
        return FileRead(read.file, read.header, read.rows, read.encoding, read.sha256,
                        note="named .xlsx but is a CSV text file; read as CSV")
    _check_zip(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = _visible_sheet(workbook)
        rows = workbook.get_sheet_by_index(sheet).to_python(skip_empty_area=False)
    except StructuralError:
        raise
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise StructuralError(f"unreadable workbook: {type(exc).__name__}") from None
    header_index, header = find_header_row(rows, source)
    data = rows[header_index + 1 :]
    while data and all(v in ("", None) for v in data[-1]):
        data.pop()  # trailing blank rows are formatting, not records
    if not data and _other_sheets_hold_rows(workbook, sheet):
        raise StructuralError(
            "the sheet read (the first visible one) holds a header and no records, but other sheets of the "
            "workbook hold rows: the data is on another sheet? (the interface reads the first sheet)"
        )
    width = header.width
    # calamine returns a rectangular sheet, so zip() transposes it to columns in C, with no per-row code.
    columns = list(zip(*data)) if data else []
    arrays = {"row_number": pa.array(range(1, len(data) + 1), pa.int64())}
    for i in range(width):
        arrays[f"c{i}"] = _cells_to_text(list(columns[i])) if i < len(columns) else pa.array([""] * len(data), pa.string())
    # Read through a replacement scan of the local Arrow table: `con.register` refuses to run while any earlier
    # result on the connection is unfinished (DuckDB 2.0), which a caller cannot always guarantee.
    sheet_cells = pa.table(arrays)  # noqa: F841 - referenced by name in the SQL below
    con.execute(
        f"""
        create or replace temp table {table} as
        select
            row_number,
            {", ".join(f"c{i}" for i in range(width))},
            case
                when {" and ".join(f"coalesce(c{i}, '') = ''" for i in range(width))} then 'empty row'
            end as _ragged
        from sheet_cells
        order by row_number
        """
    )
    return FileRead(path.name, header, len(data), "xlsx", scanned.sha256)


def read_file(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str, tmp_dir: Path) -> FileRead:
    if path.suffix.lower() == ".xlsx":
        return read_xlsx_file(con, path, source, table, tmp_dir)
    return read_csv_file(con, path, source, table, tmp_dir)
