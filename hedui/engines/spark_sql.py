"""The project's sqlglot dialect for Spark 3.3, and the check that a query stays inside the portable subset.

sqlglot alone is not enough: a feasibility probe (issue 15) transpiled every rule from DuckDB to Spark without a
warning, and none ran as transpiled; worse, several differences changed results silently (an ordered `list()`
lost its order, ages came out a year low, a full-width space stopped being trimmed). `HeduiSpark33` is sqlglot's
Spark dialect with those differences rewritten, each a small named transform over the syntax tree
(`hedui.engines.spark_rewrites.REWRITES`, each docstring saying what DuckDB does and why the plain transpilation
differs), applied to the whole tree before the Spark text is generated, like Splink's `customspark` dialect.

`to_spark(sql, parameters)` is the whole way from a DuckDB query of the project to Spark 3.3 text: parse,
expand the macros (`hedui.engines.macros`), bind the parameters as literals (Spark 3.3 has no parameter markers),
rewrite, generate. `spark_problems(sql)` says what in a query is outside the portable subset: a construct no
rewrite keeps equal (`NotPortable`), something sqlglot cannot generate for Spark, or a function that is neither
a Spark 3.3 built-in (`spark_builtins.txt`) nor one of the project's vectorised functions (`PROJECT_FUNCTIONS`).

What Spark must be told (`SPARK_SESSION_SETTINGS`): the rewrites of `try_strptime` rely on a failed parse being
NULL, which is Spark's behaviour with ANSI mode off and the CORRECTED time parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.errors import ErrorLevel, SqlglotError, UnsupportedError

from hedui.engines.macros import Macro, expand_macros, project_macros
from hedui.engines.spark_rewrites import NotPortable, rewrite_for_spark

__all__ = ["HeduiSpark33", "NotPortable", "SparkQuery", "to_spark", "tree_to_spark", "spark_problems",
           "unknown_functions", "functions_called", "spark_builtins", "bind_parameters", "parse_duckdb", "SPARK_SESSION_SETTINGS",
           "PROJECT_FUNCTIONS"]

SPARK_SESSION_SETTINGS = {
    # a value that does not parse is NULL (DuckDB's try_strptime / try_cast), not a failed query
    "spark.sql.ansi.enabled": "false",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    # TIMESTAMP is a wall-clock time, as DuckDB's is, when the session's zone is fixed (China keeps no summer time)
    "spark.sql.session.timeZone": "Asia/Shanghai",
}

# The project's own functions, Arrow-vectorised Python over library code (connectors/normalise.py). They are no
# SQL: the Spark engine registers the same Python as Arrow (pandas) UDFs, as issue 15 plans for the name
# normalisation.
PROJECT_FUNCTIONS = {
    "hd_ric_check_char": "connectors.normalise.ric_check_char (ISO 7064 MOD 11-2 check character)",
    "hd_name_norm": "connectors.normalise.name_norm (OpenCC, NFKC)",
    "hd_uscc_valid": "connectors.normalise.uscc_valid (python-stdnum)",
}

# words that are followed by "(" in Spark SQL without being a function call
_SYNTAX_WORDS = {
    "as", "in", "exists", "cast", "try_cast", "values", "over", "filter", "where", "and", "or", "not", "on",
    "using", "select", "from", "join", "when", "then", "else", "case", "by", "with", "having", "is", "between",
    "like", "rlike", "union", "all", "distinct", "except", "intersect", "lateral", "view", "table", "within",
    "group", "partition", "order", "set", "into", "if", "any", "some",
}


@dataclass
class SparkQuery:
    """A query transpiled for Spark 3.3: its text, and what a reviewer must know about it (`flags`)."""
    sql: str
    flags: list[str] = field(default_factory=list)


class HeduiSpark33(Spark):
    """sqlglot's Spark dialect with the project's rewrites applied before any Spark text is generated."""

    class Generator(Spark.Generator):
        # Spark 3.3 has one timestamp type (TIMESTAMP_NTZ was taken out of the 3.3 release, SPARK-38813); DuckDB's
        # TIMESTAMP is a wall-clock time, which Spark's TIMESTAMP is in the session time zone
        # (SPARK_SESSION_SETTINGS), so dates and months computed through it are the same.
        TYPE_MAPPING = {
            **Spark.Generator.TYPE_MAPPING,
            exp.DataType.Type.TIMESTAMPNTZ: "TIMESTAMP",
            exp.DataType.Type.TIMESTAMPLTZ: "TIMESTAMP",
        }

        def generate(self, expression: exp.Expr, copy: bool = True) -> str:
            tree = expression.copy() if copy else expression
            # what the rewrites noted about the last query generated (SparkQuery.flags)
            self.hedui_flags: list[str] = []
            return super().generate(rewrite_for_spark(tree, self.hedui_flags), copy=False)


# ----------------------------------------------------------------------------------------------------------------
# From a DuckDB query of the project to Spark text, and what is not portable in it.


def parse_duckdb(sql: str, macros: dict[str, Macro] | None = None) -> exp.Expr:
    """The query's syntax tree, with the project's macros expanded."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return expand_macros(tree, project_macros() if macros is None else macros)


def bind_parameters(tree: exp.Expr, values: dict[str, Any]) -> exp.Expr:
    """Every `$name` replaced by its value as a SQL literal (lists as arrays). Spark 3.3 takes no parameters,
    so the values are bound into the tree, quoted by sqlglot, never pasted into text."""
    def bind(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in values:
                raise KeyError(f"no value for the parameter ${node.name}")
            return _literal(values[node.name])
        return node
    return tree.transform(bind, copy=False)


def _literal(value: Any) -> exp.Expr:
    """A Python value as DuckDB binds it: a float is a DOUBLE (a bare `1.5` would be a DECIMAL on Spark, and
    arithmetic and printing would follow decimal rules), a list an array of such literals."""
    if isinstance(value, float):
        return exp.Cast(this=exp.convert(value), to=exp.DataType.build("double"))
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[_literal(item) for item in value])
    return exp.convert(value)


def to_spark(sql: str, parameters: dict[str, Any] | None = None, *, pretty: bool = False) -> SparkQuery:
    """The Spark 3.3 text of a DuckDB query of the project (macros expanded, parameters bound, rewritten).

    Raises NotPortable for a construct outside the portable subset, and sqlglot's UnsupportedError for anything
    its Spark generator cannot express."""
    return tree_to_spark(parse_duckdb(sql), parameters, pretty=pretty)


def tree_to_spark(tree: exp.Expr, parameters: dict[str, Any] | None = None, *, pretty: bool = False) -> SparkQuery:
    """`to_spark` of a query already parsed (`parse_duckdb`), for a caller that changes the tree first (the Spark
    rule engine returns a rule's evidence as typed values, not JSON). The tree is consumed."""
    if parameters is not None:
        tree = bind_parameters(tree, parameters)
    generator = HeduiSpark33().generator(pretty=pretty, unsupported_level=ErrorLevel.RAISE)
    text = generator.generate(tree, copy=False)
    return SparkQuery(text, generator.hedui_flags)


@cache
def spark_builtins() -> frozenset[str]:
    """The names of Spark 3.3's built-in functions (spark_builtins.txt)."""
    text = (files("hedui.engines") / "spark_builtins.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def functions_called(spark_sql: str) -> set[str]:
    """The names called as functions in Spark SQL text: every word followed by '(' that is not SQL syntax."""
    tokens = sqlglot.tokenize(spark_sql, read="spark")
    called = set()
    for previous, token, following in zip([None, *tokens], tokens, [*tokens[1:], None]):
        if following is None or following.token_type != sqlglot.TokenType.L_PAREN:
            continue
        if token.token_type in (sqlglot.TokenType.STRING, sqlglot.TokenType.NUMBER, sqlglot.TokenType.L_PAREN,
                                sqlglot.TokenType.R_PAREN, sqlglot.TokenType.COMMA):
            continue
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token.text):
            continue
        if previous is not None and previous.text.lower() == "as":
            continue  # an alias with column names: AS months(month)
        if token.text.lower() not in _SYNTAX_WORDS:
            called.add(token.text.lower())
    return called


def unknown_functions(spark_sql: str) -> set[str]:
    """The functions `spark_sql` calls that are neither Spark 3.3 built-ins nor the project's own."""
    return functions_called(spark_sql) - spark_builtins() - set(PROJECT_FUNCTIONS)


def spark_problems(sql: str, parameters: dict[str, Any] | None = None) -> list[str]:
    """What in a DuckDB query of the project is outside the portable subset, in words (empty: portable)."""
    try:
        query = to_spark(sql, parameters)
    except NotPortable as exc:
        return [str(exc)]
    except UnsupportedError as exc:
        return [f"sqlglot cannot write it for Spark: {exc}"]
    except SqlglotError as exc:
        return [f"does not parse as DuckDB SQL: {str(exc).splitlines()[0]}"]
    return [f"{name}(): not a Spark 3.3 built-in function" for name in sorted(unknown_functions(query.sql))]
