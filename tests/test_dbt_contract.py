"""Drift: the dbt sources list exactly the contract's columns, types and partition keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from exporter import _contract as contract

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "models" / "staging" / "sweep" / "_sweep__sources.yml"


def _tables() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(SOURCES.read_text())
    (source,) = data["sources"]
    assert source["name"] == "sweep"
    return {t["name"]: t for t in source["tables"]}


def test_one_source_table_per_dataset() -> None:
    assert set(_tables()) == set(contract.DATASETS)


def test_source_columns_equal_the_contract_then_the_partition_keys() -> None:
    for name, table in _tables().items():
        dataset = contract.DATASETS[name]
        columns = [c["name"] for c in table["columns"]]
        assert columns == [*dataset.column_names, *contract.PARTITION_KEYS], name
        types = {c["name"]: c["data_type"] for c in table["columns"]}
        for col in dataset.columns:
            assert types[col.name] == col.athena_type, (name, col.name)
        for key in contract.PARTITION_KEYS:
            assert types[key] == contract.PARTITION_TYPES[key], (name, key)
        assert all(c.get("description") for c in table["columns"]), name


def test_duckdb_reads_partitions_with_the_contract_types() -> None:
    text = SOURCES.read_text()
    duck = {"date": "date", "string": "varchar"}
    wanted = ", ".join(
        f"'{k}': '{duck[contract.PARTITION_TYPES[k]]}'" for k in contract.PARTITION_KEYS
    )
    assert f"hive_types = {{{wanted}}}" in text
    assert "hive_types_autocast = false" in text
