"""`hedui`: the command line of the verification center's nightly pipeline.

Every command prints counts and paths, never names or ID numbers.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

app = typer.Typer(
    help="hedui (核对): links department extracts to social-assistance households and raises early warnings.",
    no_args_is_help=True,
    add_completion=False,
)
outcome_app = typer.Typer(help="Record caseworker outcomes for warnings (one, or a filled-in list).", no_args_is_help=True)
calendar_app = typer.Typer(help="The official working-day calendar used for due dates.", no_args_is_help=True)
app.add_typer(outcome_app, name="outcome")
app.add_typer(calendar_app, name="calendar")
console = Console()

DEFAULT_DEMO_DIR = Path("demo")

WarehouseOpt = Annotated[Path, typer.Option("--warehouse", "-w", help="The DuckDB warehouse file.")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="As-of date YYYY-MM-DD (default: today in Asia/Shanghai).")]
PolicyOpt = Annotated[Optional[Path], typer.Option("--policy", help="Policy file (default: policy.yaml of the repository).")]


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {text}") from None


def _policy(path: Path | None):
    from hedui.policy import PolicyError, load_policy

    try:
        return load_policy(path)
    except PolicyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


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
) -> None:
    """Run the nightly flow: ingest every source, link, raise warnings, publish, deliver lists."""
    from hedui.landing import LandingZoneUnusable
    from hedui.night import run_night
    from hedui.stages import AsOfBeforeLatestRun
    from hedui.warehouse import WarehouseBusy

    kwargs = dict(as_of=_date(as_of), policy=_policy(policy), outputs=outputs, wait_seconds=wait,
                  memory_limit=memory_limit)
    try:
        if prefect:
            from flows.nightly import nightly as nightly_flow

            result = nightly_flow(landing=str(landing), warehouse=str(warehouse), as_of=as_of,
                                  policy=str(policy) if policy else None, outputs=str(outputs) if outputs else None,
                                  wait_seconds=wait, memory_limit=memory_limit)
        else:
            result = run_night(landing, warehouse, progress=lambda m: console.print(f"[dim]{m}[/dim]"), **kwargs)
    except (WarehouseBusy, AsOfBeforeLatestRun) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from None
    except LandingZoneUnusable as exc:
        console.print(f"[red]night not run: {exc}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(4) from None
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
            outputs=None, prefect=prefect, wait=0.0, memory_limit=None)


@app.command()
def lists(
    warehouse: WarehouseOpt,
    out: Annotated[Path, typer.Option(help="Folder for the .xlsx lists.")] = Path("lists"),
    as_of: AsOfOpt = None,
) -> None:
    """Write the per-township caseworker lists (.xlsx) and the county's unrouted outreach list."""
    from hedui.deliver.lists import write_township_lists
    from hedui.warehouse import open_readonly

    con = open_readonly(warehouse)
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
    from hedui.deliver.report import HouseholdNotFound, render_household_report
    from hedui.deliver.report_font import ReportFontMissing
    from hedui.policy import PolicyError
    from hedui.warehouse import open_readonly

    city_policy = _policy(policy)
    con = open_readonly(warehouse)
    try:
        as_of = con.execute("select max(as_of) from ledger.runs").fetchone()[0]
        paths = render_household_report(con, household_id, out, as_of, policy=city_policy, show_full_ids=full_ids)
    except (HouseholdNotFound, ReportFontMissing, PolicyError) as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    finally:
        con.close()
    for path in paths:
        console.print(str(path))


def _write(warehouse: Path, fn):
    """Outcomes change the warehouse: the same lock and atomic publication as a nightly run."""
    from hedui.stages import new_run_id
    from hedui.warehouse import working_copy

    with working_copy(warehouse, "outcome-" + new_run_id(dt.date.today()), wait_seconds=30) as con:
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
        console.print(f"[red]{exc}[/red]", highlight=False)
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
    from hedui.rules.outcomes import OutcomeError, correct_outcome

    try:
        canonical = _write(warehouse, lambda con: correct_outcome(con, warning_id, outcome, reason, corrected_by=by))
    except OutcomeError as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    console.print(f"corrected {warning_id} to {canonical}")


@outcome_app.command("import")
def outcome_import(
    file: Annotated[Path, typer.Argument(help="A filled-in caseworker list (.xlsx).")],
    warehouse: WarehouseOpt,
) -> None:
    """Import the outcomes of a filled-in caseworker list; rows that cannot be applied are listed.

    Exit code 0 when every filled-in row was applied (or had been already), 1 when any row was not applied
    (the others are), 2 when the file cannot be read as a caseworker list."""
    from hedui.rules.outcomes import OutcomeError, import_outcomes

    try:
        report_ = _write(warehouse, lambda con: import_outcomes(con, file))
    except OutcomeError as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    console.print(str(report_), highlight=False)
    if not report_.complete:
        console.print(f"[red]{len(report_.problems)} row(s) not applied: correct them in the list and import it"
                      " again (rows already applied are left as they are)[/red]", highlight=False)
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
    from hedui.warehouse import open_readonly

    con = open_readonly(warehouse)
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
    from flows.deployment import NoPrefectApi, serve_nightly

    try:
        serve_nightly(landing=landing, warehouse=warehouse, cron=cron)
    except NoPrefectApi as exc:
        console.print(f"[red]{exc}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":  # pragma: no cover
    app()
