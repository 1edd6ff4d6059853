"""`hedui`: the command line of the verification center's nightly pipeline.

Every command prints counts and paths, never names or ID numbers.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from rich.console import Console

def _shown_path(path: object) -> str:
    """A path in a message only when it is plain ASCII: a file named after its contents (Chinese names, ID
    numbers) is personal data."""
    text = str(path) if path else ""
    return text if text and re.fullmatch(r"[A-Za-z0-9_./~:+-]{1,200}", text) and not re.search(r"\d{10}", text) \
        else "(the path given)"


def user_error(exc: BaseException) -> tuple[str, int] | None:
    """The one line (and exit code) for an error that is the user's or the machine's, not a bug: the typed set
    of errors the commands raise, a warehouse file that is not one, and wrong paths and file types. None for
    anything else (a bug keeps its traceback). Messages never repeat data values (`redact_error_text`)."""
    import csv
    import zipfile

    import duckdb

    from flows.deployment import NoPrefectApi
    from hedui.deliver.report import HouseholdNotFound
    from hedui.deliver.report_font import ReportFontMissing
    from hedui.landing import LandingZoneUnusable
    from hedui.night import AsOfRefused
    from hedui.policy import PolicyError
    from hedui.privacy import redact_error_text
    from hedui.review.importing import ReviewImportError
    from hedui.rules.outcomes import OutcomeError
    from hedui.run_info import AsOfBeforeLatestRun
    from hedui.warehouse import SchemaError, WarehouseBusy, WarehouseNameClash
    from hedui.workdays import CalendarFileError

    if isinstance(exc, (WarehouseBusy, AsOfBeforeLatestRun, SchemaError)):
        return str(exc), 3
    if isinstance(exc, LandingZoneUnusable):
        return f"night not run: {exc}", 4
    if isinstance(exc, (HouseholdNotFound, ReportFontMissing, NoPrefectApi, WarehouseNameClash)):
        return str(exc), 2
    if isinstance(exc, (AsOfRefused, PolicyError, OutcomeError, CalendarFileError, ReviewImportError)):
        return redact_error_text(exc), 2
    if isinstance(exc, duckdb.OutOfMemoryException):
        return ("DuckDB ran out of memory within its limit: raise --memory-limit (the default is a quarter of the "
                f"machine's memory, at most 5 GB); nothing was published ({redact_error_text(exc)})"), 2
    if isinstance(exc, duckdb.Error):
        text = str(exc)
        if "Could not set lock" in text or "Conflicting lock" in text:
            return ("the warehouse is in use: another process holds it open for writing (an analyst's read-write "
                    "connection?); try again when it is closed"), 3
        if "WAL" in text:
            return ("a write-ahead log (.wal) beside the warehouse was left by a read-write connection: the next "
                    "nightly run sets it aside (its writes are not kept); see docs/analyst-guide.md"), 3
        if "database does not exist" in text:
            return "no warehouse file there: run `hedui nightly` first, or check --warehouse", 2
        if "not a valid DuckDB database" in text or isinstance(exc, duckdb.SerializationException):
            return "the warehouse file is not a readable DuckDB database (empty, corrupt or another kind of file)", 2
        if isinstance(exc, duckdb.CatalogException):
            return "the file is a DuckDB database but not a hedui warehouse (it has no ledger)", 2
        return f"the warehouse cannot be used: {redact_error_text(exc)}", 2
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        return f"{reason}: {_shown_path(exc.filename)}", 2
    if isinstance(exc, zipfile.BadZipFile) or type(exc).__name__ == "InvalidFileException":
        return "the file given is not a readable .xlsx workbook", 2
    if isinstance(exc, (UnicodeDecodeError, csv.Error)):
        return "the file given is not a readable CSV text file (UTF-8)", 2
    return None


def _one_line_errors(fn):
    """Every command runs inside this: the errors `user_error` knows print one line and exit non-zero; the
    state is safe in every one of them (a run publishes only whole). HEDUI_TRACEBACK=1 shows the traceback."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except Exception as exc:
            known = user_error(exc)
            if known is None or os.environ.get("HEDUI_TRACEBACK"):
                raise
            console.print(f"[red]{known[0]}[/red]", highlight=False, soft_wrap=True)
            raise typer.Exit(known[1]) from None

    return run


class _Typer(typer.Typer):
    """A Typer whose every command is wrapped in `_one_line_errors`: one place, not a try/except per command."""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)
        return lambda fn: register(_one_line_errors(fn))


app = _Typer(
    help="hedui (核对): links department extracts to social-assistance households and raises early warnings.",
    no_args_is_help=True,
    add_completion=False,
)
outcome_app = _Typer(help="Record caseworker outcomes for warnings (one, or a filled-in list).", no_args_is_help=True)
calendar_app = _Typer(help="The official working-day calendar used for due dates.", no_args_is_help=True)
review_app = _Typer(help="The linkage staff's review of uncertain links: export a workbook, import its decisions.",
                    no_args_is_help=True)
app.add_typer(outcome_app, name="outcome")
app.add_typer(review_app, name="review")
app.add_typer(calendar_app, name="calendar")
console = Console()

DEFAULT_DEMO_DIR = Path("demo")

WarehouseOpt = Annotated[Path, typer.Option("--warehouse", "-w", help="The DuckDB warehouse file.")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="As-of date YYYY-MM-DD (default: today in Asia/Shanghai).")]
PolicyOpt = Annotated[Optional[Path], typer.Option("--policy", help="Policy file (default: policy.yaml of the repository).")]


AllowFutureOpt = Annotated[bool, typer.Option(
    "--allow-future-as-of", help="Accept an as-of date more than a few days after today (a trial warehouse).")]


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {text}") from None


def _policy(path: Path | None):
    from hedui.policy import load_policy

    return load_policy(path)  # a PolicyError is one line (`user_error`)


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="Folder to write landing/ and truth/ into.")],
    preset: Annotated[str, typer.Option(help="Size preset: tiny, demo, 100k, 1m.")] = "demo",
    members: Annotated[Optional[int], typer.Option(help="Number of household members (overrides the preset).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and as-of date give the same files.")] = 7,
    as_of: AsOfOpt = None,
) -> None:
    """Generate a synthetic city: a landing zone with every kind of mess the spec lists, and its ground truth."""
    from hedui.night import today_in_city
    from hedui.synth import PRESETS, generate_city

    if preset not in PRESETS and members is None:
        raise typer.BadParameter(f"unknown preset {preset}; choose from {', '.join(PRESETS)}")
    size = members if members is not None else PRESETS[preset]
    size = size if isinstance(size, int) else getattr(size, "members", size)
    manifest = generate_city(out, members=size, seed=seed, as_of=_date(as_of) or today_in_city(),
                             progress=_progress_printer())
    console.print(f"landing zone: {manifest.landing}\nground truth: {manifest.truth}")


def _progress_printer():
    def show(stage: str, done: int, total: int) -> None:
        if os.environ.get("HEDUI_QUIET"):
            return
        console.print(f"  {stage}: {done:,}/{total:,}", highlight=False)

    return show


@app.command()
def nightly(
    landing: Annotated[Path, typer.Option("--landing", "-l", help="The landing zone (LANDING/<source>/<YYYYMMDD>/).")],
    warehouse: WarehouseOpt,
    as_of: AsOfOpt = None,
    policy: PolicyOpt = None,
    outputs: Annotated[Optional[Path], typer.Option(help="Where caseworker lists go (default: beside the warehouse).")] = None,
    prefect: Annotated[bool, typer.Option("--prefect/--no-prefect", help="Run as a Prefect flow (default) or as plain calls.")] = True,
    wait: Annotated[float, typer.Option(help="Seconds to wait if another run holds the warehouse.")] = 0.0,
    memory_limit: Annotated[Optional[str], typer.Option(help="DuckDB memory limit, e.g. 4GB.")] = None,
    allow_future_as_of: AllowFutureOpt = False,
    engine: Annotated[str, typer.Option(help="Where the ingest's typing and contracts, the linking's ID join, "
                                             "blocking and fuzzy scoring and the rules' queries run: duckdb "
                                             "(this machine) or spark (docs/spark.md); the night's outputs are the "
                                             "same.")] = "duckdb",
    spark_master: Annotated[str, typer.Option(help="With --engine spark: local[N] or the cluster's master URL.")
                            ] = "local[2]",
    spark_parquet: Annotated[Optional[Path], typer.Option(
        help="With --engine spark: the folder of the Parquet DuckDB and Spark hand each other, which every "
             "executor must reach (default: the run's scratch folder beside the warehouse).")] = None,
) -> None:
    """Run the nightly flow: ingest every source, link, raise warnings, publish, deliver lists."""
    from hedui.engines.night_engine import SparkEngine, check_engine
    from hedui.night import check_as_of, run_night

    day = _date(as_of)
    if day is not None:
        check_as_of(day, allow_future=allow_future_as_of)  # before Prefect starts a flow run for it
    try:
        check_engine(engine)
    except (ValueError, RuntimeError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    spark = SparkEngine(spark_master, spark_parquet) if engine == "spark" else None
    kwargs = dict(as_of=day, policy=_policy(policy), outputs=outputs, wait_seconds=wait,
                  memory_limit=memory_limit, allow_future_as_of=allow_future_as_of, spark=spark)
    if prefect:
        from flows.nightly import nightly as nightly_flow

        result = nightly_flow(landing=str(landing), warehouse=str(warehouse), as_of=as_of,
                              policy=str(policy) if policy else None, outputs=str(outputs) if outputs else None,
                              wait_seconds=wait, memory_limit=memory_limit, allow_future_as_of=allow_future_as_of,
                              engine=engine, spark_master=spark_master,
                              spark_parquet=str(spark_parquet) if spark_parquet else None)
    else:
        result = run_night(landing, warehouse, progress=lambda m: console.print(f"[dim]{m}[/dim]"), **kwargs)
    _print_result(result)


def _print_result(result) -> None:
    from hedui.deliver.summary import build_run_summary, render_summary_console
    from hedui.warehouse import open_readonly

    con = open_readonly(result.warehouse)
    try:
        render_summary_console(build_run_summary(con, result.run_id), console)
    finally:
        con.close()
    console.print(f"run {result.run_id}: {result.outcome}", highlight=False)
    console.print(f"warehouse: {result.warehouse}", highlight=False, soft_wrap=True)
    if result.outputs:
        console.print(f"lists:     {result.outputs / 'lists'}", highlight=False, soft_wrap=True)
    docs = next((path for path in result.deliverables if path.name == "index.html"), None)
    if docs is not None:
        console.print(f"data docs: {docs}", highlight=False, soft_wrap=True)


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo city and its warehouse.")] = DEFAULT_DEMO_DIR,
    preset: Annotated[str, typer.Option(help="Size preset of the generated city.")] = "demo",
    as_of: AsOfOpt = None,
    prefect: Annotated[bool, typer.Option("--prefect/--no-prefect", help="Run the night as a Prefect flow.")] = True,
) -> None:
    """Generate a demo city and run the nightly flow on it, end to end; prints where everything is."""
    from hedui.night import today_in_city

    day = _date(as_of) or today_in_city()
    city = directory / "city"
    generate(city, preset=preset, members=None, seed=7, as_of=day.isoformat())
    nightly(landing=city / "landing", warehouse=directory / "hedui.duckdb", as_of=day.isoformat(), policy=None,
            outputs=None, prefect=prefect, wait=0.0, memory_limit=None, allow_future_as_of=False)


@app.command()
def lists(
    warehouse: WarehouseOpt,
    out: Annotated[Path, typer.Option(help="Folder for the .xlsx lists.")] = Path("lists"),
    as_of: AsOfOpt = None,
) -> None:
    """Write the per-township caseworker lists (.xlsx) and the county's unrouted outreach list."""
    from hedui.deliver.lists import write_township_lists

    con = _open_readonly(warehouse)
    try:
        day = _date(as_of) or con.execute("select max(as_of) from ledger.runs").fetchone()[0]
        written = write_township_lists(con, out, day)
    finally:
        con.close()
    console.print(f"{len(written)} list(s) in {out}")


@app.command()
def report(
    household_id: Annotated[str, typer.Argument(help="家庭编号 of the household.")],
    warehouse: WarehouseOpt,
    out: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("reports"),
    full_ids: Annotated[bool, typer.Option("--full-ids", help="Show ID numbers in full (default: masked).")] = False,
    policy: PolicyOpt = None,
) -> None:
    """Render the verification report (核对报告) of one household: HTML and a printable PDF.

    The totals are checked against the rules' thresholds under the policy (the same file the nightly takes).
    The household number may be typed in lower case; an unknown one is said so, in words."""
    from hedui.deliver.report import render_household_report

    city_policy = _policy(policy)
    con = _open_readonly(warehouse)
    try:
        as_of = con.execute("select max(as_of) from ledger.runs").fetchone()[0]
        paths = render_household_report(con, household_id, out, as_of, policy=city_policy, show_full_ids=full_ids)
    finally:
        con.close()
    for path in paths:
        console.print(str(path))


def _open_readonly(warehouse: Path):
    """The published warehouse, read-only; one line and exit code 2 when it needs a night to upgrade it first."""
    from hedui.warehouse import SchemaError, open_readonly

    try:
        return open_readonly(warehouse)
    except SchemaError as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None


def _write(warehouse: Path, fn, kind: str = "outcome"):
    """Outcomes and review decisions change the warehouse: the same lock and atomic publication as a nightly
    run."""
    from hedui.run_info import new_run_id
    from hedui.warehouse import working_copy

    with working_copy(warehouse, f"{kind}-" + new_run_id(dt.date.today()), wait_seconds=30) as con:
        return fn(con)


@outcome_app.command("record")
def outcome_record(
    warning_id: Annotated[str, typer.Argument(help="预警编号 (warning_id).")],
    outcome: Annotated[str, typer.Argument(help="confirmed / dismissed / benefit_adjusted (or 属实 / 不属实 / 已调整待遇).")],
    warehouse: WarehouseOpt,
    reason: Annotated[Optional[str], typer.Option(help="Why (required for a dismissal).")] = None,
    by: Annotated[Optional[str], typer.Option(help="Who recorded it (a caseworker code).")] = None,
) -> None:
    """Record one caseworker outcome; later runs respect it."""
    from hedui.rules.outcomes import OutcomeError, record_outcome

    try:
        _write(warehouse, lambda con: record_outcome(con, warning_id, outcome, reason, recorded_by=by))
    except OutcomeError as exc:
        # the warning id given is not repeated (an ID number typed by mistake would be echoed)
        message = str(exc).replace(warning_id, "(the id given)") if warning_id.strip() else str(exc)
        console.print(f"[red]{message}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    console.print(f"recorded {outcome} for {warning_id}")


@outcome_app.command("correct")
def outcome_correct(
    warning_id: Annotated[str, typer.Argument(help="预警编号 (warning_id) of a warning closed by an outcome.")],
    outcome: Annotated[str, typer.Argument(help="The right outcome: confirmed / dismissed / benefit_adjusted (or 属实 / 不属实 / 已调整待遇).")],
    warehouse: WarehouseOpt,
    reason: Annotated[str, typer.Option(help="Why the outcome recorded was wrong (required).")],
    by: Annotated[Optional[str], typer.Option(help="Who corrects it (a caseworker code).")] = None,
) -> None:
    """Correct an outcome recorded by mistake; the one before is kept in alerts.outcome_corrections."""
    from hedui.rules.outcomes import correct_outcome

    canonical = _write(warehouse, lambda con: correct_outcome(con, warning_id, outcome, reason, corrected_by=by))
    console.print(f"corrected {warning_id} to {canonical}")


@outcome_app.command("import")
def outcome_import(
    file: Annotated[Path, typer.Argument(help="A filled-in caseworker list (.xlsx).")],
    warehouse: WarehouseOpt,
) -> None:
    """Import the outcomes of a filled-in caseworker list; rows that cannot be applied are listed.

    Exit code 0 when every filled-in row was applied (or had been already), 1 when any row was not applied
    (the others are), 2 when the file cannot be read as a caseworker list."""
    from hedui.rules.outcomes import import_outcomes

    report_ = _write(warehouse, lambda con: import_outcomes(con, file))  # an OutcomeError is one line, exit 2
    console.print(str(report_), highlight=False)
    if not report_.complete:
        console.print(f"[red]{len(report_.problems)} row(s) not applied: correct them in the list and import it"
                      " again (rows already applied are left as they are)[/red]", highlight=False)
        raise typer.Exit(1)


@review_app.command("export")
def review_export(
    warehouse: WarehouseOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the review workbook.")] = Path("review"),
    policy: PolicyOpt = None,
    include_marked: Annotated[bool, typer.Option(
        "--include-marked", help="Also the items already marked 无法判断 (with their decision).")] = False,
    memory_limit: Annotated[Optional[str], typer.Option(
        help="DuckDB memory limit for finding each item's impact (the rules run on a copy), e.g. 4GB.")] = None,
) -> None:
    """Write the links waiting for review (linked.link_review) as a workbook for the center's linkage staff:
    each record beside its candidate members, each comparison's level and weight, what confirming would do to the
    warnings (those items first), and a decision column. It holds full IDs: keep it on the center's machines."""
    from hedui.review.export import export_review

    path, items = export_review(warehouse, out, _policy(policy), include_marked=include_marked,
                                memory_limit=memory_limit)
    raising = sum(1 for item in items if item.impact_rank == 0)
    changing = sum(1 for item in items if item.impact_rank == 1)
    console.print(f"{len(items)} review item(s), {raising} would raise a warning and {changing} would change one's "
                  f"evidence: {_shown_path(path.parent)}/{path.name}", highlight=False, soft_wrap=True)
    # (the file's name is the fixed label and the as-of date, never a person's: shown even though it is Chinese)


@review_app.command("import")
def review_import(
    file: Annotated[Path, typer.Argument(help="A filled-in review workbook (.xlsx) from `hedui review export`.")],
    warehouse: WarehouseOpt,
    reviewer: Annotated[Optional[str], typer.Option(
        help="Who decided, for the rows whose 核对人 is empty.")] = None,
) -> None:
    """Record the decisions of a filled-in review workbook; every later night applies them while the record is
    unchanged. Exit code 0 when every filled-in row was recorded (or had been), 1 when any row was not (the
    others are), 2 when the file is not a review workbook."""
    from hedui.review.importing import import_review_decisions

    report_ = _write(warehouse, lambda con: import_review_decisions(con, file, reviewer), kind="review")
    console.print(str(report_), highlight=False, markup=False)
    if not report_.complete:
        console.print(f"[red]{len(report_.problems)} row(s) not recorded: correct them in the workbook and import it"
                      " again (rows already recorded are left as they are)[/red]", highlight=False)
        raise typer.Exit(1)


@calendar_app.command("load")
def calendar_load(
    file: Annotated[Path, typer.Argument(help="CSV `date,type` with type 休/班 (or holiday/workday).")],
    warehouse: WarehouseOpt,
) -> None:
    """Load the State Council's holiday list for a year the chinese-calendar package does not know yet."""
    from hedui.workdays import load_calendar_file

    count = _write(warehouse, lambda con: load_calendar_file(con, file))
    console.print(f"loaded {count} calendar day(s)")


@app.command()
def status(warehouse: WarehouseOpt) -> None:
    """The last runs and, for the latest, each source's picture and why a delivery was refused (in Chinese)."""
    from hedui.deliver.status import render_status

    con = _open_readonly(warehouse)
    try:
        render_status(con, console)
    finally:
        con.close()


@app.command()
def serve(
    landing: Annotated[Path, typer.Option("--landing", "-l", help="The landing zone.")],
    warehouse: WarehouseOpt,
    cron: Annotated[str, typer.Option(help="Cron schedule, in Asia/Shanghai time.")] = "0 2 * * *",
) -> None:
    """Serve the nightly deployment with its cron schedule (Asia/Shanghai) on a Prefect server
    (PREFECT_API_URL must point at it, e.g. http://127.0.0.1:4200/api for `prefect server start`)."""
    from flows.deployment import serve_nightly

    serve_nightly(landing=landing, warehouse=warehouse, cron=cron)  # without a Prefect API: one line, exit 2


if __name__ == "__main__":  # pragma: no cover
    app()
