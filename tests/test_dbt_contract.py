"""Drift: the dbt sources list exactly the contract's columns, types and partition keys."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
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


MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(")
DISPATCH_PREFIX = re.compile(r"^(default|duckdb|athena)__")


MATERIALIZATION = re.compile(r"{%-?\s*materialization\s+(\w+)\s*,\s*adapter\s*=\s*'(\w+)'")


def test_one_macro_per_file_named_after_it() -> None:
    """A file holds one macro (with its adapter.dispatch implementations) and is named after
    it; a file under macros/materializations holds one materialization, named
    <adapter>_<materialization>."""
    files = sorted((REPO / "macros").rglob("*.sql"))
    assert files
    for path in files:
        text = path.read_text()
        names = {DISPATCH_PREFIX.sub("", n) for n in MACRO.findall(text)}
        if path.parent.name == "materializations":
            found = {f"{adapter}_{name}" for name, adapter in MATERIALIZATION.findall(text)}
            assert found == {path.stem} and not names, (path.relative_to(REPO), found, names)
            continue
        assert names == {path.stem}, (path.relative_to(REPO), sorted(names))


def test_every_declared_dbt_folder_is_in_git() -> None:
    """A fresh clone has every folder dbt_project.yml declares (git keeps no empty folder)."""
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    folders = [
        folder
        for key in ("model-paths", "macro-paths", "test-paths", "seed-paths", "analysis-paths")
        for folder in project[key]
    ]
    assert "seeds" in folders and "analyses" in folders
    for folder in folders:
        tracked = subprocess.run(
            ["git", "ls-files", "--", folder], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.split()
        assert tracked, f"{folder}/ has no file in git"


def _accepted_values(models_yml: Path) -> dict[tuple[str, str], list[str]]:
    """{(model, column): values} of every accepted_values test in a models yml."""
    found: dict[tuple[str, str], list[str]] = {}
    for model in yaml.safe_load(models_yml.read_text())["models"]:
        for column in model.get("columns", []):
            for test in column.get("data_tests", column.get("tests", [])):
                if isinstance(test, dict) and "accepted_values" in test:
                    spec = test["accepted_values"]
                    values = spec.get("arguments", spec).get("values")
                    found[(model["name"], column["name"])] = values
    return found


def test_status_values_in_dbt_equal_the_contract() -> None:
    marts = _accepted_values(REPO / "models" / "marts" / "_marts__models.yml")
    staging = _accepted_values(REPO / "models" / "staging" / "sweep" / "_sweep__models.yml")
    assert sorted(marts[("dim_runs", "run_status")]) == sorted(contract.RUN_STATUSES)
    outcome_checks = [v for (m, c), v in {**marts, **staging}.items() if c == "outcome_status"]
    assert outcome_checks and all(
        sorted(v) == sorted(contract.OUTCOME_STATUSES) for v in outcome_checks
    )
