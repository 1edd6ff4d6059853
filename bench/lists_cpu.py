"""CPU seconds the caseworker lists take per 1,000 open warnings, on a published warehouse, in one process.

    nice -n 19 .venv/bin/python bench/lists_cpu.py --warehouse FILE --out DIR [--split]

Writes every list (`write_township_lists`, one worker: a pool's workers are not this process's children, so
their CPU would not be counted) into DIR and prints the CPU seconds (user + system) of this process, DuckDB's
threads included, with the open warnings they held. With --split, it then reads the rows again and writes them
again apart, to show the split between the rows query (selection, wording, sizing: DuckDB) and the workbooks
(xlsxwriter and the loops that feed it), and how much of the workbooks is xlsxwriter's closing (the XML of every
cell, the shared strings, the zip). Prints counts only, no personal data.
"""

from __future__ import annotations

import argparse
import resource
from pathlib import Path

import xlsxwriter

from hedui.deliver import lists
from hedui.deliver.evidence import install_deliver_macros
from hedui.warehouse import open_readonly


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", action="store_true", help="also time the rows query and the workbooks apart")
    args = parser.parse_args()
    con = open_readonly(args.warehouse)
    as_of = con.execute("select max(as_of) from ledger.runs").fetchone()[0]
    rows = con.execute("select count(*) from alerts.warnings where status = 'open'").fetchone()[0]
    install_deliver_macros(con)  # once per connection: not part of the lists' cost

    start = cpu_seconds()
    paths = lists.write_township_lists(con, args.out / "lists", as_of, workers=1)
    spent = cpu_seconds() - start
    print(f"{len(paths)} workbooks, {rows:,} open warnings: {spent:.2f} CPU s, "
          f"{1000 * spent / max(rows, 1):.3f} CPU s per 1,000 warnings")
    if not args.split:
        return
    from hedui.deliver.workbook import write_list_workbook

    start = cpu_seconds()
    con.execute(lists._UNITS_SQL)
    rows_by_unit = [(unit_no, list(unit_rows)) for unit_no, unit_rows in lists._rows_of_units(con)]
    query = cpu_seconds() - start
    closing = [0.0]
    close = xlsxwriter.Workbook.close

    def timed_close(workbook):
        began = cpu_seconds()
        close(workbook)
        closing[0] += cpu_seconds() - began

    xlsxwriter.Workbook.close = timed_close
    start = cpu_seconds()
    for unit_no, unit_rows in rows_by_unit:
        write_list_workbook(args.out / f"split-{unit_no}.xlsx", str(unit_no), unit_rows, [], as_of, "township")
    writing = cpu_seconds() - start
    xlsxwriter.Workbook.close = close
    print(f"rows query {query:.2f} CPU s; workbooks {writing:.2f} CPU s, of which xlsxwriter's closing "
          f"{closing[0]:.2f}")


if __name__ == "__main__":
    main()
