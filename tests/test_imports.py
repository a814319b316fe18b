"""No import circle inside the exporter package: every import between its modules (at module
level or inside a function, as a late import that hides a circle is one too) forms a graph
without a cycle. Read from the source with ``ast``; nothing is imported."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "exporter"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports (``from . import x`` counts as ``x``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in known:
                    found.add(f"{target}.{alias.name}")
                elif target in known:
                    found.add(target)
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (one per back edge), as the modules on it.

    A package's ``__init__`` importing its own submodules is how a package exposes them; an edge
    from a submodule back to its package's ``__init__`` would close a circle and is counted.
    """
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_exporter_has_no_import_circle() -> None:
    edges = graph()
    assert "exporter._secrets" in edges and "exporter.errors" in edges
    assert cycles(edges) == []


def test_secrets_and_errors_sit_at_the_bottom() -> None:
    """The redaction imports nothing from the package; errors needs only it and the console
    helpers; canonical JSON uses both and nothing above them."""
    edges = graph()
    assert edges["exporter._secrets"] == set()
    assert edges["exporter.errors"] == {"exporter._secrets", "exporter._console"}
    assert edges["exporter._canonical"] == {"exporter._secrets", "exporter.errors"}


def test_the_walk_finds_a_circle(tmp_path: Path) -> None:
    """The checks above can fail: the late import errors.py had (``from ._canonical import
    redact`` inside a function) closes the circle it hid."""
    edges = graph()
    edges["exporter.errors"] = edges["exporter.errors"] | {"exporter._canonical"}
    assert ["exporter._canonical", "exporter.errors", "exporter._canonical"] in cycles(edges)
    source = "def _mask(t):\n    from ._canonical import redact\n    return redact(t)\n"
    fake = tmp_path / "errors.py"
    fake.write_text(source)
    assert imports_of("exporter.errors", fake, set(edges)) == {"exporter._canonical"}


def test_each_module_imports_first_in_a_fresh_interpreter() -> None:
    """Each of the modules the circle ran through, imported first in its own interpreter."""
    for name in ("exporter._secrets", "exporter.errors", "exporter._canonical", "exporter"):
        subprocess.run([sys.executable, "-c", f"import {name}"], check=True, timeout=120)


def chained_raises(source: str) -> list[int]:
    """Lines of ``raise X from <expression>`` other than ``from None``: such an error keeps the
    exception it handles as ``__cause__``, whose text may hold a value (issue 13)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Raise)
        and node.cause is not None
        and not (isinstance(node.cause, ast.Constant) and node.cause.value is None)
    ]


def test_no_error_of_the_exporter_is_chained_to_the_exception_it_handles() -> None:
    found = {
        name: lines
        for name, path in modules().items()
        if (lines := chained_raises(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_chained_raise_check_sees_one() -> None:
    source = "try:\n    pass\nexcept ValueError as exc:\n    raise KeyError('x') from exc\n"
    assert chained_raises(source) == [4]
    assert chained_raises(source.replace("from exc", "from None")) == []
