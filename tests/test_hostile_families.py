"""Families of hostile input that could lose or alter data in silence (issue 12), each tried with the fault at
random positions and in random sources. Whatever happens to a delivery, every record the test wrote is loaded,
quarantined or set aside: the test counts the records itself, it never trusts the reader's count.

Each example runs real ingests into a throw-away warehouse (about 0.3-1 s each), on small hand-built landing
zones; example counts are small so that the whole file stays within about a minute and a half on two cores.
Set HEDUI_HOSTILE_EXAMPLES to run more.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from connectors import SOURCES
from hedui import stages
from hedui.policy import Policy
from hedui.run_info import RunInfo
from hedui.warehouse import migrate
from tests.conftest import SAMPLES, SAMPLES_AS_OF, read_sample_rows
from tests.hostile_support import assert_accounting, ingest_files

EXAMPLES = int(os.environ.get("HEDUI_HOSTILE_EXAMPLES", "0")) or None
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if os.environ.get("HEDUI_HOSTILE_SHRINK") else [])


def family(n: int):
    """Bounded for CI; random (not derandomized), so that every run tries other positions and sources."""
    return settings(max_examples=EXAMPLES or n, deadline=None, phases=PHASES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# the declared sources whose spec sample is a CSV file (disability's is a workbook), by kind
CSV_SOURCES = [name for name in SOURCES if any((SAMPLES / name).rglob("*.csv"))]
SNAPSHOT_CSV = [name for name in CSV_SOURCES if SOURCES[name].kind == "snapshot"]
EVENT_CSV = [name for name in CSV_SOURCES if SOURCES[name].kind == "event"]


def to_csv(rows: list[list[str]]) -> str:
    def field(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value

    return "".join(",".join(field(v) for v in row) + "\n" for row in rows)


def sample(source: str, count: int) -> tuple[list[str], list[list[str]]]:
    """`count` records of the source's sample rows, cycled (a repeated key is quarantined or counted once:
    either way each record is accounted for)."""
    header, rows = read_sample_rows(source)
    return header, [list(rows[i % len(rows)]) for i in range(count)]


def assert_no_row_values(reason: str, rows: list[list[str]]) -> None:
    """A reason is shown in the terminal and the Prefect artifact: it quotes no value of a row (DuckDB's error
    text quotes the offending line, which once reached a reason when that line held a quoted line break)."""
    leaked = [v for r in rows for v in r if len(v.strip()) >= 4 and v.strip() in reason]
    assert not leaked, (leaked, reason)


def accounted(d: dict) -> int:
    return (d["rows_loaded"] or 0) + (d["rows_quarantined"] or 0) + (d["rows_set_aside"] or 0)


@dataclass
class Night:
    ledger: dict[str, dict]
    staged: int
    events: dict[str, int]


class Landing:
    """A landing zone and one warehouse connection across several nights."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="hedui-family-"))
        self.root = self.base / "landing"
        self.con = duckdb.connect()
        migrate(self.con)
        self.nights = 0

    def put(self, source: str, folder: str, files: dict[str, bytes]) -> None:
        path = self.root / source / folder
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        for name, content in files.items():
            (path / name).write_bytes(content)

    def night(self, source: str, as_of: dt.date, results_dir: Path | None = None) -> Night:
        self.nights += 1
        run = RunInfo(f"run-{self.nights}", as_of)
        stages.ingest(self.con, self.root, source, run, tmp_dir=self.base / "scratch", results_dir=results_dir)
        assert_accounting(self.con)
        cursor = self.con.execute("select * from ledger.deliveries where run_id = ?", [run.run_id])
        names = [c[0] for c in cursor.description]
        ledger = {row[names.index("delivery_id")]: dict(zip(names, row)) for row in cursor.fetchall()}
        staged = self.con.execute(f"select count(*) from staged.{source}").fetchall()[0][0]
        events = {}
        if SOURCES[source].kind == "event":
            events = dict(self.con.execute(
                f"select delivery_id, count(*) from staged.{source}_events group by all").fetchall())
        return Night(ledger, staged, events)

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.base, ignore_errors=True)


NIGHT_1, NIGHT_2 = SAMPLES_AS_OF - dt.timedelta(days=7), SAMPLES_AS_OF


# --- 1. an opening quote that never closes --------------------------------------------------------------

@given(source=st.sampled_from(CSV_SOURCES), count=st.integers(1, 12), data=st.data(),
       encoding=st.sampled_from(["utf-8", "gb18030", "utf-8-sig"]))
@family(12)
def test_family_unclosed_quote_refuses_the_file_and_sets_every_record_aside(source, count, data, encoding):
    """`,"王磊,` in any record and any field: DuckDB's lenient reader makes the rest of the file one field, so
    a short count could load as a whole night. The line breaks outside quotes disagree with that count (or
    the file ends inside a quote): the delivery is refused, and all `count` records are set aside, none lost."""
    header, rows = sample(source, count)
    plain = [[v.replace('"', "").replace(",", "，").replace("\n", " ").replace("\r", " ") for v in r] for r in rows]
    record = data.draw(st.integers(0, count - 1), label="record")
    column = data.draw(st.integers(0, len(header) - 1), label="field")
    plain[record][column] = '"' + plain[record][column]  # opened, never closed
    lines = [",".join(header) + "\n"] + [",".join(r) + "\n" for r in plain]
    result = ingest_files({"x.csv": "".join(lines).encode(encoding)}, source=source)
    d = result.delivery
    assert d["status"] == "rejected", d
    assert "quote" in d["reason"], d["reason"]
    assert_no_row_values(d["reason"], plain)
    assert (d["rows_read"], d["rows_set_aside"], accounted(d)) == (count, count, count), d
    assert result.staged == [] and result.raw == []


@given(source=st.sampled_from(CSV_SOURCES), count=st.integers(3, 10), data=st.data())
@family(8)
def test_family_two_unclosed_quotes_that_pair_up_are_refused_too(source, count, data):
    """Two opening quotes that never close, in two records: they pair with each other, so the byte count and
    the reader agree on one record for all the lines between them. That record has the wrong shape and spans
    lines: the file is refused and every record set aside."""
    header, rows = sample(source, count)
    plain = [[v.replace('"', "").replace(",", "，").replace("\n", " ").replace("\r", " ") for v in r] for r in rows]
    first = data.draw(st.integers(0, count - 2), label="first record")
    second = data.draw(st.integers(first + 1, count - 1), label="second record")
    column = data.draw(st.integers(0, len(header) - 1), label="first field")
    plain[first][column] = '"' + plain[first][column]
    # the second quote opens a field with text in it (text then follows the "closing" quote: a misquote); a quote
    # before an empty field would close the first one cleanly, which no structure can tell (robustness.md)
    filled = [i for i, v in enumerate(plain[second]) if v.strip()]
    column = data.draw(st.sampled_from(filled), label="second field")
    plain[second][column] = '"' + plain[second][column]
    content = (",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in plain)).encode()
    d = ingest_files({"x.csv": content}, source=source).delivery
    assert d["status"] == "rejected", d
    assert (d["rows_read"], d["rows_set_aside"]) == (count, count), d
    assert_no_row_values(d["reason"], plain)


def test_a_quoted_field_holding_a_line_break_in_a_well_formed_record_still_loads():
    content = ("公民身份号码,姓名,死亡日期,注销日期\n430482196508022424,\"李\n秀英\",2026-10-30,\n"
               "430482195007077158,张伟,2026-10-15,\n").encode()
    d = ingest_files({"x.csv": content}).delivery
    assert (d["status"], d["rows_read"]) == ("loaded", 2), d


def test_unclosed_quote_late_in_a_file_no_longer_passes_as_a_short_delivery():
    header, rows = sample("members", 9)
    lines = [to_csv([r]) for r in [header, *rows]]
    lines[8] = lines[8].replace(",", ',"', 1)
    d = ingest_files({"m.csv": "".join(lines).encode()}, source="members").delivery
    assert (d["status"], d["rows_set_aside"]) == ("rejected", 9), d


# --- 2. a delivery whose every row fails its contract --------------------------------------------------

def _damage(rows: list[list[str]], how: str) -> list[list[str]]:
    if how == "stray comma":
        return [r + [""] for r in rows]  # every row one field too long
    if how == "truncated rows":
        return [r[:-1] for r in rows]  # every row one field short
    return [[f'="{v}"' if re.fullmatch(r"[0-9]{15}|[0-9]{17}[0-9Xx]", v) else v for v in r] for r in rows]  # ="4304…"


@given(source=st.sampled_from(SNAPSHOT_CSV), how=st.sampled_from(["stray comma", "truncated rows", "ids as formulas"]),
       count=st.integers(3, 10))
@family(5)
def test_family_snapshot_failing_its_contract_throughout_is_held_back(source, how, count):
    """Night 2 delivers the same records damaged on every row. They are read in full and fail in full: the
    held-back check counts rows LOADED, so the picture of night 1 stays in force."""
    if how == "ids as formulas":
        source = "members"  # the source whose rows cannot load without a readable ID (elsewhere it is a flag)
    header, rows = sample(source, count)
    damaged = _damage(rows, how)
    landing = Landing()
    try:
        landing.put(source, "20261027", {"a.csv": to_csv([header, *rows]).encode()})
        first = landing.night(source, NIGHT_1)
        if first.staged == 0:
            return
        landing.put(source, "20261103", {"b.csv": to_csv([header, *damaged]).encode()})
        second = landing.night(source, NIGHT_2)
        d = second.ledger[f"{source}/20261103"]
        assert d["status"] == "held_back" and d["reason"].startswith("implausible drop"), d
        assert (d["rows_read"], d["rows_set_aside"]) == (count, count), d
        assert second.staged == first.staged  # the picture in force stands
    finally:
        landing.close()


@given(source=st.sampled_from(EVENT_CSV), count=st.integers(5, 10),
       how=st.sampled_from(["stray comma", "truncated rows"]))
@family(4)
def test_family_event_delivery_whose_quarantine_share_jumps_is_held_back(source, count, how):
    """A new weekly delivery where every row fails, after deliveries that loaded clean: the share of
    quarantined rows jumps far above the source's usual share (policy deliveries.quarantine_share_jump), and
    the delivery is held back with a reason instead of reading as a week without events."""
    header, rows = sample(source, count)
    landing = Landing()
    try:
        landing.put(source, "20261027", {"a.csv": to_csv([header, *rows]).encode()})
        first = landing.night(source, NIGHT_1)
        landing.put(source, "20261103", {"b.csv": to_csv([header, *_damage(rows, how)]).encode()})
        second = landing.night(source, NIGHT_2)
        d = second.ledger[f"{source}/20261103"]
        usual = first.ledger[f"{source}/20261027"]
        if usual["rows_quarantined"] / usual["rows_read"] > 0.7:
            return  # the sample itself fails mostly: no jump to see
        assert d["status"] == "held_back" and "quarantine share" in d["reason"], d
        assert (d["rows_read"], d["rows_set_aside"]) == (count, count), d
        assert second.events == first.events
    finally:
        landing.close()


# --- 3. a corrected event resend that drops most rows ---------------------------------------------------

@given(source=st.sampled_from(EVENT_CSV), count=st.integers(4, 12), data=st.data())
@family(4)
def test_family_event_resend_dropping_most_rows_is_held_back(source, count, data):
    """`medical/20261103` resent with only its header (or a few rows): a corrected resend replaces its earlier
    version, so it is held back like a shrunken snapshot and the settlements stay."""
    header, rows = sample(source, count)
    landing = Landing()
    try:
        landing.put(source, "20261027", {"a.csv": to_csv([header, *rows]).encode()})
        first = landing.night(source, NIGHT_2)
        loaded = first.ledger[f"{source}/20261027"]["rows_loaded"]
        if loaded == 0:
            return
        # fewer rows than half of those that loaded: whichever they are, fewer than half would load again
        kept = data.draw(st.integers(0, (loaded - 1) // 2), label="rows kept")
        landing.put(source, "20261027", {"a.csv": to_csv([header, *rows[:kept]]).encode()})
        second = landing.night(source, NIGHT_2)
        d = second.ledger[f"{source}/20261027"]
        assert d["status"] == "held_back", d
        assert (d["rows_read"], d["rows_set_aside"]) == (kept, kept), d
        assert second.events == first.events and second.staged == first.staged
    finally:
        landing.close()


def test_a_corrected_resend_of_similar_size_still_replaces_its_earlier_version():
    header, rows = sample("medical", 6)
    landing = Landing()
    try:
        landing.put("medical", "20261027", {"a.csv": to_csv([header, *rows]).encode()})
        landing.night("medical", NIGHT_1)
        landing.put("medical", "20261027", {"a.csv": to_csv([header, *rows[:5]]).encode()})
        d = landing.night("medical", NIGHT_2).ledger["medical/20261027"]
        assert d["status"] == "loaded" and "corrected resend" in d["reason"], d
    finally:
        landing.close()


# --- 4. spreadsheet number cells ------------------------------------------------------------------------

def workbook_bytes(build) -> bytes:
    book = openpyxl.Workbook()
    build(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@given(source=st.sampled_from(CSV_SOURCES), count=st.integers(1, 6), data=st.data())
@family(10)
def test_family_integer_number_cells_read_as_the_integers_they_show(source, count, data):
    """Every all-digit value of up to 15 digits (家庭编号 1001, 结算流水号, a 15-digit ID) typed into a number
    cell, at random: it reads as `1001`, exactly as the CSV says, never `1001.0`."""
    header, rows = sample(source, count)
    numeric = {(r, c) for r, row in enumerate(rows) for c, v in enumerate(row)
               if v.isdigit() and len(v) <= 15 and not v.startswith("0")}
    chosen = data.draw(st.sets(st.sampled_from(sorted(numeric))) if numeric else st.just(set()), label="cells")

    def build(book):
        sheet = book.active
        sheet.append(header)
        for r, row in enumerate(rows):
            sheet.append([int(v) if (r, c) in chosen else v for c, v in enumerate(row)])

    result = ingest_files({"x.xlsx": workbook_bytes(build)}, source=source, as_read=True)
    d = result.delivery
    assert d["status"] == "loaded" and accounted(d) == count, d
    columns = {i: name for name, i in _header_positions(source, header).items()}
    raw = {r["row_number"]: r for r in result.read}
    for r, c in chosen:
        if r + 1 in raw and c in columns:
            assert raw[r + 1][f"src_{columns[c]}"] == rows[r][c], (r, c, raw[r + 1])


def _header_positions(source: str, header: list[str]) -> dict[str, int]:
    from connectors.headers import map_header

    return map_header(header, SOURCES[source]).known


def test_an_eighteen_digit_id_typed_as_a_number_keeps_showing_its_damage():
    def build(book):
        sheet = book.active
        sheet.append(["公民身份号码", "姓名", "死亡日期"])
        sheet.append([430482196508022424, "李秀英", "2026-10-30"])

    result = ingest_files({"x.xlsx": workbook_bytes(build)}, as_read=True)
    (raw,) = result.read
    assert raw["src_id"].endswith("e+17"), raw["src_id"]  # never digits that look like an ID but are not it
    assert result.staged == [] and {q["row_number"] for q in result.quarantine} == {1}


# --- 5. mixed encodings in one file ---------------------------------------------------------------------

@given(source=st.sampled_from(CSV_SOURCES), count=st.integers(1, 10), data=st.data())
@family(12)
def test_family_gb18030_file_with_utf8_rows_is_refused_never_garbled(source, count, data):
    """Random rows of a GB18030 file written in UTF-8 instead (two exports pasted together): the file is
    refused with the line named, and every record is set aside, rather than names loaded as mojibake."""
    header, rows = sample(source, count)
    chinese = [i for i, r in enumerate(rows) if sum(1 for ch in "".join(r) if ord(ch) > 0x2000) >= 2]
    if not chinese:
        return
    utf8 = data.draw(st.sets(st.sampled_from(chinese), min_size=1), label="rows in UTF-8")
    content = to_csv([header]).encode("gb18030") + b"".join(
        to_csv([r]).encode("utf-8" if i in utf8 else "gb18030") for i, r in enumerate(rows))
    d = ingest_files({"x.csv": content}, source=source).delivery
    assert d["status"] == "rejected", d
    assert "mixed encodings" in d["reason"] or "not readable as UTF-8 or GB18030" in d["reason"], d["reason"]
    assert (d["rows_read"], d["rows_set_aside"]) == (count, count), d


def test_a_genuine_gb18030_file_of_many_names_is_not_mistaken_for_mixed():
    """The reverse risk: GB18030 text whose bytes happen to be valid UTF-8. 2,000 random common names."""
    import random

    rng = random.Random(12)
    common = [chr(c) for c in range(0x4E00, 0x9FA5) if len(chr(c).encode("gb2312", "ignore")) == 2][:3000]
    rows = [[f"430482196508{i:05d}"[:17] + "0", "".join(rng.choices(common, k=rng.choice([2, 3]))), "2026-10-30"]
            for i in range(2000)]
    d = ingest_files({"x.csv": to_csv([["公民身份号码", "姓名", "死亡日期"], *rows]).encode("gb18030")}).delivery
    assert d["status"] == "loaded", d


# --- 6. hidden sheets -----------------------------------------------------------------------------------

@given(source=st.sampled_from(CSV_SOURCES), count=st.integers(1, 6), hidden=st.integers(1, 3),
       position=st.integers(0, 3), very=st.booleans())
@family(8)
def test_family_hidden_sheets_are_skipped_and_the_visible_data_sheet_is_read(source, count, hidden, position, very):
    """Hidden header-only templates (hidden or very hidden) before or after the data sheet: the first VISIBLE
    sheet is read, and all its records are accounted for."""
    header, rows = sample(source, count)

    def build(book):
        book.remove(book.active)
        templates = [book.create_sheet(f"tpl{i}") for i in range(hidden)]
        for sheet in templates:
            sheet.append(header)
            sheet.sheet_state = "veryHidden" if very else "hidden"
        data_sheet = book.create_sheet("data", min(position, hidden))
        data_sheet.append(header)
        for row in rows:
            data_sheet.append(row)
        book.active = book.sheetnames.index("data")

    d = ingest_files({"x.xlsx": workbook_bytes(build)}, source=source).delivery
    assert d["status"] == "loaded" and d["rows_read"] == count and accounted(d) == count, d


@given(source=st.sampled_from(SNAPSHOT_CSV), count=st.integers(1, 6))
@family(4)
def test_family_header_only_sheet_beside_sheets_with_rows_is_a_problem_not_an_empty_picture(source, count):
    header, rows = sample(source, count)

    def build(book):
        book.active.append(header)
        other = book.create_sheet("data")
        other.append(header)
        for row in rows:
            other.append(row)

    landing = Landing()
    try:
        landing.put(source, "20261027", {"a.csv": to_csv([header, *rows]).encode()})
        first = landing.night(source, NIGHT_1)
        landing.put(source, "20261103", {"b.xlsx": workbook_bytes(build)})
        second = landing.night(source, NIGHT_2)
        d = second.ledger[f"{source}/20261103"]
        assert d["status"] == "rejected" and "other sheets" in d["reason"], d
        assert second.staged == first.staged
    finally:
        landing.close()


# --- 7. file names are personal data --------------------------------------------------------------------

PERSONAL_FILE = "李秀英等死亡名单_430482196508022424"


@given(source=st.sampled_from(CSV_SOURCES), count=st.integers(1, 6), kind=st.sampled_from([".csv", ".xlsx"]),
       broken=st.booleans())
@family(6)
def test_family_file_names_and_row_values_stay_out_of_reasons_and_validation_results(source, count, kind, broken):
    """A file named after its contents: the ledger's reasons and notes (shown in the terminal, the Prefect
    artifact) name it by its position, and the stored GX validation results hold neither the name nor any value
    of a row (only row numbers)."""
    header, rows = sample(source, count)
    rows = [[v + "x" if i == 0 else v for i, v in enumerate(r)] for r in rows]  # some rows fail their contract
    if kind == ".csv":
        content = to_csv([header if not broken else header[1:], *rows]).encode()
    else:
        content = workbook_bytes(lambda b: [b.active.append(r) for r in ([header] if not broken else []) + rows])
    landing = Landing()
    try:
        results = landing.base / "validations"
        landing.put(source, "20261103", {PERSONAL_FILE + kind: content, "说明.txt": b"notes"})
        night = landing.night(source, NIGHT_2, results_dir=results)
        reasons = " ".join(d["reason"] or "" for d in night.ledger.values())
        assert "李秀英" not in reasons and "430482196508022424" not in reasons and "说明" not in reasons, reasons
        stored = "".join(p.read_text(encoding="utf-8") for p in results.rglob("*.json"))
        assert "李秀英" not in stored and "死亡名单" not in stored, stored[:500]
        contract = (Path(__file__).parent.parent / "data_contracts" / f"{source}.json").read_text(encoding="utf-8")
        values = {v for r in rows for v in r if len(v) >= 4 and v not in contract}  # (a value set is no row's)
        leaked = [v for v in values if v in stored]
        assert not leaked, leaked
        if stored:
            index_lists = [r["result"].get("partial_unexpected_index_list") for f in results.rglob("*.json")
                           for r in json.loads(f.read_text(encoding="utf-8"))["results"]]
            for entries in filter(None, index_lists):
                assert all(set(e) <= {"file", "row_number"} and e["file"].endswith(("/1", "/2")) for e in entries)
    finally:
        landing.close()


# --- 12. unclear rejections -----------------------------------------------------------------------------

@given(source=st.sampled_from(CSV_SOURCES), titles=st.integers(1, 5), count=st.integers(0, 5))
@family(8)
def test_family_title_rows_above_a_csv_header_are_named_as_the_cause(source, titles, count):
    header, rows = sample(source, count)
    title = [["核对用数据"] + [""] * (len(header) - 1)] * (titles - 1) + [["制表日期：2026年11月3日"]]
    d = ingest_files({"x.csv": to_csv([*title, header, *rows]).encode("gb18030")}, source=source).delivery
    assert d["status"] == "rejected" and f"the header is on line {titles + 1}" in d["reason"], d
    assert d["rows_set_aside"] == count + titles, d  # every line after the first, as the file's records


BIG5_NAMES = ["陳美玲", "林志明", "黃淑芬", "張家豪", "王建國"]


@given(names=st.lists(st.sampled_from(BIG5_NAMES), min_size=0, max_size=5))
@family(4)
def test_family_a_big5_file_is_named_as_big5(names):
    header = ["公民身份號碼", "姓名", "死亡日期", "註銷日期"]  # as Taiwan or Hong Kong software writes it
    rows = [["430482196508022424", n, "2026-10-30", ""] for n in names]
    d = ingest_files({"x.csv": to_csv([header, *rows]).encode("big5")}).delivery
    assert d["status"] == "rejected" and "Big5" in d["reason"], d
    assert d["rows_set_aside"] == len(names), d


@pytest.mark.parametrize("folder, note", [("Vehicle", "source folders are lower case (vehicle/)"),
                                          ("scans", "is not a source"),
                                          ("李秀英资料", "(a folder with a non-ASCII name) is not a source")])
def test_unknown_and_wrong_case_landing_folders_go_into_the_runs_notes(tmp_path, folder, note):
    (tmp_path / "landing" / folder / "20261103").mkdir(parents=True)
    con = duckdb.connect()
    migrate(con)
    run = stages.begin_run(con, as_of=SAMPLES_AS_OF, landing=tmp_path / "landing", policy=Policy(), run_id="r1")
    stages.finish_run(con, run, {})
    (message,) = con.execute("select message from ledger.runs").fetchone()
    assert note in message and "李秀英" not in message, message
