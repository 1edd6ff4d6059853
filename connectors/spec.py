"""Declarations of the department sources: the one place each source's facts are written.

A declaration (`connectors/<source>.py`) holds a source's columns (header in the extract spec, header aliases,
type, requiredness, value set, whether the value is personal data, whether a date may lie after the as-of date,
how the pseudonymous view treats it), its kind (snapshot or event), its record key, whether its records are
linked to household members, the checks of its data contract beyond what the columns say, and the label
caseworkers read for it. Everything else that names a source is derived from these declarations:

- the connector itself (`connectors.ingest`, `connectors.typing_sql`, `connectors.comments`);
- the Great Expectations suites (`hedui.contracts.authoring` writes `data_contracts/<source>.json`) and the
  list of suites the Data Docs show (`hedui.contracts.suites.SOURCES`);
- the link sources and the event sources of the matching (`connectors.derived.link_sources`);
- the labels of the caseworker lists, the evidence wording and the report (`Source.label`);
- the pseudonymous analyst tables (`hedui.privacy.pseudonyms`);
- the sources the rule catalog accepts (`hedui.rules.catalog.SOURCES`) and the synthetic city's delivery lists.

Adding a source is its declaration, its staging SQL (`connectors/sql/<source>.sql`) and its documentation
(docs/internals.md, "Adding a source").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["snapshot", "event"]
ValueType = Literal["text", "name", "id", "date", "month", "amount", "int", "number"]


# The date of a row's delivery (the name of its folder), a column the contract validation adds to the candidates
# (`connectors.delivery_reader`): what a `not_after_delivery` date is checked against.
DELIVERY_DATE = "delivery_date"


@dataclass(frozen=True)
class Column:
    """One column of an extract: its header in the spec, other headers it arrives under, its staged name, and
    what the data contract and the pseudonymous view make of it."""

    header: str
    name: str
    type: ValueType = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    # The values the column may hold (the contract rejects any other); empty: free text.
    values: tuple[str, ...] = ()
    # Personal data beyond names and IDs (which always are): addresses, plates, unit and certificate numbers.
    # A contract's reason never quotes a personal value; the pseudonymous view drops it, or hashes it (`pseudonym`).
    personal: bool = False
    # A date that cannot lie after the date of the row's delivery (the contract's `not_after_delivery`): the
    # department's extract cannot hold a death, a settlement or a registration after the day it was made. Judged
    # against the delivery's date, not the night's as-of date, so that a later night reading the same delivery
    # again (a full recomputation) quarantines the same rows.
    not_after_delivery: bool = False
    # The pseudonymous view replaces the value by a keyed hash of this kind (`household`, `unit`, ...), in a
    # column named after it (`unit_no` -> `unit_pseudo`). Values hashed under the same kind join across tables.
    pseudonym: str | None = None
    # The pseudonymous view keeps only the year of this date (`birth_date` -> `birth_year`).
    year_only: bool = False
    # What the staging SQL does beyond the declared type (said in the staged column's comment).
    note: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)

    @property
    def is_personal(self) -> bool:
        """Names and IDs always are; other columns when declared so."""
        return self.personal or self.type in ("name", "id")

    @property
    def id_prefix(self) -> str:
        """The staged ID columns' prefix: `id` gives `id_raw`, `id_norm`, `id_valid`; `head_id` gives `head_id_*`."""
        return "id" if self.name == "id" else self.name


@dataclass(frozen=True)
class Derived:
    """A column the staging SQL adds to the typed row (not personal data: the pseudonymous view keeps it)."""

    name: str
    comment: str


# Source-specific checks of the data contract, beyond what the columns declare. `column` names the declared
# column whose header and personal-data flag the quarantine reason uses; `when` is (column, value): the check
# applies to rows whose column equals the value.


@dataclass(frozen=True)
class Between:
    """The column's values lie in [min_value, max_value] (`strict_max`: below max_value)."""

    column: str
    rule: str
    min_value: int | None = None
    max_value: int | None = None
    strict_max: bool | None = None
    when: tuple[str, str] | None = None


@dataclass(frozen=True)
class NotBefore:
    """The column's date is not before `other`'s (rows where either is missing pass). `other_label` names `other`
    when it is not a declared column (a contract column, see `Source.contract_columns`)."""

    column: str
    other: str
    other_label: str | None = None
    rule: str = "not_before"


@dataclass(frozen=True)
class NotNull:
    """`target` (default: the column) is not empty, on the rows `when` selects."""

    column: str
    rule: str
    target: str | None = None
    when: tuple[str, str] | None = None


@dataclass(frozen=True)
class IdNormalisable:
    """A delivered ID must read as a citizen ID (spec: a source whose records are useless without it)."""

    column: str
    rule: str = "id_normalisable"


@dataclass(frozen=True)
class LengthEquals:
    column: str
    rule: str
    length: int


@dataclass(frozen=True)
class InSet:
    """`target` (a contract column derived from the column) holds one of `values`."""

    column: str
    rule: str
    target: str
    values: tuple[str, ...]


Check = Between | NotBefore | NotNull | IdNormalisable | LengthEquals | InSet


@dataclass(frozen=True)
class Flag:
    """A finding on a loaded row that keeps the row (`quarantine.flags`): `when` is SQL over the staged row
    (its declared and derived columns), `detail` what the finding means for the rules that read the row."""

    name: str
    when: str
    detail: str


@dataclass(frozen=True)
class IdOnlyLink:
    """A second person a record names, linked to members under its own link source by the ID path only: a
    valid ID in `id` equal to a member's. Named without a valid ID, the person is never linked (no name-only
    guess). The link keeps the record's `record_key`."""

    link_source: str
    name: str  # the declared name column of that person
    id: str  # the declared ID column of that person


@dataclass(frozen=True)
class Source:
    name: str
    # The source's name in the spec (column comments, Data Docs).
    title: str
    # Who delivers it, as caseworkers read it in lists, evidence and reports: 不动产登记（自然资源和规划局）.
    label: str
    kind: Kind
    columns: tuple[Column, ...]
    # The staged columns the record key is made of, and what else to say about it (`record_key` is computed by
    # the staging SQL, `connectors/sql/<source>.sql`).
    key: tuple[str, ...] = ()
    key_note: str = ""
    # Linked to household members by its name and ID column (`members`, the spine, is not).
    linked: bool = True
    # SQL over the staged table giving the address the fuzzy linking compares, if the source has one.
    link_address: str | None = None
    # Columns the staging SQL adds besides `record_key`.
    derived: tuple[Derived, ...] = ()
    # Checks of the data contract beyond what the columns declare, in the order the suite lists them.
    checks: tuple[Check, ...] = ()
    # Columns the contract computes over the candidate rows for its checks (name, DuckDB SQL): GX has no regular
    # expressions or date arithmetic on DuckDB, so `hedui.contracts` evaluates these before validating.
    contract_columns: tuple[tuple[str, str], ...] = ()
    # SQL over the typed row giving the ID to use when the ID column is empty (disability: from the 证号).
    id_fallback: str | None = None
    # Findings on loaded rows that keep them (`quarantine.flags`), beyond the ID and amount flags every source has.
    flags: tuple[Flag, ...] = ()
    # Other people a record names besides its own person (the first name and ID column), linked by ID only.
    id_only_links: tuple[IdOnlyLink, ...] = ()
    # The version of the extract spec that added the source. A landing zone written to an earlier version has
    # no delivery of it: the night reports it `never_delivered` (its data is absent, not "no records") without
    # counting that as a problem of the night, so a v1 landing zone runs as it did.
    spec_version: int = 1

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def staged_table(self) -> str:
        return f"staged.{self.name}"

    @property
    def events_table(self) -> str | None:
        """Every version of every event: a view, `staged_table` (the newest version of each key) with
        `superseded_table` (the others), so that each version is stored once."""
        return f"staged.{self.name}_events" if self.kind == "event" else None

    @property
    def superseded_table(self) -> str | None:
        """The versions of an event source's records that are not their key's newest (resent, corrected,
        refunded): few beside `staged_table`, which holds the newest of each."""
        return f"staged.{self.name}_superseded" if self.kind == "event" else None

    @property
    def name_column(self) -> Column | None:
        return next((c for c in self.columns if c.type == "name"), None)

    @property
    def id_column(self) -> Column | None:
        return next((c for c in self.columns if c.type == "id"), None)
