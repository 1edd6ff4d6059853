"""Value normalisation for staging: SQL macros plus two vectorised functions backed by libraries.

The citizen-ID check character comes from python-stdnum (`stdnum.cn.ric.calc_check_digit`), so does the
check of a unified social credit code (`stdnum.cn.uscc`, GB 32100-2015), and names are converted from traditional to simplified characters by the official OpenCC binding. Both are registered as
DuckDB Arrow functions: DuckDB hands over a column batch, the function works on the batch's *distinct*
values only (pyarrow.compute.unique / index_in), and the results go back as a column. No Python code ever
walks the rows of an extract.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib.resources import files

import duckdb
import opencc
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.cn import ric, uscc

MACROS_SQL = (files("connectors") / "sql" / "macros.sql").read_text(encoding="utf-8")

# Middle dots used in minority names: U+00B7, U+2022, U+30FB, U+2027, U+FF0E, U+FF65 and a full stop.
_DOTS = re.compile("[·•・‧．｡.･]+")
_SPACES = re.compile(r"\s+")
_BATCH_SEPARATOR = "\n"


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _map_distinct(values: pa.Array, convert) -> pa.Array:
    """Apply `convert(list_of_distinct_strings) -> list_of_strings` and spread the results over the batch."""
    distinct = pc.unique(values.drop_null()) if values.null_count else pc.unique(values)
    converted = pa.array(convert(distinct.to_pylist()), type=pa.string())
    return pc.take(converted, pc.index_in(values, value_set=distinct))


def _check_chars(bodies: list[str]) -> list[str | None]:
    # stdnum's calc_check_digit takes the whole number and ignores its last character.
    return [ric.calc_check_digit(b + "0") if len(b) == 17 and b.isdigit() else None for b in bodies]


def ric_check_char(bodies: pa.Array) -> pa.Array:
    """The check character of each 17-digit ID body (NULL where the body is not 17 digits)."""
    return _map_distinct(bodies, _check_chars)


def _normalise_names(names: list[str]) -> list[str]:
    # One call each into unicodedata and OpenCC for the whole batch: joined, converted, split again.
    cleaned = [n.replace(_BATCH_SEPARATOR, " ") for n in names]
    text = unicodedata.normalize("NFKC", _BATCH_SEPARATOR.join(cleaned))
    text = _t2s().convert(text)
    parts = text.split(_BATCH_SEPARATOR)
    if len(parts) != len(names):  # OpenCC never merges lines, but never trust a batch trick blindly
        parts = [_t2s().convert(unicodedata.normalize("NFKC", n)) for n in cleaned]
    return [_SPACES.sub("", _DOTS.sub("·", p)).strip("·") for p in parts]


def name_norm(names: pa.Array) -> pa.Array:
    """Comparison form of a name: NFKC, simplified characters, no spaces, every middle dot as `·`."""
    return _map_distinct(names, _normalise_names)


def _uscc_checks(codes: list[str]) -> list[bool]:
    # stdnum validates the format, the registration authority and the check character; upper-casing first,
    # since departments type the letters in either case.
    return [uscc.is_valid(c.strip().upper()) for c in codes]


def uscc_valid(codes: pa.Array) -> pa.Array:
    """Whether each unified social credit code passes GB 32100-2015 (NULL stays NULL)."""
    distinct = pc.unique(codes.drop_null()) if codes.null_count else pc.unique(codes)
    checked = pa.array(_uscc_checks(distinct.to_pylist()), type=pa.bool_())
    return pc.take(checked, pc.index_in(codes, value_set=distinct))


_FUNCTIONS = (
    ("hd_ric_check_char", ric_check_char, "VARCHAR"),
    ("hd_name_norm", name_norm, "VARCHAR"),
    ("hd_uscc_valid", uscc_valid, "BOOLEAN"),
)


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make the `hd_*` functions and macros available on `con` (idempotent per connection).

    Registering costs about 60 ms and ingest asks once per source, so the connection remembers it in a
    session variable (a new connection, or a new warehouse file opened by one, registers again)."""
    if con.execute("select getvariable('hd_registered') is not distinct from current_database()").fetchall()[0][0]:
        return
    for name, fn, returns in _FUNCTIONS:
        try:
            con.remove_function(name)
        except Exception:  # not registered yet on this connection
            pass
        con.create_function(
            name, fn, [duckdb.sqltype("VARCHAR")], duckdb.sqltype(returns),
            type="arrow", null_handling="special", side_effects=False,
        )
    con.execute(MACROS_SQL)
    con.execute("set variable hd_registered = current_database()")
