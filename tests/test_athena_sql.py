"""The bootstrap SQL parses (sqlglot, athena), lints (sqlfluff, athena), matches the contract.

The drift check parses the rendered DDL with sqlglot and compares every table's columns (names,
order and types), partition keys and location with ``exporter/_contract.py``. The last tests
change the contract (monkeypatched) and show the check goes red, so a contract change without
a DDL change cannot pass.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlfluff.core import FluffConfig, Linter
from sqlglot import exp

from exporter import _contract as contract
from exporter.athena import (
    REPAIR_MANIFEST,
    SQL_DIR,
    AthenaSettings,
    Statement,
    partition_statements,
    plan_bootstrap,
)

SETTINGS = AthenaSettings(root="s3://example-bucket/sweeps", database="sweep_analytics")
RUN = ("sir-baseline-20261123", date(2026, 11, 23))


def all_statements() -> list[Statement]:
    return [
        *plan_bootstrap(SETTINGS),
        *plan_bootstrap(SETTINGS, REPAIR_MANIFEST),
        *partition_statements(RUN, SETTINGS),
    ]


def _type(text_or_node: str | exp.DataType) -> str:
    node = (
        exp.DataType.build(text_or_node, dialect="athena")
        if isinstance(text_or_node, str)
        else text_or_node
    )
    return node.sql("athena")


def ddl_tables(statements: list[Statement]) -> dict[str, dict[str, Any]]:
    """Every CREATE EXTERNAL TABLE: columns, partition columns (name, type) and LOCATION."""
    tables: dict[str, dict[str, Any]] = {}
    for statement in statements:
        tree = sqlglot.parse_one(statement.sql, read="athena")
        if not (isinstance(tree, exp.Create) and tree.kind == "TABLE"):
            continue
        schema = tree.this
        assert isinstance(schema, exp.Schema), statement.entry
        table = schema.this
        assert table.db == SETTINGS.database, statement.entry
        props = tree.args["properties"].expressions
        partitioned = next(p for p in props if isinstance(p, exp.PartitionedByProperty))
        location = next(p for p in props if isinstance(p, exp.LocationProperty))
        tables[table.name] = {
            "entry": statement.entry,
            "columns": [(c.name, _type(c.args["kind"])) for c in schema.expressions],
            "partitions": [(c.name, _type(c.args["kind"])) for c in partitioned.this.expressions],
            "location": location.this.name,
        }
    return tables


def contract_drift(statements: list[Statement]) -> list[str]:
    """Every difference between the DDL and the contract, one readable line each."""
    problems: list[str] = []
    tables = ddl_tables(statements)
    for name in sorted(set(contract.DATASETS) - set(tables)):
        problems.append(f"{name}: in the contract but no CREATE EXTERNAL TABLE in the manifest")
    for name in sorted(set(tables) - set(contract.DATASETS)):
        problems.append(f"{name}: a table the contract does not define")
    for name, ds in contract.DATASETS.items():
        if name not in tables:
            continue
        got = tables[name]
        want = [(c.name, _type(c.athena_type)) for c in ds.columns]
        for position, (w, g) in enumerate(zip(want, got["columns"], strict=False), 1):
            if w != g:
                problems.append(f"{name} column {position}: contract {w}, DDL {g}")
        if len(want) != len(got["columns"]):
            problems.append(
                f"{name}: contract has {len(want)} columns "
                f"{[c for c, _ in want]}, DDL has {len(got['columns'])} "
                f"{[c for c, _ in got['columns']]}"
            )
        want_parts = [(k, _type(contract.PARTITION_TYPES[k])) for k in contract.PARTITION_KEYS]
        if got["partitions"] != want_parts:
            problems.append(f"{name}: partitions {got['partitions']}, contract {want_parts}")
        if got["location"] != f"{SETTINGS.root}/{name}/":
            problems.append(f"{name}: LOCATION {got['location']!r} is not under the root")
    return problems


# --------------------------------------------------------------------------- parse and lint


@pytest.mark.parametrize("statement", all_statements(), ids=lambda s: s.entry)
def test_every_rendered_statement_parses_with_sqlglot(statement: Statement) -> None:
    assert "${" not in statement.sql
    trees = sqlglot.parse(statement.sql, read="athena")
    assert len(trees) == 1, "one statement per file"
    tree = trees[0]
    if statement.sql.startswith("MSCK REPAIR TABLE"):
        # sqlglot has no MSCK node: it keeps the statement whole as a Command.
        assert isinstance(tree, exp.Command) and tree.this.upper().startswith("MSCK")
    else:
        assert not isinstance(tree, exp.Command), f"sqlglot fell back to Command: {statement.sql}"


def test_repair_statements_are_exactly_the_expected_text() -> None:
    """The MSCK branch above only re-checks its own condition; pin the rendered text instead
    (written down here: one statement per table, in the manifest's order, database-qualified)."""
    rendered = [(s.entry, s.sql) for s in plan_bootstrap(SETTINGS, REPAIR_MANIFEST)]
    assert rendered == [
        ("repair_run_context.sql", "MSCK REPAIR TABLE sweep_analytics.run_context"),
        ("repair_effective_params.sql", "MSCK REPAIR TABLE sweep_analytics.effective_params"),
        ("repair_outcomes.sql", "MSCK REPAIR TABLE sweep_analytics.outcomes"),
    ]
    other = AthenaSettings(root="s3://other-bucket/p", database="other_db")
    assert [s.sql for s in plan_bootstrap(other, REPAIR_MANIFEST)][-1] == (
        "MSCK REPAIR TABLE other_db.outcomes"
    )


LINT_CONFIG = FluffConfig(
    overrides={"dialect": "athena", "templater": "raw", "max_line_length": 120}
)


@pytest.mark.parametrize("statement", all_statements(), ids=lambda s: s.entry)
def test_every_rendered_statement_passes_sqlfluff(statement: Statement) -> None:
    result = Linter(config=LINT_CONFIG).lint_string(statement.sql + "\n")
    violations = [f"L{v.line_no} {v.rule_code()}: {v.desc()}" for v in result.get_violations()]
    assert violations == [], statement.sql


@pytest.mark.filterwarnings("ignore:GitIgnorePattern:DeprecationWarning")
def test_raw_sql_files_lint_with_the_nested_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """``cd exporter/athena/sql && sqlfluff lint .``: the files as operators edit them."""
    monkeypatch.chdir(SQL_DIR)
    config = FluffConfig.from_root()
    assert config.get("templater") == "placeholder"
    result = Linter(config=config).lint_paths((".",))
    linted = [f.path for d in result.paths for f in d.files]
    assert len(linted) == len(list(SQL_DIR.glob("*.sql")))
    assert [v.desc() for v in result.get_violations()] == []


def test_lint_catches_a_broken_statement() -> None:
    """Guard: the lint really lints (a statement sqlfluff cannot parse is reported)."""
    bad = "CREATE EXTERNAL TABLE x.y (a STRING) STORED AS PARQUET LOCATION 's3://b/p/'\n"
    assert Linter(config=LINT_CONFIG).lint_string(bad).get_violations()


# --------------------------------------------------------------------------- contract drift


def test_ddl_matches_the_contract() -> None:
    statements = plan_bootstrap(SETTINGS)
    assert set(ddl_tables(statements)) == {"run_context", "effective_params", "outcomes"}
    assert contract_drift(statements) == []


def test_drift_check_reports_a_retyped_contract_column(monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = contract.DATASETS["outcomes"]
    retyped = tuple(
        dataclasses.replace(c, athena_type="bigint") if c.name == "attempt" else c
        for c in outcomes.columns
    )
    monkeypatch.setitem(
        contract.DATASETS, "outcomes", dataclasses.replace(outcomes, columns=retyped)
    )
    problems = contract_drift(plan_bootstrap(SETTINGS))
    assert len(problems) == 1
    assert "outcomes" in problems[0] and "attempt" in problems[0] and "BIGINT" in problems[0]


def test_drift_check_reports_renamed_and_added_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    params = contract.DATASETS["effective_params"]
    renamed = tuple(
        dataclasses.replace(c, name="params_canonical") if c.name == "params_json" else c
        for c in params.columns
    )
    added = (*renamed, contract.Column("note", params.columns[0].arrow_type, "string", "x"))
    monkeypatch.setitem(
        contract.DATASETS, "effective_params", dataclasses.replace(params, columns=added)
    )
    problems = contract_drift(plan_bootstrap(SETTINGS))
    assert any("params_canonical" in p for p in problems)
    assert any("note" in p for p in problems)


def test_drift_check_reports_a_new_dataset_and_partition_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extra = dataclasses.replace(contract.DATASETS["outcomes"], name="metrics_long")
    monkeypatch.setitem(contract.DATASETS, "metrics_long", extra)
    monkeypatch.setitem(contract.PARTITION_TYPES, "run_date", "string")
    problems = contract_drift(plan_bootstrap(SETTINGS))
    assert any(p.startswith("metrics_long: in the contract") for p in problems)
    assert sum("partitions" in p for p in problems) == 3


def test_view_reads_only_contract_columns_and_joins_on_the_join_keys() -> None:
    view = next(s for s in plan_bootstrap(SETTINGS) if "VIEW" in s.sql.split("AS", 1)[0])
    tree = sqlglot.parse_one(view.sql, read="athena")
    select = tree.expression
    aliases = {t.alias: t.name for t in select.find_all(exp.Table)}
    assert set(aliases.values()) == {"outcomes", "effective_params"}
    for column in select.find_all(exp.Column):
        table = aliases[column.table]
        known = {*contract.DATASETS[table].column_names, *contract.PARTITION_KEYS}
        assert column.name in known, f"{column.table}.{column.name} is not in the contract"
    join = select.args["joins"][0]
    joined_on = {
        frozenset((eq.left.name, eq.right.name)) for eq in join.args["on"].find_all(exp.EQ)
    }
    keys = {*contract.JOIN_KEYS, *contract.PARTITION_KEYS}
    assert joined_on == {frozenset((k,)) for k in keys}


# --------------------------------------------------------------------------- the runbook's SQL

RUNBOOK = Path(__file__).resolve().parent.parent / "docs" / "runbook.md"


def runbook_sql() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", RUNBOOK.read_text(encoding="utf-8"), re.S)


def test_runbook_queries_parse_and_use_only_contract_tables_and_columns() -> None:
    blocks = runbook_sql()
    selects = [sqlglot.parse_one(b, read="athena") for b in blocks if b.startswith("SELECT")]
    assert len(selects) >= 3
    for block in blocks:
        sqlglot.parse_one(block, read="athena")  # every block parses
    for tree in selects:
        tables = {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}
        assert {t.db for t in tree.find_all(exp.Table)} == {"sweep_analytics"}
        aliases = {a.alias for a in tree.find_all(exp.Alias)}
        for column in tree.find_all(exp.Column):
            if column.name in aliases and not column.table:
                continue
            owners = [tables[column.table]] if column.table else list(tables.values())
            known = {
                name
                for owner in owners
                for name in (*contract.DATASETS[owner].column_names, *contract.PARTITION_KEYS)
            }
            assert column.name in known, f"{column.sql()} is not a contract column"


def test_runbook_has_a_one_run_aggregate_pinned_to_both_partition_keys() -> None:
    pinned = []
    for block in runbook_sql():
        tree = sqlglot.parse_one(block, read="athena")
        where = tree.args.get("where") if isinstance(tree, exp.Select) else None
        if where is None or not list(tree.find_all(exp.AggFunc)):
            continue
        literal_eqs = {
            eq.left.name
            for eq in where.find_all(exp.EQ)
            if isinstance(eq.left, exp.Column) and isinstance(eq.right, exp.Literal | exp.Cast)
        }
        if set(contract.PARTITION_KEYS) <= literal_eqs:
            pinned.append(block)
    assert len(pinned) == 1
