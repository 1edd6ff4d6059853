"""The rules stage on Spark gives what it gives on DuckDB (issue 15): same subjects, wording, evidence bytes and
fingerprints for every rule of the catalog, on the tiny generated city; and after a second night whose deliveries
open, keep and resolve warnings, the same warnings table. The ingest's typing and contracts on Spark stage,
quarantine and count what they do on DuckDB, on the tiny city and on hostile cells. The linking's ID join, blocking and fuzzy scoring on
Spark give the hits, candidate pairs and scored pairs they give on DuckDB, and the Spark night the same links.

One `local[1]` session serves the whole file (it takes 10 to 20 s to start); `--dist loadfile` keeps the file on
one worker. Without pyspark (the `spark` extra) or Java the tests marked `spark` skip, saying which is missing.
"""

from __future__ import annotations

import dataclasses
import csv
import datetime as dt
import io
import json
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from connectors.encoding import scan
from hedui.engines.night_engine import SparkEngine
from hedui.engines.spark_rules import SparkRules
from hedui.engines.spark_session import spark_missing, start_spark
from hedui.engines.spark_sql import to_spark
from hedui.engines.spark_tables import ParquetHandover
from hedui.engines.spark_temp_queries import SparkQueryFailed, SparkTempQueries
from hedui import stages
from hedui.night import run_night
from hedui.rules.catalog import load_catalog
from hedui.rules.engine import RuleExecutionError, evaluate_rules
from hedui.rules.shared_definitions import install_rule_macros
from hedui.run_info import RunInfo
from hedui.warehouse import migrate
from matching import review_decisions
from matching.blocking import build_candidates
from matching.frequencies import term_frequencies
from matching.id_path import id_path
from matching.namesakes import known_people
from matching.profiles import fuzzy_profiles
from matching.records import collect_records, prepare_members
from matching.scoring import score_in_chunks
from matching.settings import settings_from_run
from matching.temp_tables import CANDIDATES, ID_HITS, MEMBERS, NAME_TF, PLACE_SHARE, PROFILES, SCORED
from tests.conftest import read_sample_rows, write_csv

AS_OF = dt.date(2026, 11, 3)  # the tiny demo's as-of date (tests/conftest.py, tiny_demo)
NIGHT_2 = AS_OF + dt.timedelta(days=1)

# alerts.warnings as both engines' nights are compared: every column but the run ids, the evidence as its text
WARNINGS = """
select * exclude (raised_run_id, updated_run_id) replace (cast(evidence as varchar) as evidence)
from alerts.warnings
order by warning_id
"""

HITS = """
select rule_code, subject_key, household_id, person_id, county, township, person_name, summary_zh,
    cast(evidence as varchar) as evidence, evidence_fingerprint
from _hedui_rule_hits
order by rule_code, subject_key
"""


# The test session's JVM compiles with C1 only and collects garbage on one thread. A night's rules on the tiny city
# are a few hundred short queries on a few thousand rows: the C2 compiler and parallel GC threads spend more than
# they save there (measured on 2 cores: the JVM's CPU for the night 58 s with Java's defaults, 29 s with these).
# A province's session keeps Java's defaults, which pay off on long queries over millions of rows.
SMALL_DATA_JVM = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    missing = spark_missing()
    if missing:
        pytest.skip(f"the spark tests need pyspark and Java: {missing}")
    session = start_spark("local[1]", work_dir=tmp_path_factory.mktemp("spark-work"), conf=SMALL_DATA_JVM)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def city_warehouse(tiny_demo) -> Path:
    home, done = tiny_demo
    assert done.returncode == 0, done.stderr
    return home / "hedui.duckdb"


def _copy(warehouse: Path, folder: Path) -> duckdb.DuckDBPyConnection:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(warehouse, folder / "hedui.duckdb")
    return duckdb.connect(str(folder / "hedui.duckdb"))


def _run(con) -> RunInfo:
    (run_id,) = con.execute("select max(run_id) from ledger.runs where as_of = ?", [AS_OF]).fetchone()
    return RunInfo(run_id, AS_OF)


@pytest.fixture(scope="module")
def nights(spark, tiny_demo, city_warehouse, tmp_path_factory) -> dict[str, dict]:
    """The tiny demo's DuckDB night, and the same landing zone and as-of date run again with the rules on Spark:
    `run_night(..., spark=SparkEngine(...))`, what `hedui nightly --engine spark` runs (it joins the module's
    session). Each night's warnings (run ids aside, evidence as text), list wording, rule statistics and outcome.
    The rules run on Spark once for the file: that is most of its time."""
    home, _ = tiny_demo
    result = run_night(home / "city" / "landing", tmp_path_factory.mktemp("spark-night") / "hedui.duckdb", AS_OF,
                       deliver=False, spark=SparkEngine("local[1]"))
    tables = {"duckdb": _night_tables(city_warehouse, AS_OF), "spark": _night_tables(result.warehouse, AS_OF)}
    tables["spark"]["result"] = result
    return tables


def _night_tables(warehouse: Path, as_of: dt.date) -> dict:
    """What a night left that both engines must leave alike: its warnings (run ids aside, evidence as text) and
    their columns, the lists' wording, the links and the linkage review rows, the rule statistics and the outcome
    of the night of `as_of`."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        warnings = con.execute(WARNINGS)
        return {
            "warnings": warnings.fetchall(),
            "columns": [d[0] for d in warnings.description],
            "texts": con.execute("select * from alerts.list_texts order by all").fetchall(),
            "links": con.execute("select * from linked.links order by all").fetchall(),
            "review": con.execute("select * from linked.link_review order by all").fetchall(),
            "stats": json.loads(con.execute("select stats from alerts.rule_runs where as_of = ?",
                                            [as_of]).fetchone()[0]),
            "outcome": con.execute("select outcome from ledger.runs where as_of = ?", [as_of]).fetchone()[0],
            "ingest": _ingested(con),
            "validations": _validation_results(warehouse, con, as_of),
        }
    finally:
        con.close()


# what the ingest left, every column but the run ids: the staged tables, the quarantine (rows with their reasons,
# flags), the columns beyond a declaration, and each delivery's fate and counts
INGEST_SCHEMAS = ("staged", "quarantine", "raw")


def _ingested(con) -> dict[str, list]:
    tables = con.execute("select schema_name, table_name, list(column_name order by column_index) from duckdb_columns()"
                         " where schema_name in ('staged', 'quarantine', 'raw') group by all order by all").fetchall()
    tables.append(("ledger", "deliveries", [c for (c,) in con.execute(
        "select column_name from duckdb_columns() where schema_name = 'ledger' and table_name = 'deliveries'"
        " order by column_index").fetchall()]))
    ingested = {}
    for schema, table, columns in tables:
        kept = ", ".join(f'"{c}"' for c in columns if c not in ("run_id", "loaded_run_id"))
        rows = con.execute(f'select {kept} from "{schema}"."{table}" order by all').fetchall()
        ingested[f"{schema}.{table}"] = [tuple(_nan_as_text(value) for value in row) for row in rows]
    return ingested


def _nan_as_text(value):
    """NaN (an area of `nan`, which both engines read as a number) equal to itself, so that rows compare."""
    return "NaN" if isinstance(value, float) and math.isnan(value) else value


def _validation_results(warehouse: Path, con, as_of: dt.date) -> dict[str, tuple]:
    """The night's contract results (hedui.contracts.validate) by file: success, statistics and each expectation's
    result, the batch's random id aside."""
    (run_id,) = con.execute("select max(run_id) from ledger.runs where as_of = ?", [as_of]).fetchone()
    results = {}
    for path in sorted((warehouse.parent / "validations" / run_id).rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for result in data["results"]:
            result["expectation_config"]["kwargs"].pop("batch_id", None)
        results[path.name] = (data["success"], data["statistics"], data["results"])
    return results


def _vehicle_sold_and_bought(night_1: Path, landing: Path) -> None:
    """Night 2's delivery, added to `landing` (a copy of the tiny city's): a vehicle snapshot dated the next day,
    the one in force without the car behind night 1's ASSET_VEHICLE warning (its owner sold it: the warning
    resolves) and with that car under a new plate owned by a member of another active household whom no warning
    names (a new ASSET_VEHICLE warning). Every other warning stays open. Found in night 1's warehouse (the
    warning's evidence names the delivery, file and row), not hard-coded: the city is generated."""
    con = duckdb.connect(str(night_1), read_only=True)
    try:
        household, evidence = con.execute("""
            select household_id, evidence
            from alerts.warnings
            where rule_code = 'ASSET_VEHICLE' and status = 'open'
            order by warning_id
            limit 1
        """).fetchone()
        buyer = con.execute("""
            select members.id_norm, members.person_name
            from staged.members as members
            inner join staged.households as households
                on members.household_id = households.household_id
            where members.id_valid
                and households.status = '在保'
                and households.household_id <> $household
                and members.id_norm not in (select person_id from alerts.warnings where person_id is not null)
            order by members.id_norm
            limit 1
        """, {"household": household}).fetchone()
    finally:
        con.close()
    assert buyer, "the tiny city has a member of another active household whom no warning names"
    [record] = json.loads(evidence)["records"]
    sold_from = landing / record["delivery_id"] / record["file"]
    encoding = scan(sold_from).encoding
    header, *rows = csv.reader(io.StringIO(sold_from.read_bytes().decode(encoding)))
    sold = rows.pop(record["row_number"] - 1)
    assert sold[header.index("号牌号码")] == record["fields"]["号牌号码"]
    bought = list(sold)
    bought[header.index("号牌号码")] = "湘D0N2A1"
    bought[header.index("身份证明号码")], bought[header.index("机动车所有人")] = buyer
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *rows, bought])
    snapshot = landing / "vehicle" / NIGHT_2.strftime("%Y%m%d") / f"vehicle_{NIGHT_2:%Y%m%d}_01.csv"
    snapshot.parent.mkdir(parents=True)
    snapshot.write_bytes(text.getvalue().encode(encoding))


@pytest.fixture(scope="module")
def second_nights(nights, tiny_demo, city_warehouse, tmp_path_factory) -> dict[str, dict]:
    """Each engine's first night (the module's `nights`) followed by a second night on that engine, as of the
    next day, on the city's landing zone plus one vehicle snapshot (`_vehicle_sold_and_bought`): DuckDB after the
    DuckDB night, Spark (the module's session, joined) after the Spark night. The second night evaluates only the
    rules whose inputs changed or that move with the as-of date (the others are carried), so it costs a fraction
    of the first."""
    home, _ = tiny_demo
    base = tmp_path_factory.mktemp("second-night")
    landing = base / "landing"
    shutil.copytree(home / "city" / "landing", landing)
    _vehicle_sold_and_bought(city_warehouse, landing)
    tables = {}
    for engine, night_1 in (("duckdb", city_warehouse), ("spark", nights["spark"]["result"].warehouse)):
        warehouse = base / engine / "hedui.duckdb"
        warehouse.parent.mkdir()
        shutil.copyfile(night_1, warehouse)
        run_night(landing, warehouse, NIGHT_2, deliver=False,
                  spark=SparkEngine("local[1]") if engine == "spark" else None)
        tables[engine] = _night_tables(warehouse, NIGHT_2)
    return tables


@pytest.mark.spark
def test_every_rule_raises_the_same_hits_wording_evidence_and_fingerprints_on_spark(nights):
    columns = nights["duckdb"]["columns"]
    rule_of = columns.index("rule_code")
    duckdb_warnings, spark_warnings = nights["duckdb"]["warnings"], nights["spark"]["warnings"]
    # the tiny city raises every rule of the catalog at least once, so no rule is compared on nothing
    assert {row[rule_of] for row in duckdb_warnings} == {rule.code for rule in load_catalog()}
    assert {"summary_zh", "evidence", "evidence_fingerprint"} <= set(columns)
    for rule in load_catalog():
        ours = [row for row in spark_warnings if row[rule_of] == rule.code]
        assert ours == [row for row in duckdb_warnings if row[rule_of] == rule.code], f"{rule.code} differs on Spark"
    assert len(spark_warnings) == len(duckdb_warnings)


@pytest.mark.spark
def test_evidence_values_spark_would_print_otherwise_are_written_by_duckdb_the_same(spark, city_warehouse,
                                                                                     tmp_path):
    """Doubles of 10⁷ and more (Spark's JSON writes 1.23456785E7), a DECIMAL(14, 2) (Spark writes 12541.3), a sum
    of decimals (DECIMAL(38, 2) on DuckDB, (24, 2) on Spark), dates, a NULL field, an empty list and a quote:
    DuckDB writes the evidence of both engines, so its bytes and fingerprints are equal."""
    [vehicle] = [rule for rule in load_catalog() if rule.code == "ASSET_VEHICLE"]
    rule = dataclasses.replace(vehicle, code="EVIDENCE_VALUES", parameters={}, uses_as_of=False, sql="""
        with members as (
            select * from staged.members
        ),
        households as (
            select * from staged.households
        )
        select
            members.household_id,
            members.id_norm as person_id,
            any_value(households.county) as county,
            any_value(households.township) as township,
            any_value(members.person_name) as person_name,
            '“' || any_value(members.person_name) || '”' as summary_zh,
            to_json(list({
                'big': cast(12345678.5 as double) + members.row_number,
                'third': cast(1 as double) / 3,
                'declared': households.declared_monthly_income,
                'born': members.birth_date,
                'nothing': cast(null as varchar),
                'none_listed': cast([] as varchar[])
            } order by members.record_key)) as evidence_records,
            to_json({
                'declared_total': sum(households.declared_monthly_income),
                'benefit_over_size': any_value(households.monthly_benefit / households.household_size)
            }) as facts
        from members
        inner join households
            on members.household_id = households.household_id
        group by members.household_id, members.id_norm
    """)
    hits = {}
    for engine in ("duckdb", "spark"):
        con = _copy(city_warehouse, tmp_path / engine)
        try:
            spark_rules = SparkRules(spark, tmp_path / engine / "parquet") if engine == "spark" else None
            evaluate_rules(con, _run(con), [rule], spark_rules=spark_rules)
            hits[engine] = con.execute(HITS).fetchall()
        finally:
            con.close()
    assert hits["duckdb"] and hits["spark"] == hits["duckdb"]
    evidence = hits["spark"][0][8]
    assert '"big":1234567' in evidence and "E7" not in evidence and '"nothing":null' in evidence
    assert '"none_listed":[]' in evidence


@pytest.mark.spark
def test_the_project_functions_on_spark_normalise_as_the_warehouse_did(spark, city_warehouse, tmp_path):
    """hd_name_norm, hd_ric_check_char and hd_uscc_valid, registered as Arrow UDFs, give on Spark what DuckDB's
    staging gave (staged.members.person_name_norm, the ID's check character)."""
    con = duckdb.connect(str(city_warehouse), read_only=True)
    try:
        ParquetHandover(spark, tmp_path).hand_over(con, {"staged.members"})
        rows = con.execute("""
            select person_name_norm, substr(id_norm, 18)
            from staged.members
            where id_valid
            order by record_key
        """).fetchall()
    finally:
        con.close()
    assert rows
    on_spark = spark.sql("""
        select hd_name_norm(person_name), hd_ric_check_char(substr(id_norm, 1, 17)), hd_uscc_valid(id_norm)
        from staged__members
        where id_valid
        order by record_key
    """).collect()
    assert [(row[0], row[1]) for row in on_spark] == rows
    assert not any(row[2] for row in on_spark)  # an ID number is no credit code


@pytest.mark.spark
def test_a_division_by_zero_gives_on_spark_what_it_gives_on_duckdb(spark):
    """Infinity, minus infinity, NaN and NULL (Spark's own `/` gives NULL for all four), through the dialect."""
    sql = "select k, a / b as q from (values (1, 1, 0), (2, -1, 0), (3, 0, 0), (4, null, 0), (5, 3, 2)) as t(k, a, b)"
    on_duckdb = duckdb.connect().execute(f"{sql} order by k").fetchall()
    on_spark = [tuple(row) for row in spark.sql(to_spark(f"{sql} order by k").sql).collect()]
    assert [repr(q) for _, q in on_spark] == [repr(q) for _, q in on_duckdb] == ["inf", "-inf", "nan", "None", "1.5"]


@pytest.mark.spark
def test_a_rule_whose_evidence_is_not_to_json_is_refused_on_spark_naming_the_rule(spark, city_warehouse, tmp_path):
    [vehicle] = [rule for rule in load_catalog() if rule.code == "ASSET_VEHICLE"]
    rule = dataclasses.replace(vehicle, sql=vehicle.sql.replace("to_json(evidence_records) as evidence_records",
                                                                "cast(to_json(evidence_records) as varchar)"
                                                                " as evidence_records"))
    con = _copy(city_warehouse, tmp_path)
    try:
        install_rule_macros(con)
        with pytest.raises(RuleExecutionError, match=r"ASSET_VEHICLE\.sql.*evidence_records not built as"):
            evaluate_rules(con, _run(con), [rule], spark_rules=SparkRules(spark, tmp_path / "parquet"))
    finally:
        con.close()


@pytest.mark.spark
def test_a_night_on_spark_leaves_the_lists_statistics_and_outcome_the_duckdb_night_left(spark, nights):
    """Beyond the warnings: the wording of the lists, the rules' statistics (run ids aside) and the night's outcome.
    The module's session is joined by the night, not stopped."""
    duckdb_night, spark_night = nights["duckdb"], nights["spark"]
    # the generated city's mess (a rejected delivery, ...) ends both nights completed_with_problems
    assert spark_night["result"].outcome == duckdb_night["outcome"] == spark_night["outcome"]
    assert spark_night["texts"] == duckdb_night["texts"] and duckdb_night["texts"]
    assert {**spark_night["stats"], "run_id": None} == {**duckdb_night["stats"], "run_id": None}
    assert not spark.sparkContext._jsc.sc().isStopped()


@pytest.mark.spark
def test_a_night_on_spark_types_stages_and_quarantines_every_delivery_as_the_duckdb_night(nights):
    """The ingest's typing and contracts on Spark (`connectors.delivery_reader`, `hedui.contracts.compiled`): the
    staged tables, the quarantined rows with their reasons, the flags and each delivery's counts and fate equal
    the DuckDB night's, and so do the contracts' results (the Data Docs' input)."""
    duckdb_night, spark_night = nights["duckdb"]["ingest"], nights["spark"]["ingest"]
    assert set(spark_night) == set(duckdb_night)
    for table, rows in duckdb_night.items():
        assert spark_night[table] == rows, table
    # the tiny city's mess reaches the quarantine, with reasons, and a year of weekly deliveries is staged
    assert len(duckdb_night["quarantine.rows"]) >= 5 and all(row[-1] for row in duckdb_night["quarantine.rows"])
    assert len(duckdb_night["staged.medical"]) > 300
    assert len(duckdb_night["ledger.deliveries"]) > 50
    assert nights["spark"]["validations"] == nights["duckdb"]["validations"] and nights["duckdb"]["validations"]


def _ingest_one(con, landing: Path, source: str, scratch: Path, spark_queries=None) -> dict[str, list]:
    migrate(con)
    stages.ingest(con, landing, source, RunInfo("hostile", AS_OF), tmp_dir=scratch, results_dir=None,
                  spark_queries=spark_queries)
    return _ingested(con)


def _hostile_landing(root: Path) -> Path:
    """The samples' households and housing, each row repeated with one typed cell made hostile: dates in every
    form the departments (or a spreadsheet) send and some no engine should read, amounts, counts, areas, IDs
    and names as they arrive damaged. Each row keeps a key of its own, so every value reaches the typing."""
    dates = ["2026-11-3", "2026/11/03", "20261103", "2026年11月3日", "2026.11.03", "2026-11-03 00:00:00",
             "2026-11-03 12:30:00", "2026-11-03T08:00:00Z", "2026 11 03", "2026", "2026-11", "+2026-11-03",
             "2026-11-03 BC", "2026-02-30", "1889-12-31", "2201-01-01", "2026-11-03 garbage", "45233", ""]
    numbers = ["1,260.00", "900元", "￥1234", "１２３．５", "1_000", "1.5d", "2F", "1e3", "-0", "12.345",
               "Infinity", "nan", "0x1p3", "1234567890123456", "3.0", "3.5", " 4 ", "四"]
    ids = ["４３０４８２１９６２０３１５１３１３", "4.30482196203151E+17", "430482620315131", "43048219620315131x",
           "430482 19620315 1313", "\u3000430482196203151313", "43048219990230123X", "abc"]
    names = ["\u3000王建国\u3000", "王建國", "ＷＡＮＧ", " ", "李 秀英"]
    landing = root / "landing"
    header, rows = read_sample_rows("households")
    variants = [("申请日期", v) for v in dates] + [("月保障金", v) for v in numbers] + \
        [("家庭人口", v) for v in numbers] + [("户主身份证号", v) for v in ids] + [("户主姓名", v) for v in names]
    hostile = []
    for i, (column, value) in enumerate(variants):
        row = list(rows[0])
        row[header.index("家庭编号")] = f"CN-H-{i:04d}"
        row[header.index(column)] = value
        hostile.append(row)
    write_csv(landing / "households" / "20261103" / "households.csv", header, rows + hostile, encoding="utf-8")
    header, rows = read_sample_rows("housing")
    hostile = []
    for i, (column, value) in enumerate([("建筑面积", v) for v in numbers] + [("登记日期", v) for v in dates]):
        row = list(rows[0])
        row[header.index("不动产单元号")] = f"430482009009GB00099F{i:08d}"
        row[header.index(column)] = value
        hostile.append(row)
    write_csv(landing / "housing" / "20261103" / "housing.csv", header, rows + hostile, encoding="utf-8")
    return landing


@pytest.mark.spark
def test_hostile_cells_are_typed_and_quarantined_on_spark_as_on_duckdb(spark, tmp_path):
    """Where Spark's casts read other texts than DuckDB's (a year alone, `1.5d`, `1_000`, a date with a time or a
    zone), the typing on Spark still loads, quarantines (with the same reasons) and flags what DuckDB does."""
    landing = _hostile_landing(tmp_path)
    queries = SparkTempQueries(spark, tmp_path / "parquet", remove_calls=True)
    for source in ("households", "housing"):
        on_duckdb = _ingest_one(duckdb.connect(), landing, source, tmp_path / "scratch-duckdb")
        on_spark = _ingest_one(duckdb.connect(), landing, source, tmp_path / "scratch-spark", queries)
        for table, rows in on_duckdb.items():
            assert on_spark[table] == rows, (source, table)
        assert len(on_duckdb["quarantine.rows"]) >= 10, source
    assert not list((tmp_path / "parquet").iterdir())  # each hand-over removed once its rows were back


@pytest.mark.spark
def test_a_typing_query_failing_on_spark_names_its_stage_and_source_and_no_value(spark, tmp_path):
    """A session in ANSI mode (a province's cluster default on Spark 4) fails on the first text that does not parse
    as a date: the source fails with the stage and the source named, and none of the delivery's values (IDs, names,
    the unreadable dates) in the message, which goes to the ledger and the log."""
    landing = _hostile_landing(tmp_path)
    queries = SparkTempQueries(spark, tmp_path / "parquet", remove_calls=True)
    spark.conf.set("spark.sql.ansi.enabled", "true")
    try:
        with pytest.raises(SparkQueryFailed) as failed:
            _ingest_one(duckdb.connect(), landing, "households", tmp_path / "scratch", queries)
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "false")
    message = str(failed.value)
    assert message.startswith("ingest.households (typing): query failed on Spark: ")
    header, rows = read_sample_rows("households")
    values = {cell for row in rows for cell in row if len(cell) >= 4} | {"2026-11-03 garbage", "2026年11月3日"}
    assert not [value for value in values if value in message]


@pytest.mark.spark
def test_the_id_join_on_spark_finds_the_pairs_it_finds_on_duckdb(spark, city_warehouse, tmp_path):
    """The linking's ID join (`matching.id_path`) over the tiny city's records and members, on each engine: the
    same (record, member) pairs, methods, name levels and counts of members per record."""
    hits = {}
    for engine in ("duckdb", "spark"):
        con = _copy(city_warehouse, tmp_path / engine)
        try:
            collect_records(con)
            prepare_members(con)
            id_path(con, SparkTempQueries(spark, tmp_path / engine / "parquet") if engine == "spark" else None)
            hits[engine] = con.execute(f"select * from {ID_HITS} order by all").fetchall()
            types = con.execute(f"describe {ID_HITS}").fetchall()
        finally:
            con.close()
        hits[f"{engine} types"] = [(column, data_type) for column, data_type, *_ in types]
    assert hits["spark"] == hits["duckdb"]
    assert hits["spark types"] == hits["duckdb types"]
    methods = {row[4] for row in hits["duckdb"]}
    assert methods == {"exact", "id_normalised"}  # the city's mess: IDs delivered with spaces, lower-case x, ...
    assert len(hits["duckdb"]) > 100


@pytest.mark.spark
def test_a_night_on_spark_links_the_records_the_duckdb_night_links(nights):
    """Issue 15: links are equal. The Spark night's ID join, blocking and fuzzy scoring ran on Spark, its decisions
    on DuckDB; the tiny city has records without a valid ID that only the fuzzy path links, and linkage review
    rows, so both paths are compared on something."""
    assert nights["spark"]["links"] == nights["duckdb"]["links"]
    assert nights["spark"]["review"] == nights["duckdb"]["review"]
    methods = [row[4] for row in nights["duckdb"]["links"]]
    assert {"exact", "id_normalised"} <= set(methods)
    assert methods.count("fuzzy") >= 5
    assert nights["duckdb"]["review"]


def _fuzzy_path(con, spark_queries) -> dict[str, list]:
    """The linking of `matching.link.link_records` up to the scoring, with the ID join, the blocking and the scoring
    on Spark when `spark_queries` is given: the candidate pairs and the scored pairs, each with its column types."""
    cfg = settings_from_run(_run(con))
    collect_records(con)
    prepare_members(con)
    known_people(con, False)
    review_decisions.match_decisions(con)
    id_path(con, spark_queries)
    review_decisions.drop_rejected_id_hits(con)
    term_frequencies(con, cfg)
    fuzzy_profiles(con)
    build_candidates(con, list(cfg["blocking_keys"]), int(cfg["max_block_size"]), spark_queries)
    score_in_chunks(con, spark_queries)
    return {name: (con.execute(f"select * from {table} order by all").fetchall(),
                   [(column, data_type) for column, data_type, *_ in con.execute(f"describe {table}").fetchall()])
            for name, table in (("candidates", CANDIDATES), ("scored", SCORED))}


@pytest.fixture(scope="module")
def fuzzy_paths(spark, city_warehouse, tmp_path_factory) -> dict[str, dict]:
    """The tiny city's fuzzy path up to the scoring on each engine (`_fuzzy_path`)."""
    found = {}
    for engine in ("duckdb", "spark"):
        folder = tmp_path_factory.mktemp(f"fuzzy-{engine}")
        con = _copy(city_warehouse, folder)
        try:
            found[engine] = _fuzzy_path(con, SparkTempQueries(spark, folder / "parquet") if engine == "spark" else None)
        finally:
            con.close()
    return found


@pytest.mark.spark
def test_the_blocking_on_spark_finds_the_candidate_pairs_it_finds_on_duckdb(fuzzy_paths):
    """`matching.blocking`'s one query on Spark: the same (profile, member) pairs, with DuckDB's column types."""
    rows, types = fuzzy_paths["duckdb"]["candidates"]
    assert len(rows) >= 10  # the tiny city's records without a valid ID meet members
    assert fuzzy_paths["spark"]["candidates"] == (rows, types)
    assert types == [("profile_id", "BIGINT"), ("member_rid", "BIGINT")]


@pytest.mark.spark
def test_the_fuzzy_scoring_on_spark_gives_the_levels_and_weights_it_gives_on_duckdb(fuzzy_paths):
    """`matching.scoring` in `mapInPandas` on Spark: every candidate pair with the same levels, weights and score,
    and `SCORED` with the same column types."""
    rows, types = fuzzy_paths["duckdb"]["scored"]
    assert len(rows) == len(fuzzy_paths["duckdb"]["candidates"][0])
    assert fuzzy_paths["spark"]["scored"] == (rows, types)
    assert {row[4] for row in rows} >= {"one_edit", "missing"}  # ID levels: mistyped IDs and none at all


def _every_level(con) -> None:
    """The scoring's input tables, made by hand: seven pairs that between them reach every level of the name,
    birth and address comparisons and every ID level but `exact` (homophones 章/张, one character, a long name
    Jaro–Winkler finds similar, an ID one edit, a transposition and two edits away, none)."""
    con.execute(f"""
        create temp table {MEMBERS} as
        select * from (values
            (1, 'H1', '430482199001011234', '张伟', '19900101', '城关镇', '东村'),
            (2, 'H1', '430482199203054321', '王小明', '19920305', '城关镇', '东村'),
            (3, 'H2', '43048219850707888X', '阿卜杜热合曼买买提', '19850707', '城关镇', null),
            (4, 'H3', '430482200012126666', '李娜', '20001212', '江口乡', '西村'),
            (5, 'H3', '430482197612120017', '刘芳', '19761212', '江口乡', '西村')
        ) as members(member_rid, household_id, id_norm, name_cmp, birth, township, village)
    """)
    con.execute(f"""
        create temp table {PROFILES} as
        select * from (values
            (1, '章伟', '430482199001011235', '19900101', '城关镇', '东村', null),
            (2, '王大明', '430482192903054321', '19290305', '城关镇', '北村', null),
            (3, '阿卜杜热依木买买提', null, null, '城关镇', null, null),
            (4, '李娜', '4304822000121266', null, null, null, null),
            (5, '刘芳', '430482197612120071', '19761212', '城关镇', '东村', null)
        ) as profiles(profile_id, name_cmp, id_cmp, birth, township, village, review_key)
    """)
    con.execute(f"""
        create temp table {CANDIDATES} as
        select * from (values (1, 1), (1, 2), (2, 2), (3, 3), (4, 4), (5, 5), (5, 1)) as pairs(profile_id, member_rid)
    """)
    con.execute(f"create temp table {NAME_TF} as select * from (values ('张伟', 0.01), ('李娜', 0.002))"
                " as frequencies(name_cmp, u)")
    con.execute(f"""
        create temp table {PLACE_SHARE} as
        select * from (values ('城关镇', '东村', 0.1, 0.5), ('城关镇', null, 0.05, 0.5), ('江口乡', '西村', 0.2, 0.4))
            as shares(township, village, u_village, u_township)
    """)


@pytest.mark.spark
def test_every_comparison_level_scores_alike_on_spark_cut_into_batches_of_two_pairs(spark, tmp_path):
    """The levels the tiny city does not reach (homophones, one character, similar names, transposed IDs): the same
    rows on both engines, with Spark handing `mapInPandas` batches of two pairs, so that the homophones found per
    batch are seen to be those found over all pairs at once."""
    scored = {}
    for engine in ("duckdb", "spark"):
        con = duckdb.connect()
        try:
            _every_level(con)
            if engine == "duckdb":
                score_in_chunks(con)
            else:
                spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "2")
                try:
                    score_in_chunks(con, SparkTempQueries(spark, tmp_path / "parquet"))
                finally:
                    spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
            scored[engine] = con.execute(f"select * from {SCORED} order by all").fetchall()
        finally:
            con.close()
    assert scored["spark"] == scored["duckdb"]
    assert {row[5] for row in scored["duckdb"]} == {"exact_norm", "homophone", "one_char", "similar", "different"}
    assert {row[4] for row in scored["duckdb"]} == {"one_edit", "transposition", "two_edits", "different", "missing"}
    assert {row[6] for row in scored["duckdb"]} == {"exact", "one_edit", "different", "missing"}
    assert {row[7] for row in scored["duckdb"]} == {"village", "township", "different", "missing"}


@pytest.mark.spark
def test_after_two_nights_the_warnings_table_is_the_same_on_both_engines(second_nights):
    """Issue 15: two nights with the rules on DuckDB and two with them on Spark leave alerts.warnings equal row for
    row (every column but the run ids), through a second night where a warning opens, one resolves and the rest
    stay open; and the second nights' rule statistics (what was new, stayed, resolved, carried) are equal too."""
    duckdb_night, spark_night = second_nights["duckdb"], second_nights["spark"]
    columns = duckdb_night["columns"]
    assert spark_night["columns"] == columns

    def rows(night, status, **dates):
        return [row for row in night["warnings"] if row[columns.index("status")] == status
                and all(row[columns.index(column)] == day for column, day in dates.items())]

    # the DuckDB pair shows all three, so the comparison covers each
    assert len(rows(duckdb_night, "open", first_raised_on=NIGHT_2)) == 1
    assert len(rows(duckdb_night, "resolved", first_raised_on=AS_OF, resolved_on=NIGHT_2)) == 1
    assert len(rows(duckdb_night, "open", first_raised_on=AS_OF, last_seen_on=NIGHT_2)) >= 10
    per_rule = duckdb_night["stats"]["per_rule"]["ASSET_VEHICLE"]
    assert (per_rule["new"], per_rule["resolved"]) == (1, 1)
    # the vehicle rule ran again on the second night (on Spark for the Spark pair), not carried
    assert "ASSET_VEHICLE" in duckdb_night["stats"]["evaluated_because"]

    assert spark_night["warnings"] == duckdb_night["warnings"]

    # what each rule raised, kept, resolved and carried is the same; why a rule was evaluated is the engine's
    # own: a windowed rule is evaluated for a scope of households on DuckDB, whole on Spark
    def comparable(stats):
        return {key: value for key, value in stats.items()
                if key not in ("run_id", "evaluated_because", "scoped_rules")}

    assert comparable(spark_night["stats"]) == comparable(duckdb_night["stats"])
    assert set(spark_night["stats"]["evaluated_because"]) == set(duckdb_night["stats"]["evaluated_because"])
    assert spark_night["outcome"] == duckdb_night["outcome"]


def test_nightly_refuses_an_unknown_engine_before_touching_the_warehouse(tmp_path):
    from typer.testing import CliRunner

    from hedui.cli import app

    result = CliRunner().invoke(app, ["nightly", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
                                      "--as-of", "2026-11-03", "--no-prefect", "--engine", "sparc"])
    assert result.exit_code == 2
    assert "unknown engine 'sparc': one of duckdb, spark" in result.output
    assert not (tmp_path / "w.duckdb").exists()


def test_without_pyspark_or_java_spark_missing_says_which(monkeypatch, tmp_path):
    """What the spark tests' skip and `--engine spark`'s refusal say."""
    import sys

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    assert "pyspark is not installed" in spark_missing()
    monkeypatch.undo()
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    pytest.importorskip("pyspark", reason="pyspark is not installed (the spark extra): the Java check comes after it")
    assert spark_missing().startswith("no Java runtime")
