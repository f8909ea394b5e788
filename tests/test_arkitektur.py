"""The house rules of docs/arkitektur.md, checked on the source: imports run one way, no circles, short functions."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "vidensdata"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    name = ".".join(parts)
    return name.removesuffix(".__init__")


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str) -> set[str]:
    """Modules of the package that ``name`` imports anywhere (inside functions too), parents excluded."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            candidates = [base] + [f"{base}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        out |= {c for c in candidates if c in MODULES and c != "vidensdata" and c != name
                and not name.startswith(c + ".")}
    return out


GRAPH = {m: _imports(m) for m in MODULES}


def _layer(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def test_no_import_circles():
    seen, on_path, circles = set(), [], []

    def visit(m):
        if m in on_path:
            circles.append(on_path[on_path.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        on_path.append(m)
        for t in sorted(GRAPH[m]):
            visit(t)
        on_path.pop()

    for m in sorted(GRAPH):
        visit(m)
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("layer, forbidden", [
    ("methods", None),  # methods: nothing of the package but errors (and their own helpers)
    ("sources", {"datasets", "themes", "presentation", "reporting", "report", "app", "cli", "audit", "approved"}),
    ("datasets", {"themes", "presentation", "reporting", "report", "app", "cli", "audit", "approved"}),
    ("themes", {"presentation", "publish", "reporting", "report", "app", "cli", "audit", "approved"}),
    ("presentation", {"reporting", "report", "app", "cli", "audit", "approved"}),
    ("memo", {"*"}), ("vocabulary", {"*"}), ("errors", {"*"}),
    *[(base, {"sources", "datasets", "themes", "presentation", "reporting", "report", "app", "cli", "audit",
              "approved", "publish"})
      for base in ("geography", "snapshots", "storage", "config", "formatting", "schema", "disclosure")],
])
def test_imports_run_down_the_layers(layer, forbidden):
    bad = []
    for m, targets in GRAPH.items():
        if _layer(m) != layer:
            continue
        for t in targets:
            lt = _layer(t)
            if lt == layer:
                continue
            if forbidden is None and lt != "errors":
                bad.append((m, t))
            elif forbidden is not None and ("*" in forbidden or lt in forbidden):
                bad.append((m, t))
    assert not bad, bad


def test_no_function_is_over_80_lines():
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 80:
                long.append(f"{path.relative_to(PACKAGE)}:{node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not long, long


def test_nothing_finds_a_theme_by_string_import():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert 'import_module(f"vidensdata.themes' not in text and "TITLER" not in text, path
