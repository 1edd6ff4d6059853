"""What every column of the `linked` schema means, as DuckDB comments an analyst reads with `describe` or
`select * from duckdb_columns()`.

The linking stage (re)creates its tables with `create or replace table`, which drops comments, so
`comment_linked_tables` is called at the end of every linking stage. `tests/test_warehouse_comments.py`
fails when a column of `linked` has no comment here.
"""

from __future__ import annotations

from connectors.comments import comment_statements, execute_comments

_LINK = {
    "source": "Department source of the record: housing, vehicle, medical, disability, death or households (the head's record)",
    "record_key": "Key of the record in staged.<source> (join on source and record_key)",
    "person_id": "18-character ID (id_norm) of the household member the record is linked to",
    "household_id": "家庭编号 of that member's household",
    "method": "exact (the ID as delivered equals the member's), id_normalised (equal once cleaned: spaces, "
              "full-width digits, lower-case x, 15-digit IDs) or fuzzy (no valid ID: name, ID digits, birth "
              "date and address scored), or review (a reviewer decided 同一人: linked.review_links says who and when)",
    "score": "Fellegi–Sunter match weight in bits, the sum of weights (fuzzy only; NULL on the ID path)",
    "id_level": "ID comparison: exact or id_normalised on the ID path; fuzzy: exact, one_edit, transposition, "
                "two_edits, different or missing",
    "name_level": "Name comparison: exact_norm, homophone, one_char, similar or different",
    "birth_level": "Birth-date comparison (fuzzy only): exact, one_edit, different or missing",
    "address_level": "Address comparison (fuzzy only): village, township, different or missing",
    "weights": "JSON: the weight in bits of each comparison (id, name, birth, address), fuzzy only",
}

COMMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "linked.links": (
        "Department records linked to a household member: one row per linked record",
        _LINK,
    ),
    "linked.link_review": (
        "Candidate pairs waiting for a person's review: in the review band, or ambiguous between members "
        "(one row per candidate member of a record); never linked automatically",
        {**_LINK, "reason": "review_band (score between the review and auto-accept weights) or ambiguous "
                            "(near-equal members, an ID shared by two households, or a name-only record whose "
                            "name someone else with an ID also bears, who may live where the record is)"},
    ),
    "linked.known_people": (
        "Every (comparison name, valid ID, birth date, home) the registers hold: tells whether a name-only "
        "record could belong to someone else",
        {
            "name_cmp": "The name as compared: person_name_norm without its middle dots",
            "id_norm": "A valid 18-character ID borne under that name",
            "birth": "The birth date (YYYYMMDD): the members register's for a member, else the one the ID carries",
            "township": "The township of a home known of the person (a member's household, the address of a "
                        "record held under the ID); NULL when the record gives none that names a known township",
            "village": "The village of that home, when the address names one",
        },
    ),
    "linked.name_frequencies": (
        "How common each name is among the people the registers know (members and the snapshots' people): the "
        "u probability of an exact name match, kept by the last linking that measured it (matching.frequencies)",
        {
            "name_cmp": "The name as compared: person_name_norm without its middle dots",
            "u": "Share of the known people who bear the name, smoothed towards the policy's prior "
                 "(tf_prior_population, name_prior_frequency)",
        },
    ),
    "linked.place_shares": (
        "How many of the members live in each village and township: the u probabilities of the address "
        "comparison, kept by the last linking that measured them (matching.frequencies)",
        {
            "township": "乡镇街道 of the members' households",
            "village": "村社区 of the members' households (NULL when the household names none)",
            "u_village": "Share of the members living in the village, smoothed towards village_prior_share",
            "u_township": "Share of the members living in the township, smoothed towards township_prior_share",
        },
    ),
    "linked.link_state": (
        "What the links were computed from (snapshot checksums, matching policy, code version)",
        {
            "inputs_key": "sha256 of the snapshots in force, the matching policy, the matching code's "
                          "version and the review decisions in force: when it changes the next night relinks "
                          "every record",
            "incremental": "Whether the last linking linked only the new event deliveries' records",
        },
    ),
    "linked.linked_deliveries": (
        "The event deliveries (and their checksums) whose records are all linked: the next night links only "
        "the records of other deliveries",
        {
            "source": "Event source (medical, death)",
            "delivery_id": "The delivery (<source>/<YYYYMMDD>)",
            "checksum": "Its checksum when its records were linked (a corrected resend relinks everything)",
        },
    ),
}


def comment_linked_tables(con) -> None:
    """Comment every `linked` table that exists, and each of its columns."""
    existing = {f"linked.{name}" for (name,) in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'linked' and database_name = current_database()"
    ).fetchall()}
    statements = [statement
                  for table, (table_comment, columns) in COMMENTS.items() if table in existing
                  for statement in comment_statements(table, table_comment, columns)]
    # one commit for them all (`execute_comments`); linking runs outside a transaction
    con.execute("begin transaction")
    try:
        execute_comments(con, statements)
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
