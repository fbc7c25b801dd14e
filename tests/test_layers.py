"""The import layers: data flows one way, corpus → indexer → index → retriever → web / eval, and a
lower layer never imports a higher one. Parsed from the source, so no module is imported."""

from __future__ import annotations

import ast
from pathlib import Path

from reportqa.settings import PROJECT_ROOT

# Lower number = lower layer. reportqa.cli sits on top; the rest of reportqa is shared ground.
LAYERS = {"reportqa": 0, "indexer": 1, "retriever": 2, "eval": 3, "web": 3, "reportqa.cli": 4}
PACKAGES = ("reportqa", "indexer", "retriever", "eval", "web")


def layer_of(module: str) -> tuple[str, int] | None:
    if module == "reportqa.cli" or module.startswith("reportqa.cli."):
        return "reportqa.cli", LAYERS["reportqa.cli"]
    top = module.split(".")[0]
    return (top, LAYERS[top]) if top in LAYERS else None


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def violations(root: Path = PROJECT_ROOT) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            own = layer_of(module)
            for imported in imports_of(path):
                other = layer_of(imported)
                if own is None or other is None or other[0] == own[0]:
                    continue
                if other[1] > own[1] or (other[1] == own[1] and own[0] != other[0]):
                    found.append(f"{module} imports {imported} ({own[0]} may not import {other[0]})")
    return found


def test_no_layer_imports_a_higher_one() -> None:
    assert violations() == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "retriever" / "bad.py").write_text("from web.app import create_app\nimport eval.fit\n")
    (tmp_path / "web" / "worse.py").write_text("from eval.runner import run_config\n")
    (tmp_path / "indexer" / "fine.py").write_text("from reportqa.text import words\n")
    assert violations(tmp_path) == [
        "retriever.bad imports web.app (retriever may not import web)",
        "retriever.bad imports eval.fit (retriever may not import eval)",
        "web.worse imports eval.runner (web may not import eval)",
    ]
