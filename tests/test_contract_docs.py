"""docs/data-contract.md must describe exactly the contract in exporter/_contract.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exporter import _contract as contract

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-contract.md"


def documented_columns(text: str) -> dict[str, list[tuple[str, str, str]]]:
    """{dataset: [(column, athena type, arrow type), ...]} from the doc's tables, in order."""
    tables: dict[str, list[tuple[str, str, str]]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^### `(\w+)`", line)
        if heading:
            current = heading.group(1)
            tables[current] = []
            continue
        row = re.match(r"^\| `(\w+)` \| `([^`]+)` \| `([^`]+)` \|", line)
        if row and current is not None:
            tables[current].append((row.group(1), row.group(2), row.group(3)))
    return tables


def contract_columns() -> dict[str, list[tuple[str, str, str]]]:
    return {
        d.name: [(c.name, c.athena_type, str(c.arrow_type)) for c in d.columns]
        for d in contract.DATASETS.values()
    }


def test_doc_tables_match_the_contract() -> None:
    assert documented_columns(DOC.read_text()) == contract_columns()


def test_doc_check_catches_a_changed_column(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: retype one contract column and the doc no longer matches."""
    import pyarrow as pa

    cols = list(contract.OUTCOMES.columns)
    cols[-2] = contract.Column("duration_ms", pa.int64(), "bigint", "changed")
    changed = contract.Dataset(**{**contract.OUTCOMES.__dict__, "columns": tuple(cols)})
    monkeypatch.setitem(contract.DATASETS, "outcomes", changed)
    assert documented_columns(DOC.read_text()) != contract_columns()


def test_doc_states_the_version_and_run_id_pattern() -> None:
    text = DOC.read_text()
    assert f'schema_version = "{contract.SCHEMA_VERSION}"' in text
    assert contract.RUN_ID_PATTERN.pattern.replace("|", r"\|") in text or (
        contract.RUN_ID_PATTERN.pattern in text
    )
