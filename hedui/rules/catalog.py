"""The rule catalog: one SQL file per rule in `warnings/`, its metadata in a YAML block at the top.

A rule file reads:

    /*---
    code: ASSET_VEHICLE
    title_zh: ...
    ...
    parameters:
      exempt_vehicle_types:
        default: [...]
        description: ...
    output:
      household_id: ...
    ---*/

    with
    ...
    select ... from raised

Loading validates every file and fails loudly, naming the file and the problem: a mistake in a rule must stop
the run rather than silently raise nothing. That includes SQL outside the portable subset (docs/portable-sql.md):
a rule is written once and must give the same result on DuckDB and on Spark 3.3 (hedui.engines.spark_sql).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import duckdb
import yaml

from connectors import SOURCES as DECLARATIONS
from hedui import strict_yaml
from hedui.engines.portability_cache import cached_problems
from hedui.engines.spark_sql import spark_problems
from hedui.income.settings import DEFAULTS as INCOME_DEFAULTS
from hedui.income.settings import RULE_BOUND_SETTINGS

RULES_DIR_ENV = "HEDUI_RULES_DIR"
# the repository's warnings/, shipped in the package as hedui/rule_catalog (docs/internals.md, "Data files")
DEFAULT_RULES_DIR = files("hedui") / "rule_catalog"

CATEGORIES = ("hidden_asset", "hardship", "change_of_circumstance", "outreach", "income", "integrity")
SEVERITIES = ("high", "medium", "low")
LEVELS = ("member", "household", "person")
# The sources a rule may read: every declared source (connectors/<source>.py). A source that never delivered (no
# delivery ever accepted) skips the rules that read it (hedui.rules.engine): it does not read as "no records".
SOURCES = tuple(DECLARATIONS)
REQUIRED_KEYS = ("code", "title_zh", "title_en", "category", "severity", "level", "policy", "sources", "parameters", "output")
OPTIONAL_KEYS = ("raises_on_absence_of", "as_of_grain", "window")
# How a rule's hits depend on the as-of date (`as_of_grain`): not at all (it neither binds $as_of nor reads the
# income model), on the day (the default for a rule that does: a window, an age, a date in its wording), or only
# on the calendar month (the income window). A rule whose inputs and definition are unchanged since its last
# evaluation, and whose as-of grain did not move, keeps its hits without being evaluated again
# (hedui.rules.rule_inputs).
AS_OF_GRAINS = ("day", "month")
# The verified-income model's tables (hedui/income/tables.sql): built from the model's sources with the as-of date
INCOME_MODEL_TABLES = ("income.records", "income.member_months", "income.members", "income.households")
# The warehouse schemas a rule may name a table in; `tables_read` lists the tables a rule's SQL names in them.
_WAREHOUSE_SCHEMAS = ("raw", "staged", "quarantine", "ledger", "linked", "alerts", "ref", "income", "meta")
# In any case, quoted or not (`STAGED.VEHICLE`, `staged."vehicle"`).
_TABLE_NAME = re.compile(r'\b(' + "|".join(_WAREHOUSE_SCHEMAS) + r')\s*\.\s*"?([a-z_][a-z0-9_]*)\b', re.IGNORECASE)
# The income model's table macros (hedui/income/model.sql) read the model's sources as `income.*` does.
_INCOME_MODEL_MACRO = re.compile(r"\b(income_records_of|income_[a-z_]+_from)\s*\(", re.IGNORECASE)
# every rule query returns exactly these columns, in this order
OUTPUT_COLUMNS = (
    "household_id",
    "person_id",
    "county",
    "township",
    "person_name",
    "summary_zh",
    "evidence_records",
    "facts",
)
# parameters the engine binds itself; a rule may use them without declaring them
# (and the list settings of the policy's `income:` section, hedui.income.settings: one value for the whole catalog)
BUILTIN_PARAMETERS = {"as_of": "the run's as-of date (DATE)",
                      **{name: f"income.{name} of the policy" for name in RULE_BOUND_SETTINGS}}

_METADATA = re.compile(r"\A\s*/\*---\s*\n(?P<yaml>.*?)\n\s*---\*/(?P<sql>.*)\Z", re.S)
_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")


class RuleFileError(ValueError):
    """A rule file is malformed; the message names the file and the problem."""


_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Window:
    """A rule's window of one source's records (the `window:` header), which lets a night evaluate the rule only
    for the households whose hits can have changed (hedui.rules.window_scope).

    What the header promises, and the rule's SQL must do: the rule reads `staged.<source>` only through its links
    (linked.links of that source, to members of the households it raises for) and, when `reversals` are declared,
    through the reversals, which act on the records whose `key_column` equals their `reverses_column`, whoever
    those are linked to. A record that is not a reversal counts when its `date_column` is in the window: the
    `length_parameter` days ending on the as-of date, both ends included, or (no length) on or before the as-of
    date. A reversal counts once its date is on or before the as-of date."""

    source: str
    date_column: str
    length_parameter: str | None = None
    reversal_column: str | None = None
    reversal_value: str | None = None
    reverses_column: str | None = None
    key_column: str | None = None

    @property
    def has_reversals(self) -> bool:
        return self.reversal_column is not None


@dataclass(frozen=True)
class Rule:
    code: str
    title_zh: str
    title_en: str
    category: str
    severity: str
    level: str
    policy: str
    sources: tuple[str, ...]
    raises_on_absence_of: tuple[str, ...]
    parameters: dict[str, dict[str, Any]]
    output: dict[str, str]
    sql: str
    path: Traversable = field(compare=False)
    uses_as_of: bool = False
    # the policy's `income:` settings the rule uses ($business_roles, ...), bound by the engine
    uses_settings: tuple[str, ...] = ()
    # the warehouse tables the SQL names (`staged.medical`, `linked.links`, `income.households`)
    tables_read: tuple[str, ...] = ()
    # how the hits depend on the as-of date: None (not at all), "day" or "month" (AS_OF_GRAINS)
    as_of_grain: str | None = None
    # the window of one source's records the rule reads (`window:`), None for a rule that declares none
    window: Window | None = None

    @property
    def reads_income_model(self) -> bool:
        return any(table in INCOME_MODEL_TABLES for table in self.tables_read)

    @property
    def defaults(self) -> dict[str, Any]:
        """The parameter defaults of the rule file."""
        return {name: spec["default"] for name, spec in self.parameters.items()}


def rules_dir(path: Path | str | None = None) -> Traversable:
    """The catalog folder: `path`, else $HEDUI_RULES_DIR, else the shipped catalog (the repository's `warnings/`)."""
    if path is not None:
        return Path(path)
    env = os.environ.get(RULES_DIR_ENV)
    return Path(env) if env else DEFAULT_RULES_DIR


def load_catalog(path: Path | str | None = None) -> list[Rule]:
    """Load and validate every `*.sql` rule file of the catalog folder, sorted by code."""
    folder = rules_dir(path)
    if not folder.is_dir():
        raise RuleFileError(f"rule catalog folder {folder} does not exist")
    rule_files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    if not rule_files:
        raise RuleFileError(f"rule catalog folder {folder} holds no *.sql rule file")
    parser = duckdb.connect(":memory:")
    try:
        rules = [parse_rule_file(file, parser) for file in rule_files]
    finally:
        parser.close()
    seen: dict[str, Traversable] = {}
    for rule in rules:
        if rule.code in seen:
            raise RuleFileError(f"{rule.path.name}: rule code {rule.code} is also used by {seen[rule.code].name}")
        seen[rule.code] = rule.path
    threshold_wordings(rules)
    return sorted(rules, key=lambda r: r.code)


def threshold_wordings(rules: list[Rule]) -> dict[str, str]:
    """Each parameter's caseworker wording (`wording_zh`, `{}` standing for the value), by parameter name.

    A warning's evidence names its thresholds by parameter; the lists and reports word them with this, so a
    parameter name must mean one thing across the catalog: two rules wording the same name differently is an
    error."""
    wordings: dict[str, tuple[str, Path]] = {}
    for rule in rules:
        for setting in rule.uses_settings:
            wordings.setdefault(setting, (RULE_BOUND_SETTINGS[setting], Path("policy.yaml")))
        for param, spec in rule.parameters.items():
            wording = spec["wording_zh"]
            if param in wordings and wordings[param][0] != wording:
                raise RuleFileError(f"{rule.path.name}: parameter {param} is worded differently in"
                                    f" {wordings[param][1].name}; a parameter name means one thing in every rule")
            wordings.setdefault(param, (wording, rule.path))
    return {param: wording for param, (wording, _) in sorted(wordings.items())}


def parse_rule_file(path: Traversable, parser: duckdb.DuckDBPyConnection | None = None) -> Rule:
    """Read one rule file, check its metadata against its SQL, and return the Rule."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"{name}: cannot be read as UTF-8 text ({exc.__class__.__name__})") from exc
    match = _METADATA.match(text)
    if not match:
        raise RuleFileError(f"{name}: must open with a metadata block /*--- ... ---*/")
    try:
        meta = strict_yaml.load(match["yaml"], line_offset=text[:match.start("yaml")].count("\n"))
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{name}: metadata block is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise RuleFileError(f"{name}: metadata block must be a YAML mapping")
    sql = match["sql"].strip()

    missing = [key for key in REQUIRED_KEYS if key not in meta or meta[key] in (None, "")]
    if missing:
        raise RuleFileError(f"{name}: metadata lacks required key(s) {', '.join(missing)}")
    unknown = sorted(set(meta) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise RuleFileError(f"{name}: metadata has unknown key(s) {', '.join(unknown)}")
    code = meta["code"]
    if not isinstance(code, str) or not _CODE.match(code):
        raise RuleFileError(f"{name}: code must be upper-case letters, digits and underscores")
    if path.stem != code:
        raise RuleFileError(f"{name}: the file must be named after its code ({code}.sql)")
    for key, allowed in (("category", CATEGORIES), ("severity", SEVERITIES), ("level", LEVELS)):
        if meta[key] not in allowed:
            raise RuleFileError(f"{name}: unknown {key} {meta[key]!r}; expected one of {', '.join(allowed)}")
    for key in ("title_zh", "title_en", "policy"):
        if not isinstance(meta[key], str):
            raise RuleFileError(f"{name}: {key} must be text")

    sources = _name_list(meta["sources"], name, "sources")
    bad = sorted(set(sources) - set(SOURCES))
    if bad:
        raise RuleFileError(f"{name}: unknown source(s) {', '.join(bad)}; known: {', '.join(SOURCES)}")
    absence = _name_list(meta.get("raises_on_absence_of") or [], name, "raises_on_absence_of")
    bad = sorted(set(absence) - set(sources))
    if bad:
        raise RuleFileError(f"{name}: raises_on_absence_of names source(s) the rule does not read: {', '.join(bad)}")

    parameters = meta["parameters"] or {}
    if not isinstance(parameters, dict):
        raise RuleFileError(f"{name}: parameters must be a mapping of name to default and description")
    for param, spec in parameters.items():
        if param in BUILTIN_PARAMETERS:
            raise RuleFileError(f"{name}: parameter {param} is bound by the engine and must not be declared")
        if not isinstance(spec, dict) or "default" not in spec or not spec.get("description"):
            raise RuleFileError(f"{name}: parameter {param} needs a default and a description")
        unknown_spec = sorted(set(spec) - {"default", "description", "wording_zh"})
        if unknown_spec:
            raise RuleFileError(f"{name}: parameter {param} has unknown key(s) {', '.join(unknown_spec)}")
        wording = spec.get("wording_zh")
        if not isinstance(wording, str) or wording.count("{}") != 1:
            raise RuleFileError(f"{name}: parameter {param} needs a wording_zh for caseworkers, with {{}} once"
                                " where the value goes")

    output = meta["output"]
    if not isinstance(output, dict) or list(output) != list(OUTPUT_COLUMNS):
        got = ", ".join(output) if isinstance(output, dict) else repr(output)
        raise RuleFileError(f"{name}: output must describe the columns {', '.join(OUTPUT_COLUMNS)} in that order; got {got}")
    for column, description in output.items():
        if not isinstance(description, str) or not description.strip():
            raise RuleFileError(f"{name}: output column {column} needs a one-line description")

    referenced = _check_sql(sql, name, parser)
    undeclared = sorted(referenced - set(parameters) - set(BUILTIN_PARAMETERS))
    if undeclared:
        raise RuleFileError(f"{name}: SQL uses parameter(s) not declared in the metadata: {', '.join(undeclared)}")
    unused = sorted(set(parameters) - referenced)
    if unused:
        raise RuleFileError(f"{name}: declared parameter(s) the SQL never uses: {', '.join(unused)}")
    _check_portable(sql, name, parameters)
    tables_read = tables_named(sql)
    uses_as_of = "as_of" in referenced
    as_of_grain = meta.get("as_of_grain")
    if as_of_grain is not None and as_of_grain not in AS_OF_GRAINS:
        raise RuleFileError(f"{name}: unknown as_of_grain {as_of_grain!r}; expected one of {', '.join(AS_OF_GRAINS)}")
    if uses_as_of or any(table in INCOME_MODEL_TABLES for table in tables_read):
        as_of_grain = as_of_grain or "day"
    elif as_of_grain is not None:
        raise RuleFileError(f"{name}: as_of_grain is declared, but the rule neither uses $as_of nor reads the income"
                            " model")

    window = _window(meta.get("window"), name, sources, parameters, meta["level"], tables_read, uses_as_of)

    return Rule(
        code=code,
        title_zh=meta["title_zh"],
        title_en=meta["title_en"],
        category=meta["category"],
        severity=meta["severity"],
        level=meta["level"],
        policy=" ".join(meta["policy"].split()),
        sources=tuple(sources),
        raises_on_absence_of=tuple(absence),
        parameters=parameters,
        output=output,
        sql=sql,
        path=path,
        uses_as_of=uses_as_of,
        uses_settings=tuple(sorted(referenced & set(RULE_BOUND_SETTINGS))),
        tables_read=tables_read,
        as_of_grain=as_of_grain,
        window=window,
    )


def _window(value: Any, name: str, sources: list[str], parameters: dict[str, Any], level: str,
            tables_read: tuple[str, ...], uses_as_of: bool) -> Window | None:
    """The `window:` header, checked: a source the rule reads, column names, a declared length parameter, and
    reversals either declared whole or not at all. Only a rule of household or member level that reads nothing
    but its staged sources and their links can declare one (the scope is a set of households)."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"source", "date_column", "length_parameter", "reversals"}:
        raise RuleFileError(f"{name}: window must be a mapping of source, date_column, length_parameter and reversals")
    if value.get("source") not in sources:
        raise RuleFileError(f"{name}: window source {value.get('source')!r} is not among the rule's sources")
    if level not in ("household", "member") or not uses_as_of:
        raise RuleFileError(f"{name}: a window needs a rule of household or member level that uses $as_of")
    others = sorted(set(tables_read) - {f"staged.{source}" for source in sources} - {"linked.links"})
    if others:
        raise RuleFileError(f"{name}: a rule with a window may read only its staged sources and their links;"
                            f" it reads {', '.join(others)}")
    length = value.get("length_parameter")
    if length is not None and length not in parameters:
        raise RuleFileError(f"{name}: window length_parameter {length!r} is not a declared parameter")
    reversals = value.get("reversals") or {}
    keys = ("type_column", "type_value", "reverses_column", "key_column")
    if reversals and (not isinstance(reversals, dict) or set(reversals) != set(keys)):
        raise RuleFileError(f"{name}: window reversals must give {', '.join(keys)}")
    columns = [value.get("date_column")] + [reversals[key] for key in keys if key != "type_value" and reversals]
    if not all(isinstance(column, str) and _IDENTIFIER.match(column) for column in columns):
        raise RuleFileError(f"{name}: window columns must be column names of staged.{value['source']}")
    if reversals and not isinstance(reversals["type_value"], str):
        raise RuleFileError(f"{name}: window reversals type_value must be text")
    return Window(source=value["source"], date_column=value["date_column"], length_parameter=length,
                  reversal_column=reversals.get("type_column"), reversal_value=reversals.get("type_value"),
                  reverses_column=reversals.get("reverses_column"), key_column=reversals.get("key_column"))


def tables_named(sql: str) -> tuple[str, ...]:
    """The warehouse tables (`schema.table`, lower case) a rule's SQL names, sorted, comments included; a call of
    one of the income model's table macros counts as reading `income.records`. A read this scan cannot see (a
    table named through `query_table`) is refused carrying by `hedui.rules.rule_inputs.carry_blocker`."""
    named = {f"{schema.lower()}.{table.lower()}" for schema, table in _TABLE_NAME.findall(sql)}
    if _INCOME_MODEL_MACRO.search(sql):
        named.add("income.records")
    return tuple(sorted(named))


def _name_list(value: Any, name: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RuleFileError(f"{name}: {key} must be a list of names")
    return value


# the as-of date the portability check binds (any date: the check reads the SQL, it runs nothing)
_CHECK_AS_OF = dt.date(2000, 1, 1)


def _check_portable(sql: str, name: str, parameters: dict[str, dict[str, Any]]) -> None:
    """Refuse SQL outside the portable subset, naming the construct (hedui.engines.spark_sql.spark_problems).

    The parameters are bound with their defaults (and the policy's default `income:` settings), as Spark 3.3
    takes no parameters: some rewrites depend on a value's kind (a list or a number)."""
    values = {param: spec["default"] for param, spec in parameters.items()}
    values |= {"as_of": _CHECK_AS_OF, **{setting: INCOME_DEFAULTS[setting] for setting in RULE_BOUND_SETTINGS}}
    problems = _portability_problems(sql, tuple(sorted((k, repr(v)) for k, v in values.items())), values)
    if problems:
        raise RuleFileError(f"{name}: SQL outside the portable subset (docs/portable-sql.md): {'; '.join(problems)}")


_CHECKED: dict[tuple[str, tuple], list[str]] = {}


def _portability_problems(sql: str, key: tuple, values: dict[str, Any]) -> list[str]:
    """spark_problems, remembered per text and values: in this process (a night loads the catalog several
    times) and on disk for the next processes (hedui.engines.portability_cache)."""
    if (sql, key) not in _CHECKED:
        _CHECKED[(sql, key)] = cached_problems(f"{sql}\n{key!r}", lambda: spark_problems(sql, values))
    return _CHECKED[(sql, key)]


def _check_sql(sql: str, name: str, parser: duckdb.DuckDBPyConnection | None) -> set[str]:
    """Parse the rule's SQL; it must be exactly one SELECT. Returns the named parameters it references."""
    if not sql:
        raise RuleFileError(f"{name}: no SQL after the metadata block")
    own = parser is None
    con = duckdb.connect(":memory:") if own else parser
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise RuleFileError(f"{name}: SQL does not parse: {first_line}") from exc
    finally:
        if own:
            con.close()
    if len(statements) != 1:
        raise RuleFileError(f"{name}: must hold exactly one SQL statement, found {len(statements)}")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        raise RuleFileError(f"{name}: the SQL must be a single SELECT query, found {statement.type.name}")
    return set(statement.named_parameters)
