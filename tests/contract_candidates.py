"""Build candidate tables of the shape validate_delivery expects (for the contract tests).

``candidate_columns(source)`` is the exact column list (name, DuckDB type) the contracts expect of the
connector's candidate table; ``make_candidates(con, table, source, rows)`` creates one from dicts, filling
every column not given from a clean row (so a test states only what it breaks).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connectors import SOURCES as DECLARATIONS
from hedui.contracts.authoring import SOURCES

TYPES = {"date": "DATE", "month": "DATE", "amount": "DECIMAL(14,2)", "number": "DOUBLE", "integer": "INTEGER",
         "text": "VARCHAR", "code": "VARCHAR"}

CLEAN = {
    "households": dict(household_id="CN-T-0001", head_name="王建国", head_id="430482196203151313", category="农村低保",
                       status="在保", county="常宁市", township="烟洲镇", village="大坪村", household_size=3,
                       applied_on=date(2021, 4, 6), enrolled_on=date(2021, 5, 10), monthly_benefit=Decimal("1260.00"),
                       declared_monthly_income=Decimal("900.00")),
    "members": dict(household_id="CN-T-0001", person_name="王建国", id="430482196203151313", sex="男",
                    birth_date=date(1962, 3, 15), relation="本人", disability_grade=None),
    "housing": dict(unit_no="430482001001GB00001F00010001", person_name="王建国", id="430482196203151313",
                    co_ownership="共同共有", address="湖南省衡阳市常宁市烟洲镇大坪村3组12号", use_type="住宅",
                    floor_area=96.4, registered_on=date(2009, 6, 18), title_status="现势"),
    "vehicle": dict(plate="湘D3K7Q2", plate_type="小型汽车", vehicle_type="小型轿车", person_name="王磊",
                    id="43048219901123357X", use_nature="非营运", registered_on=date(2025, 12, 30), vehicle_status="正常"),
    "medical": dict(settlement_id="Y20261020000187", settlement_type="正常", original_settlement_id=None,
                    person_name="王建国", id="430482196203151313", care_type="住院", admitted_on=date(2026, 10, 2),
                    discharged_on=date(2026, 10, 19), settled_on=date(2026, 10, 20), institution="常宁市人民医院",
                    diagnosis_code="C34.9", diagnosis_name="支气管和肺恶性肿瘤", total_cost=Decimal("58200.00"),
                    fund_paid=Decimal("33500.00"), critical_illness_paid=Decimal("9800.00"),
                    assistance_paid=Decimal("3000.00"), out_of_pocket=Decimal("11900.00")),
    "disability": dict(cert_no="43048219780130468742", person_name="陈丽华", id=None, sex="女", category="肢体",
                       grade="二级", issued_on=date(2019, 7, 1), cert_status="有效", registered_address="常宁市宜阳街道"),
    "death": dict(id="430482196508022424", person_name="李秀英", died_on=date(2026, 10, 30),
                  deregistered_on=date(2026, 11, 2)),
}


# A clean value per declared type, for a source without a row in CLEAN (a source just declared).
_PLAIN = {"name": "王建国", "id": "430482196203151313", "date": date(2026, 10, 1), "month": date(2026, 10, 1),
          "amount": Decimal("100.00"),
          "int": 1, "number": 1.0}


def clean_row(source: str) -> dict:
    """The clean row of `source`: CLEAN's, or one made from its declaration (first value of a value set)."""
    if source in CLEAN:
        return dict(CLEAN[source])
    return {c.name: c.values[0] if c.values else _PLAIN.get(c.type, f"{c.name}-1")
            for c in DECLARATIONS[source].columns}


# The date of the candidates' delivery (the column the validation adds): the folder `<source>/20261103` the
# tests name. A test of a date after its delivery overrides it or the date.
DELIVERED_ON = date(2026, 11, 3)


def candidate_columns(source: str) -> list[tuple[str, str]]:
    cols: list[tuple[str, str]] = [("file", "VARCHAR"), ("row_number", "BIGINT"), ("delivery_date", "DATE")]
    for c in SOURCES[source].columns:
        if c.kind == "id":
            p = c.id_prefix
            cols += [(f"{p}id_raw", "VARCHAR"), (f"{p}id_norm", "VARCHAR"), (f"{p}id_valid", "BOOLEAN"),
                     (f"{p}id_sci_notation", "BOOLEAN")]
        else:
            cols += [(c.name, TYPES[c.kind]), (c.src, "VARCHAR")]
    return cols


def _raw(v) -> str | None:
    if v is None:
        return None
    return v.isoformat() if isinstance(v, date) else str(v)


def candidate_row(source: str, overrides: dict | None = None) -> dict:
    """A full candidate row: clean values, then ``overrides`` (typed or ``src_*``/``id_*`` keys)."""
    base = clean_row(source)
    overrides = dict(overrides or {})
    for k in list(overrides):
        if k in base:
            base[k] = overrides.pop(k)
    row: dict = {"delivery_date": DELIVERED_ON}
    for c in SOURCES[source].columns:
        v = base.get(c.name)
        if c.kind == "id":
            p = c.id_prefix
            row[f"{p}id_raw"] = v
            row[f"{p}id_norm"] = v.upper() if v and len(v) == 18 else None
            row[f"{p}id_valid"] = bool(v and len(v) == 18)
            row[f"{p}id_sci_notation"] = False if v is None else ("E+" in v.upper())
            if row[f"{p}id_sci_notation"]:
                row[f"{p}id_norm"], row[f"{p}id_valid"] = None, False
        else:
            row[c.name] = v
            row[c.src] = _raw(v)
    row.update(overrides)
    return row


def make_candidates(con, table: str, source: str, rows: list[dict], file: str = "f.csv") -> str:
    cols = candidate_columns(source)
    con.execute(f'CREATE OR REPLACE TABLE {table} ({", ".join(f"{n} {t}" for n, t in cols)})')
    full = []
    for i, r in enumerate(rows, start=1):
        r = candidate_row(source, r)
        r.setdefault("file", file)
        r.setdefault("row_number", i)
        full.append([r.get(n) for n, _ in cols])
    if full:
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in cols)})", full)
    return table
