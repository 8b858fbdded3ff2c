"""The layers of DESIGN.md: a module imports only its own layer and the layers below."""

from __future__ import annotations

import ast
from pathlib import Path

import hylo

# Lowest first; cli and reports are one layer (the user-facing one).
LAYERS = ["lang", "domains", "library", "train", "search", "automl", "learn", "reports|cli"]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer.split("|")}
PACKAGE = Path(hylo.__file__).parent


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
    return out


def test_no_module_imports_a_higher_layer() -> None:
    wrong = []
    checked = 0
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = path.relative_to(PACKAGE).parts[0]
        if layer not in RANK:
            continue  # hylo/__init__.py (the public API) and the conformance suites
        checked += 1
        for line, module in imported_modules(ast.parse(path.read_text())):
            parts = module.split(".")
            if parts[0] == "hylo" and len(parts) > 1 and RANK.get(parts[1], -1) > RANK[layer]:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line}: {layer} imports {module}")
    assert checked > 50
    assert not wrong, "imports against DESIGN.md's layers:\n" + "\n".join(wrong)


def test_lang_imports_nothing_else_of_hylo() -> None:
    for path in (PACKAGE / "lang").rglob("*.py"):
        for _, module in imported_modules(ast.parse(path.read_text())):
            assert not module.startswith("hylo.") or module.startswith("hylo.lang"), (path, module)
