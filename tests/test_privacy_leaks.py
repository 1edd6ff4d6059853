"""No ID number or name of the spec samples' people leaks into what a night prints, logs or writes.

The night runs twice on the samples: in-process (`hedui.night.run_night`) and through the command line in a
subprocess (`hedui nightly --no-prefect`, `hedui lists`, `hedui report`, `hedui status`). Everything printed
(stdout, stderr, Python logging at DEBUG for the hedui/connectors/matching loggers) and every file written
outside the warehouse and the caseworker deliverables (Data Docs, GX validation JSON, the run summary, scratch
leftovers) must hold none of the people's IDs (normalised, as delivered, mistyped, 15-digit, damaged) nor names.
The caseworker deliverables may name people but must show IDs masked only.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tests.conftest import SAMPLES, SAMPLES_AS_OF

REPO = Path(__file__).resolve().parents[1]
HEDUI = Path(sys.executable).with_name("hedui")

# The people of tests/fixtures/spec_samples/README.md: normalised IDs and names (both spellings where the samples
# carry two).
SAMPLE_IDS = [
    "430482196203151313", "430482196508022424", "43048219901123357X", "430482197801304687", "430482200805065227",
    "430482198512126049", "430482195007077158", "430421198102198338", "430482197209099119",
]
# The variants the sample files hold besides: a lower-case check character, a full-width ID, the 15-digit ID,
# the mistyped ID, the ID damaged by a spreadsheet (the first 15 digits survive), and the 20-character
# disability certificate numbers (ID + category + grade) are covered by the IDs they contain.
SAMPLE_ID_VARIANTS = [
    "43048219901123357x", "４３０４８２１９６５０８０２２４２４", "430482901123357", "430482197811304687",
    "4.30482197801305E+17", "430482197801305",
]
SAMPLE_NAMES = ["王建国", "李秀英", "王磊", "陈丽华", "陳麗華", "陈思", "阿依古丽·买买提", "阿依古丽•买买提", "阿依古丽",
                "买买提", "张伟", "刘强"]
SENSITIVE = SAMPLE_IDS + SAMPLE_ID_VARIANTS + SAMPLE_NAMES
ID_LIKE = SAMPLE_IDS + SAMPLE_ID_VARIANTS

LOGGERS = ("hedui", "connectors", "matching")
# Caseworker deliverables: they name people and must mask IDs (checked separately); the warehouse holds all.
DELIVERABLE_SUFFIXES = {".xlsx", ".pdf"}


def leaks(text: str, needles: list[str] = SENSITIVE) -> list[str]:
    """The sensitive strings `text` contains (also with digits written apart by spaces, as tables wrap)."""
    squeezed = re.sub(r"\s+", "", text)
    return sorted({n for n in needles if n in text or n in squeezed})


def is_deliverable(path: Path) -> bool:
    return path.suffix.lower() in DELIVERABLE_SUFFIXES or (path.suffix == ".html" and path.name.startswith("核对报告"))


def written_files(base: Path, skip: set[Path]) -> list[Path]:
    return [p for p in sorted(base.rglob("*")) if p.is_file() and p not in skip and not p.name.endswith(".lock")
            and not p.name.endswith(".duckdb") and ".duckdb.tmp-" not in p.name and not is_deliverable(p)]


def read_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8", "gb18030", "utf-16"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def xlsx_cells(path: Path) -> list[str]:
    workbook = openpyxl.load_workbook(path)
    return [str(c.value) for ws in workbook for row in ws.iter_rows() for c in row if c.value is not None]


_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _pdf_unescape(m: re.Match) -> bytes:
    code = m.group(1)
    if re.fullmatch(rb"[0-7]{1,3}", code):
        return bytes([int(code, 8) & 0xFF])
    return _PDF_ESCAPES.get(code, code)


def _pdf_stream(body: bytes) -> bytes:
    body = body.strip()
    if body.endswith(b"~>"):  # reportlab's default: ASCII85, then Flate
        body = base64.a85decode(body, adobe=True, ignorechars=b" \t\n\r\v")
    try:
        return zlib.decompress(body)
    except zlib.error:
        return body


def _to_unicode_maps(raw: bytes) -> dict[bytes, dict[int, str]]:
    """Per font resource name (/F1+0), its ToUnicode map: an embedded TrueType subset draws single-byte codes of
    its own, which only this map turns back into text."""
    streams = {m.group(1): _pdf_stream(m.group(2))
               for m in re.finditer(rb"(\d+) 0 obj\s*<<.*?>>\s*stream\r?\n(.*?)endstream", raw, re.S)}
    maps = {}
    for font in re.finditer(rb"/Name\s*/([^\s/>]+)[^>]*?/ToUnicode\s+(\d+) 0 R", raw, re.S):
        cmap: dict[int, str] = {}
        body = streams.get(font.group(2), b"")
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", body, re.S):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                cmap[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", errors="ignore")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", body, re.S):
            for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                start = int(dst, 16)
                for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    cmap[code] = chr(start + offset)
        maps[font.group(1)] = cmap
    return maps


def pdf_text(path: Path) -> str:
    """The text drawn in a reportlab PDF, as far as it can be read without a PDF library: every (deflated)
    content stream, its string operands decoded through the font's ToUnicode map (an embedded TrueType subset),
    and also as latin-1 and UTF-16-BE (a CID font's encoding)."""
    raw = path.read_bytes()
    maps = _to_unicode_maps(raw)
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", raw, re.S):
        body = _pdf_stream(match.group(1))
        out.append(body.decode("latin-1"))
        for hexstr in re.findall(rb"<([0-9A-Fa-f\s]+)>", body):
            try:
                out.append(bytes.fromhex(hexstr.decode()).decode("utf-16-be", errors="ignore"))
            except ValueError:
                pass
        cmap: dict[int, str] = {}
        drawn = []
        for token in re.finditer(rb"/([^\s/()<>\[\]]+)\s+[0-9.]+\s+Tf|\(((?:\\.|[^\\)])*)\)", body, re.S):
            if token.group(1) is not None:
                cmap = maps.get(token.group(1), {})
                continue
            unescaped = re.sub(rb"\\([0-7]{1,3}|.)", _pdf_unescape, token.group(2), flags=re.S)
            out.append(unescaped.decode("latin-1"))
            out.append(unescaped.decode("utf-16-be", errors="ignore"))
            if cmap:
                drawn.append("".join(cmap.get(b, "?") for b in unescaped))
        out.append("".join(drawn))
    return "\n".join(out)


def list_rows(path: Path) -> int:
    """Data rows (below the header) on a caseworker list's first sheet."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = workbook.worksheets[0]
        return sum(1 for row in sheet.iter_rows(min_row=2, values_only=True) if any(v is not None for v in row))
    finally:
        workbook.close()


def assert_deliverables_mask_ids(folder: Path) -> int:
    """Every caseworker file under `folder` holds no full ID and does show masked ones; returns files checked."""
    checked = 0
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".xlsx":
            text = "\n".join(xlsx_cells(path))
        elif path.suffix == ".pdf":
            text = pdf_text(path)
        elif path.suffix == ".html" and path.name.startswith("核对报告"):
            text = read_text(path)
        else:
            continue
        checked += 1
        assert leaks(text, ID_LIKE) == [], path.name
        if path.suffix != ".xlsx" or list_rows(path) > 0:
            # reports always show their members' masked IDs; lists do whenever they have rows (counted from
            # the sheet, not from the text: a list that lost its masked IDs must not pass as an empty one)
            assert re.search(r"4304[0-9]{2}\*{8}[0-9]{3}[0-9X]", text), f"no masked ID seen in {path.name}"
    return checked


# ---------------------------------------------------------------------------------------------------- in-process


@pytest.fixture(scope="module")
def plain_night(tmp_path_factory):
    """run_night on the samples, capturing logging (DEBUG) and what it prints; plus the run summary."""
    from hedui.deliver.summary import build_run_summary, render_summary_console, summary_markdown
    from hedui.night import run_night
    from rich.console import Console

    base = tmp_path_factory.mktemp("plain")
    landing = base / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    home = base / "home"
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    saved = {}
    for name in LOGGERS + ("",):
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.addHandler(handler)
        if name:
            logger.setLevel(logging.DEBUG)
    printed: list[str] = []
    try:
        result = run_night(landing, home / "hedui.duckdb", SAMPLES_AS_OF, progress=printed.append)
    finally:
        for name, level in saved.items():
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).setLevel(level)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    summary = build_run_summary(con, result.run_id)
    con.close()
    console = Console(record=True, width=200)
    render_summary_console(summary, console)
    (home / "run-summary.md").write_text(summary_markdown(summary), encoding="utf-8")
    printed.append(console.export_text())
    return result, home, "\n".join(records), "\n".join(printed)


def test_plain_night_logs_no_id_or_name_at_debug(plain_night, capfd):
    _, _, logged, printed = plain_night
    assert logged, "nothing was logged: the capture is broken"
    assert leaks(logged) == []
    assert leaks(printed) == [] and "CN-S-0001" not in printed


def test_plain_night_writes_no_id_or_name_outside_warehouse_and_deliverables(plain_night):
    result, home, _, _ = plain_night
    files = written_files(home, skip=set())
    kinds = {p.suffix for p in files}
    assert {".json", ".html", ".md"} <= kinds, kinds  # validations, Data Docs, run summary were all scanned
    found = {str(p.relative_to(home)): leaks(read_text(p)) for p in files}
    assert {k: v for k, v in found.items() if v} == {}


def test_plain_night_caseworker_lists_show_masked_ids_only(plain_night):
    result, _, _, _ = plain_night
    assert assert_deliverables_mask_ids(result.outputs) >= 2


def test_household_report_html_and_pdf_show_masked_ids_only(plain_night, tmp_path):
    from hedui.deliver.report import render_household_report

    result, _, _, _ = plain_night
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        for household in ("CN-S-0001", "CN-S-0002", "CN-S-0003"):
            render_household_report(con, household, tmp_path / household, SAMPLES_AS_OF)
    finally:
        con.close()
    assert assert_deliverables_mask_ids(tmp_path) == 6


def test_pdf_text_extraction_sees_full_ids_when_a_report_shows_them(plain_night, tmp_path):
    """The positive control of the PDF scan: with --full-ids the same scan finds the full IDs."""
    from hedui.deliver.report import render_household_report

    result, _, _, _ = plain_night
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        paths = render_household_report(con, "CN-S-0001", tmp_path, SAMPLES_AS_OF, show_full_ids=True)
    finally:
        con.close()
    pdf = next(p for p in paths if p.suffix == ".pdf")
    assert "430482196203151313" in leaks(pdf_text(pdf), ID_LIKE)


# ---------------------------------------------------------------------------------------------------- command line


SITECUSTOMIZE = """
import logging, sys
_h = logging.StreamHandler(sys.stderr)
_h.setFormatter(logging.Formatter("LOG %(name)s %(levelname)s %(message)s"))
for _name in ("hedui", "connectors", "matching"):
    logging.getLogger(_name).setLevel(logging.DEBUG)
    logging.getLogger(_name).addHandler(_h)
"""


@pytest.fixture(scope="module")
def cli_night(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    landing = base / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    home = base / "home"
    home.mkdir()
    hook = base / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), str(REPO)]), "COLUMNS": "200",
           "GX_ANALYTICS_ENABLED": "false", "HEDUI_QUIET": ""}
    warehouse = home / "hedui.duckdb"
    commands = [
        ["nightly", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", SAMPLES_AS_OF.isoformat(),
         "--no-prefect"],
        ["lists", "--warehouse", str(warehouse), "--out", str(home / "lists")],
        ["report", "CN-S-0003", "--warehouse", str(warehouse), "--out", str(home / "reports")],
        ["report", "CN-S-0001", "--warehouse", str(warehouse), "--out", str(home / "reports")],
        ["status", "--warehouse", str(warehouse)],
    ]
    outputs = []
    for args in commands:
        done = subprocess.run([str(HEDUI), *args], cwd=base, env=env, capture_output=True, timeout=600)
        assert done.returncode == 0, (args[0], done.stderr.decode("utf-8", "replace")[-2000:])
        outputs.append((args[0], done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")))
    return home, outputs


def test_cli_commands_print_and_log_no_id_or_name(cli_night):
    _, outputs = cli_night
    everything = "\n".join(out + "\n" + err for _, out, err in outputs)
    assert "LOG hedui" in everything, "the DEBUG logging hook did not take effect"
    assert "20261103" in everything  # the run id / deliveries are printed: the capture works
    assert {cmd: leaks(out + err) for cmd, out, err in outputs if leaks(out + err)} == {}


def test_cli_night_writes_no_id_or_name_outside_warehouse_and_deliverables(cli_night):
    home, _ = cli_night
    files = written_files(home, skip=set())
    assert any(p.suffix == ".json" for p in files) and any(p.suffix == ".html" for p in files)
    found = {str(p.relative_to(home)): leaks(read_text(p)) for p in files}
    assert {k: v for k, v in found.items() if v} == {}


def test_cli_deliverables_show_masked_ids_only(cli_night):
    home, _ = cli_night
    assert assert_deliverables_mask_ids(home / "outputs") >= 2
    assert assert_deliverables_mask_ids(home / "lists") >= 2
    assert assert_deliverables_mask_ids(home / "reports") == 4


def test_xlsx_files_hold_no_hidden_id_in_their_zip_parts(cli_night):
    """Cells are not all a workbook holds: shared strings, properties, validation lists are scanned raw."""
    home, _ = cli_night
    books = list(home.rglob("*.xlsx"))
    assert books
    for book in books:
        with zipfile.ZipFile(book) as archive:
            raw = "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
        assert leaks(raw, ID_LIKE) == [], book.name


# ---------------------------------------------------------------------------------------------------- exceptions


def _failing_catalog(tmp_path: Path, condition: str):
    from hedui.rules.catalog import load_catalog

    folder = tmp_path / "rules"
    folder.mkdir()
    text = (REPO / "warnings" / "CHANGE_DECEASED.sql").read_text(encoding="utf-8")
    assert "select * from staged.death\n" in text
    text = text.replace("select * from staged.death\n", f"select * from staged.death where {condition}\n", 1)
    (folder / "CHANGE_DECEASED.sql").write_text(text, encoding="utf-8")
    return load_catalog(folder)


@pytest.mark.parametrize("condition", [
    pytest.param("cast(id_norm as integer) > 0", id="cast-of-an-id"),
    pytest.param("strptime(person_name, '%Y') is not null", id="date-parse-of-a-name"),
    pytest.param("cast(try_cast(id_norm as bigint) as integer) > 0", id="bare-number-of-an-id"),
])
def test_a_failing_rule_query_raises_an_error_without_id_or_name(plain_night, tmp_path, condition):
    from hedui.rules.engine import RuleExecutionError, evaluate_rules
    from hedui.run_info import RunInfo

    result, _, _, _ = plain_night
    copy = tmp_path / "w.duckdb"
    shutil.copy(result.warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        with pytest.raises(RuleExecutionError) as caught:
            evaluate_rules(con, RunInfo("test-run", SAMPLES_AS_OF), _failing_catalog(tmp_path, condition))
    finally:
        con.close()
    message = str(caught.value)
    assert "CHANGE_DECEASED.sql" in message
    assert leaks(message) == [], message


def _crash_on_vehicle(real):
    """The vehicle connector dies on a DuckDB error that quotes a value of its delivery; the others run."""
    def ingest(con, landing, source, run, **kwargs):
        if source.name == "vehicle":
            con.execute("select cast(? as integer)", ["陳麗華 430482197811304687"])
        return real(con, landing, source, run, **kwargs)

    return ingest


def test_a_failing_connector_is_logged_without_id_or_name(sample_landing, tmp_path, monkeypatch, caplog):
    """A connector that dies on a DuckDB error quoting a value: the night goes on, and neither the log nor the
    progress output repeats the value."""
    import hedui.stages
    from hedui.night import run_night

    monkeypatch.setattr(hedui.stages, "ingest_source", _crash_on_vehicle(hedui.stages.ingest_source))
    caplog.set_level(logging.DEBUG)
    printed: list[str] = []
    result = run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False, progress=printed.append)
    assert result.failed_sources == ["vehicle"]
    assert "source vehicle failed" in caplog.text
    assert leaks(caplog.text) == [] and leaks("\n".join(printed)) == []


def test_a_failing_connector_leaves_no_id_or_name_in_the_ledger(sample_landing, tmp_path, monkeypatch):
    import hedui.stages
    from hedui.night import run_night

    monkeypatch.setattr(hedui.stages, "ingest_source", _crash_on_vehicle(hedui.stages.ingest_source))
    result = run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        reasons = con.execute("select reason from ledger.deliveries where status = 'failed'").fetchall()
    finally:
        con.close()
    assert reasons and "ConversionException" in reasons[0][0]
    assert leaks(" ".join(r for (r,) in reasons)) == []


def test_redacted_error_text_keeps_the_error_and_drops_quoted_and_numeric_values():
    from hedui.privacy import redact_error_text

    con = duckdb.connect()
    messages = []
    for sql, params in [
        ("select cast(? as integer)", ["王建国 430482196203151313"]),
        ("select strptime(?, '%Y-%m-%d')", ["李秀英"]),
        ("select cast(430482196203151313 as integer)", []),
        ("select ?::decimal(10, 2)", ["43048219901123357X"]),
        ("create table t (k varchar primary key); insert into t values ('430482197801304687'), "
         "('430482197801304687')", []),
    ]:
        with pytest.raises(duckdb.Error) as caught:
            con.execute(sql, params)
        assert leaks(str(caught.value)), "this DuckDB error no longer quotes the value: pick another"
        messages.append(redact_error_text(caught.value))
    assert all(leaks(m) == [] for m in messages), messages
    assert all("Error" in m for m in messages)
    assert redact_error_text("housing: 3 rows at byte 1234") == "housing: 3 rows at byte 1234"


def test_redacted_error_text_drops_bare_chinese_names_and_keeps_the_sources_vocabulary():
    from hedui.privacy import redact_error_text

    text = redact_error_text("could not convert 公民身份号码 of 王建国 (阿依古丽·买买提) in 户籍注销(死亡) to DATE")
    assert leaks(text) == []
    assert text == "could not convert 公民身份号码 of … (…) in 户籍注销(死亡) to DATE"
