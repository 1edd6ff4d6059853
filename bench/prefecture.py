"""Prefecture-scale benchmark: one command, four measurements side by side.

    .venv/bin/python bench/prefecture.py [--profile default|heavy] [--members 300000] [--residents-per-member 16.7]
                                         [--memory-limit 5GB] [--engine duckdb|spark] [--spark-master local[2]]

1. Generates, once and cached under bench/.cache/, a prefecture city: 300,000 household members among
   5,000,000 residents whose department extracts come with the spec's mess (about 3,000,000 housing rows per
   snapshot, 1,500,000 vehicles, 20,000,000 medical settlements over the year in weekly deliveries, 250,000
   disability certificates, 40,000 deaths; and the v2 income sources: about 1,500,000 insured workers' monthly
   contributions in the three-month window among 3,500,000 social insurance records in monthly deliveries,
   1,000,000 monthly pension payments in the window among 1,900,000 benefit payments, 330,000 housing fund
   accounts, 125,000 public payroll rows, 220,000 business registry rows and 24,000 staff roster rows).
   `--profile heavy` is a city of the same size whose people are
   sicker (`hedui.synth.presets.PROFILES`): most households carry a medical warning citing hundreds of
   settlements, a third of members have a major-illness diagnosis, and outreach finds 100,000+ people. It is
   cached apart (bench/.cache/prefecture-heavy/).
2. Measures, each in a fresh process, wall time, CPU time and peak memory of:
   (a) the floor: DuckDB merely counting the rows of every landing file (read_csv; the XLSX through calamine);
   (b) a full nightly run from an empty warehouse;
   (c) a typical next night: one new medical delivery (60,000 rows) and one death delivery, snapshots unchanged;
   (d) a night where every snapshot is redelivered with 1% of its rows changed.
3. Prints the table and the ratios (b)/(a), (c)/(b), (d)/(b).

With `--engine spark` it measures (b), (c) and (d) twice, on the same landing zones: on DuckDB alone, then with
the linking's ID join, blocking and fuzzy scoring and the rules stage on Spark
(`run_night(..., spark=SparkEngine(master))`, what `hedui nightly --engine spark` runs; `--spark-master`, default
`local[2]`), and prints both tables and the warnings stage of each night on each engine. The Spark nights'
"warnings" figure includes the session's start (10 to 20 s; the night times it apart, as `spark.start`, before the
linking, whose ID join, blocking and scoring also run on Spark). Every table carries the machine's
load average over the measurements: on shared cores a figure means little without it.

Runs are plain calls of the nightly sequence (`hedui.night.run_night`), without Prefect's temporary API
(its 10–20 s start-up is a constant, not a property of the pipeline), and include the caseworker lists.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tree_memory import TreeMemory  # noqa: E402  (bench/ is not a package)
sys.path.insert(0, str(ROOT))
from hedui.synth.presets import PROFILES  # noqa: E402
CACHE = ROOT / "bench" / ".cache"
LOG_DIR = CACHE  # each measurement's output; main() points it at the profile's cache
AS_OF = dt.date(2026, 11, 20)
NEXT = AS_OF + dt.timedelta(days=1)


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def measure(label: str, code: str, *args: str, log_name: str | None = None) -> dict:
    """Run `code` in a fresh Python process; wall, CPU (user + system) and peak RSS of that process and the children
    it waited for (a local Spark session's JVM: CPU summed, peak RSS the larger of the two), the peak of the
    memory the process and all its descendants held at once (PSS summed, sampled each second: `tree_memory`; the
    list writers are not waited for by the night's process, and `wait4`'s peak is one process's, not a sum), and
    the load average before and after."""
    log_path = LOG_DIR / f"{log_name or label.split(')')[0].strip('(')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with open(log_path, "w") as log:  # a file, not a pipe: a full pipe would block the child while we wait
        process = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, env={**os.environ, "HEDUI_QUIET": "1"})
        with TreeMemory(process.pid) as tree:
            _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    output = log_path.read_text(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{label} failed:\n{output[-4000:]}")
    result = {"label": label, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
              "peak_mb": usage.ru_maxrss / 1024, "tree_peak_mb": tree.peak_mib,
              "load": (load_before, os.getloadavg()[0])}
    reported = [line for line in output.splitlines() if line.startswith("BENCH ")]
    if reported:  # a night's stage timings and open warnings
        result.update(json.loads(reported[-1][len("BENCH "):]))
    print(f"  {label}: {wall:.1f} s wall, {result['cpu']:.1f} s CPU, {result['peak_mb']:.0f} MB peak, "
          f"{_mb(result['tree_peak_mb'])} MB all processes at once, "
          f"load average {result['load'][0]:.1f} → {result['load'][1]:.1f}", flush=True)
    return result


GENERATE = """
import datetime as dt, sys
from pathlib import Path
from hedui.synth import generate_city
m = generate_city(Path(sys.argv[1]), members=int(sys.argv[2]), residents_per_member=float(sys.argv[3]),
                  as_of=dt.date.fromisoformat(sys.argv[4]), seed=11, profile=sys.argv[5])
print({k: v for k, v in m.rows_per_source.items()})
"""

FLOOR = """
import sys, tempfile, duckdb
from pathlib import Path
from python_calamine import CalamineWorkbook
from connectors.encoding import scan, to_utf8
con = duckdb.connect(config={"memory_limit": sys.argv[2]})
scratch = Path(tempfile.mkdtemp())
total = 0
for path in sorted(Path(sys.argv[1]).rglob("*")):
    if path.suffix == ".csv":
        # GB18030 cannot be read by DuckDB here at all: its floor includes the streaming transcode.
        readable = to_utf8(path, scan(path).encoding, scratch / "t.csv")
        total += con.execute("select count(*) from read_csv(?, all_varchar=true, header=true, "
                             "strict_mode=false, null_padding=true)", [str(readable)]).fetchone()[0]
    elif path.suffix == ".xlsx":
        total += len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())
print(total)
"""

NIGHT = """
import datetime as dt, json, sys
from pathlib import Path
from hedui.engines.night_engine import SparkEngine
from hedui.night import run_night
spark = SparkEngine(sys.argv[5]) if len(sys.argv) > 5 else None
r = run_night(Path(sys.argv[1]), Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]), memory_limit=sys.argv[4],
              spark=spark)
print(r.outcome, {k: round(v, 1) for k, v in r.timings.items()})
if spark is not None:
    # pyspark keeps a local session's JVM for the life of the process. Ended and waited for here (it exits when its
    # stdin closes), its CPU time and peak memory count in this process's rusage, which measure() reads.
    from pyspark import SparkContext
    gateway = SparkContext._gateway
    if gateway is not None and getattr(gateway, "proc", None) is not None:
        gateway.shutdown()
        gateway.proc.stdin.close()
        gateway.proc.wait(timeout=120)
from hedui.warehouse import open_readonly
con = open_readonly(Path(sys.argv[2]))
open_warnings = con.execute("select count(*) from alerts.warnings where status = 'open'").fetchone()[0]
con.close()
# the rules stage with the Spark session's start, which a Spark night times apart (spark.start)
warnings_s = r.timings.get("warnings", 0.0) + r.timings.get("spark.start", 0.0)
print("BENCH " + json.dumps({"warnings_s": warnings_s, "open_warnings": open_warnings,
                             "timings": {k: round(v, 1) for k, v in r.timings.items()}}))
"""


def generate(city: Path, members: int, residents_per_member: float, profile: str) -> None:
    stamp = city / "bench-params.json"
    params = {"members": members, "residents_per_member": residents_per_member, "as_of": AS_OF.isoformat(),
              "seed": 11, "profile": profile}
    if stamp.exists() and json.loads(stamp.read_text()) == params:
        print(f"city: cached in {city}")
        return
    print(f"city: generating {members:,} members, {int(members * residents_per_member):,} residents …", flush=True)
    measure("generate", GENERATE, str(city), str(members), str(residents_per_member), AS_OF.isoformat(), profile)
    stamp.write_text(json.dumps(params))


def linked_copy(landing: Path, target: Path) -> Path:
    """A new landing zone sharing the files by hard links (instant; symlinks would be refused)."""
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(["cp", "-al", str(landing), str(target)], check=True)
    return target


def _read_csv(path: Path):
    import pandas as pd

    from connectors.encoding import scan

    encoding = scan(path).encoding
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig" if encoding.startswith("utf-8") else encoding)


def in_force_folder(landing: Path, source: str, manifest: dict) -> Path:
    for entry in manifest["deliveries"]:
        if entry["source"] == source and entry["fate"] == "in_force":
            return landing / source / entry["date"].replace("-", "")
    raise LookupError(source)


def add_typical_night(landing: Path) -> None:
    """A new medical delivery of 60,000 settlements and a death delivery, dated the next day."""
    newest = sorted(p for p in (landing / "medical").iterdir() if p.name <= AS_OF.strftime("%Y%m%d"))[-1]
    frames = [_read_csv(f) for f in sorted(newest.glob("*.csv"))]
    import pandas as pd

    medical = pd.concat(frames).head(60_000).copy()
    key = next(c for c in medical.columns if c in ("结算流水号", "结算ID"))
    medical[key] = "N" + NEXT.strftime("%Y%m%d") + medical[key].str[-10:]
    date_col = "结算日期"
    medical[date_col] = NEXT.isoformat()
    original = next((c for c in medical.columns if c == "原结算流水号"), None)
    if original:
        medical[original] = ""
        medical["结算类型"] = "正常"
        for c in medical.columns:
            if c in ("医疗总费用", "统筹基金支付", "大病保险支付", "医疗救助支付", "个人自付", "总费用", "基本医保支付", "个人负担"):
                medical[c] = medical[c].str.replace("-", "", regex=False)
    target = landing / "medical" / NEXT.strftime("%Y%m%d")
    target.mkdir(parents=True, exist_ok=True)
    medical.to_csv(target / "medical.csv", index=False, encoding="utf-8")
    deaths_src = sorted((landing / "death").iterdir())[-2]
    deaths = pd.concat([_read_csv(f) for f in deaths_src.glob("*.csv")])
    target = landing / "death" / NEXT.strftime("%Y%m%d")
    target.mkdir(parents=True, exist_ok=True)
    deaths.to_csv(target / "death.csv", index=False, encoding="utf-8")


CHANGE_COLUMNS = {
    "households": ("申报月收入", "家庭月收入"),
    "members": ("出生日期",),
    "housing": ("建筑面积",),
    "vehicle": ("使用性质",),
    "disability": ("发证日期", "办证日期"),
    "housing_fund": ("缴存基数", "月缴存基数"),
    "public_payroll": ("应发工资", "月应发工资"),
    "business": ("注册资本", "注册资金"),
    "staff_roster": ("关系",),
}


def add_snapshot_redelivery(landing: Path, manifest: dict) -> None:
    """Every snapshot redelivered the next day with 1% of its rows changed (a value column edited)."""
    import numpy as np
    import pandas as pd

    for source, candidates in CHANGE_COLUMNS.items():
        folder = in_force_folder(landing, source, manifest)
        target = landing / source / NEXT.strftime("%Y%m%d")
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(folder.iterdir()):
            if path.suffix == ".csv":
                frame = _read_csv(path)
                header_rows = None
            else:
                raw = pd.read_excel(path, engine="calamine", header=None, dtype=str).fillna("")
                first = next(i for i in range(len(raw)) if any(str(v) in candidates for v in raw.iloc[i]))
                header_rows, frame = raw.iloc[: first + 1], raw.iloc[first + 1 :].copy()
                frame.columns = list(raw.iloc[first])
            column = next(c for c in frame.columns if c in candidates)
            rows = np.random.default_rng(5).choice(len(frame), size=max(1, len(frame) // 100), replace=False)
            if source in ("members",):
                frame.iloc[rows, frame.columns.get_loc(column)] = "1980-01-01"
            elif source == "disability":
                frame.iloc[rows, frame.columns.get_loc(column)] = "2026-11-01"
            elif source == "vehicle":
                frame.iloc[rows, frame.columns.get_loc(column)] = "营运"
            elif source == "staff_roster":
                frame.iloc[rows, frame.columns.get_loc(column)] = "配偶"
            else:
                frame.iloc[rows, frame.columns.get_loc(column)] = "1234"
            if header_rows is None:
                frame.to_csv(target / (path.stem + ".csv"), index=False, encoding="utf-8")
            else:
                pd.concat([header_rows.set_axis(frame.columns, axis=1), frame]).to_excel(
                    target / path.name, index=False, header=False, engine="xlsxwriter")


def print_rows_per_source(manifest: dict) -> None:
    """The city's data rows per source: delivered in all, and in the deliveries a correct run reads (the
    snapshot in force, the event deliveries up to the as-of date)."""
    read = {}
    for entry in manifest["deliveries"]:
        if entry["fate"] in ("in_force", "event"):
            read[entry["source"]] = read.get(entry["source"], 0) + entry["rows"]
    print(f"{'source':<20}{'rows delivered':>16}{'rows read':>14}")
    for source, rows in manifest["rows_per_source"].items():
        print(f"{source:<20}{rows:>16,}{read.get(source, 0):>14,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--residents-per-member", type=float, default=5_000_000 / 300_000)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="default",
                        help="how sick the city is: default, or heavy (many warnings with much evidence)")
    parser.add_argument("--memory-limit", default="5GB", help="DuckDB memory limit for the runs")
    parser.add_argument("--cache", type=Path, default=None,
                        help="where the generated city and the runs live (default bench/.cache/prefecture[-heavy]); "
                             "a city generated with the same parameters there is reused")
    parser.add_argument("--only-generate", action="store_true")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="spark: measure (b)-(d) on DuckDB alone and again with the linking's "
                             "ID join, blocking and scoring and the rules on Spark")
    parser.add_argument("--spark-master", default="local[2]", help="with --engine spark: local[N] or a master URL")
    parser.add_argument("--spark-only", action="store_true",
                        help="with --engine spark: skip the DuckDB nights (to compare masters on one city)")
    args = parser.parse_args()
    if args.spark_only and args.engine != "spark":
        parser.error("--spark-only needs --engine spark")
    if args.cache is None:
        args.cache = CACHE / ("prefecture" if args.profile == "default" else f"prefecture-{args.profile}")
    global LOG_DIR
    LOG_DIR = args.cache

    city = args.cache / "city"
    generate(city, args.members, args.residents_per_member, args.profile)
    manifest = json.loads((city / "truth" / "manifest.json").read_text())
    if args.only_generate:
        print_rows_per_source(manifest)
        return
    work = args.cache / "runs"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    # The landing zones of (c) and (d) share the city's files by hard links. Linking a file changes its ctime,
    # which tells a night that the file may have changed (connectors.digests): link before (b), as a real landing
    # zone's old files stay untouched between nights.
    typical_landing = linked_copy(city / "landing", work / "landing-typical")
    redelivery_landing = linked_copy(city / "landing", work / "landing-redelivery")

    print("(a) scan floor", flush=True)
    floor = measure("(a) scan floor", FLOOR, str(city / "landing"), args.memory_limit)
    add_typical_night(typical_landing)
    add_snapshot_redelivery(redelivery_landing, manifest)
    engines = (["duckdb"] if not args.spark_only else []) + (["spark"] if args.engine == "spark" else [])
    nights = {engine: measure_nights(engine, city / "landing", typical_landing, redelivery_landing, work / engine,
                                     args.memory_limit, args.spark_master)
              for engine in engines}

    print()
    print_rows_per_source(manifest)
    for engine, (full, typical, redelivery) in nights.items():
        rows = [floor, full, typical, redelivery]
        loads = [load for r in rows for load in r["load"]]
        where = "DuckDB alone" if engine == "duckdb" else f"the linking's joins and scoring and the rules on Spark ({args.spark_master})"
        print()
        print(f"{where}: profile {args.profile}; machine: {os.cpu_count()} cores, DuckDB memory limit "
              f"{args.memory_limit}; load average (1 min) {min(loads):.1f} to {max(loads):.1f}")
        print(f"{'measurement':<24}{'wall s':>10}{'CPU s':>10}{'peak MB':>10}{'all MB':>8}{'open warn.':>12}"
              f"{'warn. s':>9}{'s/100k':>8}")
        for r in rows:
            per_100k = (f"{100_000 * r['warnings_s'] / r['open_warnings']:>8.1f}" if r.get("open_warnings")
                        else f"{'':>8}")
            extra = (f"{r['open_warnings']:>12,}{r['warnings_s']:>9.1f}{per_100k}" if "open_warnings" in r else "")
            print(f"{r['label']:<24}{r['wall']:>10.1f}{r['cpu']:>10.1f}{r['peak_mb']:>10.0f}"
                  f"{_mb(r.get('tree_peak_mb')):>8}{extra}")
        print("peak MB: the largest one process (wait4); all MB: every process of the run at once (PSS summed, "
              "sampled each second)")
        print(f"(b)/(a) = {full['wall'] / floor['wall']:.2f}   target <= 4")
        print(f"(c)/(b) = {typical['wall'] / full['wall']:.3f}  target <= 0.1")
        print(f"(d)/(b) = {redelivery['wall'] / full['wall']:.3f}  target <= 0.5")
    if len(nights) > 1:
        print()
        print("the warnings stage, s (Spark's with its session's start); open warnings equal on both engines:")
        print(f"{'night':<24}{'DuckDB':>10}{'Spark':>10}{'equal':>8}")
        for duck, spark in zip(nights["duckdb"], nights["spark"]):
            same = duck["open_warnings"] == spark["open_warnings"]
            print(f"{duck['label']:<24}{duck['warnings_s']:>10.1f}{spark['warnings_s']:>10.1f}{str(same):>8}")
    (args.cache / "last-result.json").write_text(json.dumps({"floor": floor, **nights}, indent=1))


def measure_nights(engine: str, landing: Path, typical_landing: Path, redelivery_landing: Path, work: Path,
                   memory_limit: str, spark_master: str) -> tuple[dict, dict, dict]:
    """(b), (c) and (d) with the rules stage on `engine`: (c) and (d) each start from a copy of (b)'s warehouse,
    removed once measured."""
    spark = [spark_master] if engine == "spark" else []
    on = "" if engine == "duckdb" else f" on Spark ({spark_master})"
    work.mkdir(parents=True)
    print(f"(b) full run from an empty warehouse{on}", flush=True)
    full = measure("(b) full run", NIGHT, str(landing), str(work / "full" / "hedui.duckdb"), AS_OF.isoformat(),
                   memory_limit, *spark, log_name=f"b-{engine}")

    print(f"(c) typical next night{on}", flush=True)
    (work / "typical").mkdir()
    shutil.copyfile(work / "full" / "hedui.duckdb", work / "typical" / "hedui.duckdb")
    typical = measure("(c) typical night", NIGHT, str(typical_landing), str(work / "typical" / "hedui.duckdb"),
                      NEXT.isoformat(), memory_limit, *spark, log_name=f"c-{engine}")
    # its figures are kept, its warehouse is not: the bench then needs room for three warehouses at once (the
    # full run's, the redelivery's and its working copy), not four; on the heavy city each is about 7 GB
    shutil.rmtree(work / "typical")

    print(f"(d) every snapshot redelivered, 1% changed{on}", flush=True)
    (work / "redelivery").mkdir()
    shutil.copyfile(work / "full" / "hedui.duckdb", work / "redelivery" / "hedui.duckdb")
    redelivery = measure("(d) 1% redelivery", NIGHT, str(redelivery_landing), str(work / "redelivery" / "hedui.duckdb"),
                         NEXT.isoformat(), memory_limit, *spark, log_name=f"d-{engine}")
    shutil.rmtree(work / "redelivery")
    return full, typical, redelivery


if __name__ == "__main__":
    main()
