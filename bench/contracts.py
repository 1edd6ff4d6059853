"""Measure validate_delivery, compiled and GX, on synthetic medical candidates:
python bench/contracts.py [rows] [db]"""

from __future__ import annotations

import resource
import sys
import time
from datetime import date


def make(con, n=400_000, table="cand_medical"):
    con.execute(f"""
    CREATE OR REPLACE TABLE {table} AS
    SELECT 'medical_' || (i % 2) || '.csv' AS file, i // 2 + 1 AS row_number,
      'Y' || lpad(i::VARCHAR, 12, '0') AS settlement_id, 'Y' || lpad(i::VARCHAR, 12, '0') AS src_settlement_id,
      CASE WHEN i % 50 = 0 THEN '冲销' ELSE '正常' END AS settlement_type,
      CASE WHEN i % 50 = 0 THEN '冲销' ELSE '正常' END AS src_settlement_type,
      CASE WHEN i % 50 = 0 AND i % 1000 <> 0 THEN 'Y000' ELSE NULL END AS original_settlement_id,
      CASE WHEN i % 50 = 0 AND i % 1000 <> 0 THEN 'Y000' ELSE NULL END AS src_original_settlement_id,
      '张' || (i % 977) AS person_name, '张' || (i % 977) AS src_person_name,
      CASE WHEN i % 20000 = 7 THEN '4.30482197801305E+17' ELSE '4304821978' || lpad((i % 99999999)::VARCHAR, 8, '0') END AS id_raw,
      CASE WHEN i % 20000 = 7 THEN NULL ELSE '4304821978' || lpad((i % 99999999)::VARCHAR, 8, '0') END AS id_norm,
      i % 7 <> 0 AS id_valid, i % 20000 = 7 AS id_sci_notation,
      ['普通门诊','门诊慢特病','住院'][i % 3 + 1] AS care_type, ['普通门诊','门诊慢特病','住院'][i % 3 + 1] AS src_care_type,
      CASE WHEN i % 3 = 2 THEN DATE '2026-10-01' ELSE NULL END AS admitted_on,
      CASE WHEN i % 3 = 2 THEN '2026-10-01' ELSE NULL END AS src_admitted_on,
      CASE WHEN i % 3 = 2 THEN DATE '2026-10-01' + (i % 40)::INT - 3 ELSE NULL END AS discharged_on,
      CASE WHEN i % 3 = 2 THEN '2026-10-xx' ELSE NULL END AS src_discharged_on,
      CASE WHEN i % 30011 = 5 THEN NULL ELSE DATE '2026-01-01' + (i % 320)::INT END AS settled_on,
      CASE WHEN i % 30011 = 5 THEN '2026-13-45' ELSE '2026-01-01' END AS src_settled_on,
      '常宁市人民医院' AS institution, '常宁市人民医院' AS src_institution,
      'C34.9' AS diagnosis_code, 'C34.9' AS src_diagnosis_code, '肺癌' AS diagnosis_name, '肺癌' AS src_diagnosis_name,
      (CASE WHEN i % 50 = 0 THEN -1 ELSE 1 END * (i % 5000 + 1))::DECIMAL(14,2) AS total_cost, (i % 5000 + 1)::VARCHAR AS src_total_cost,
      (CASE WHEN i % 50 = 0 THEN -1 ELSE 1 END * (i % 2000))::DECIMAL(14,2) AS fund_paid, (i % 2000)::VARCHAR AS src_fund_paid,
      0::DECIMAL(14,2) AS critical_illness_paid, '0' AS src_critical_illness_paid,
      0::DECIMAL(14,2) AS assistance_paid, '0' AS src_assistance_paid,
      (CASE WHEN i % 50 = 0 THEN -1 ELSE 1 END * (i % 5000 + 1 - i % 2000))::DECIMAL(14,2) AS out_of_pocket, '1' AS src_out_of_pocket
    FROM range({n}) t(i)""")


def main(argv: list[str]) -> None:
    """Both engines on the same candidates: the compiled one first, so its process has not imported GX."""
    import duckdb

    from hedui.contracts import validate_delivery

    n = int(argv[1]) if len(argv) > 1 else 400_000
    con = duckdb.connect(argv[2] if len(argv) > 2 else ":memory:")
    make(con, n, "bench_candidates")
    answers = {}
    for engine in ("compiled", "compiled", "gx", "gx"):
        t = time.perf_counter()
        r = validate_delivery(con, "medical", "bench_candidates", as_of=date(2026, 11, 3), run_id="bench",
                              delivery_id="medical/bench", results_dir=None, engine=engine)
        total = time.perf_counter() - t
        failures = con.execute(f"SELECT count(*) FROM {r.failed}").fetchall()[0][0]
        answers.setdefault(engine, (r.row_count, r.failed_row_count, failures))
        print(f"{engine:8} rows={r.row_count} failed_rows={r.failed_row_count} failures={failures} "
              f"seconds={total:.2f} max_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} "
              f"validate={r.statistics['seconds_validate']}")
        con.execute(f"DROP TABLE {r.failed}")
    print("same answer" if answers["compiled"] == answers["gx"] else f"DIFFERENT ANSWERS: {answers}")


if __name__ == "__main__":
    main(sys.argv)
