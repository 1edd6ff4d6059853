"""Precision and recall of the warnings of a nightly run, per rule, against a synthetic city's ground truth.

    .venv/bin/python bench/warning_quality.py --city DIR --warehouse FILE

DIR is a city written by `hedui generate` (its truth/warnings.csv lists the warnings a correct pipeline must
raise at the city's as-of date: rule_code, household_id, person_id); FILE is the warehouse after a nightly run
at that date. A warning matches when rule, household and person agree. Every rule of the truth is scored,
the v2 income and integrity rules (INCOME_ABOVE_STANDARD, INCOME_UNDERDECLARED, ASSET_BUSINESS,
INTEGRITY_PUBLIC_PAYROLL, INTEGRITY_STAFF_RELATIVE) included: a rule that raised nothing (for example because the
warehouse's catalog does not have it) is printed as "no warnings raised", with its recall. Exits 1 when a rule is
below --min (default 0.99) in precision or recall. Prints counts only, no personal data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

QUALITY_SQL = """
with truth as (
    select rule_code, coalesce(household_id, '') as household_id, coalesce(person_id, '') as person_id
    from read_csv($truth, all_varchar = true, header = true)
),
raised as (
    select rule_code, coalesce(household_id, '') as household_id, coalesce(person_id, '') as person_id
    from warehouse.main.warnings
    where status = 'open' and last_seen_on = (select max(as_of) from warehouse.ledger.runs)
),
rules as (
    select rule_code from truth union select rule_code from raised
),
counted as (
    select
        rules.rule_code,
        (select count(*) from truth where truth.rule_code = rules.rule_code) as expected,
        (select count(*) from raised where raised.rule_code = rules.rule_code) as raised,
        (select count(*) from raised join truth using (rule_code, household_id, person_id)
         where raised.rule_code = rules.rule_code) as correct
    from rules
)
select
    rule_code,
    expected,
    raised,
    correct,
    case when raised = 0 then 1.0 else correct / raised end as precision,
    case when expected = 0 then 1.0 else correct / expected end as recall
from counted
order by rule_code
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--city", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--min", type=float, default=0.99)
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute(f"attach '{args.warehouse.as_posix()}' as warehouse (read_only)")
    rows = con.execute(QUALITY_SQL, {"truth": str(args.city / "truth" / "warnings.csv")}).fetchall()
    print(f"{'rule':<30}{'expected':>10}{'raised':>10}{'correct':>10}{'precision':>11}{'recall':>9}")
    failing = []
    for rule, expected, raised, correct, precision, recall in rows:
        if raised == 0 and expected:
            print(f"{rule:<30}{expected:>10}{raised:>10}{correct:>10}{'—':>11}{recall:>9.4f}  no warnings raised")
        else:
            print(f"{rule:<30}{expected:>10}{raised:>10}{correct:>10}{precision:>11.4f}{recall:>9.4f}")
        if precision < args.min or recall < args.min:
            failing.append(rule)
    total = [sum(r[i] for r in rows) for i in (1, 2, 3)]
    print(f"{'ALL':<30}{total[0]:>10}{total[1]:>10}{total[2]:>10}"
          f"{total[2] / max(total[1], 1):>11.4f}{total[2] / max(total[0], 1):>9.4f}")
    if failing:
        print(f"below {args.min}: {', '.join(failing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
