"""The import layers: data flows one way, corpus → indexer → index → retriever → web / eval, and a
lower layer never imports a higher one; the benchmarks (bench/) sit on top of everything, and
nothing imports them. Every import of a project module also names a module, and a name in it, that
exists (a benchmark is run by hand, so a stale import would otherwise go unseen). Parsed from the
source, so no module is imported; sub-packages (web/workbench/, web/middleware/) are part of their
package."""

from __future__ import annotations

import ast
from pathlib import Path

from reportqa.settings import PROJECT_ROOT

# Lower number = lower layer. reportqa.cli sits on top of the product, bench/ on top of it all;
# the rest of reportqa is shared ground.
LAYERS = {"reportqa": 0, "indexer": 1, "retriever": 2, "eval": 3, "web": 3, "reportqa.cli": 4, "bench": 5}
PACKAGES = ("reportqa", "indexer", "retriever", "eval", "web", "bench")


def layer_of(module: str) -> tuple[str, int] | None:
    if module == "reportqa.cli" or module.startswith("reportqa.cli."):
        return "reportqa.cli", LAYERS["reportqa.cli"]
    top = module.split(".")[0]
    return (top, LAYERS[top]) if top in LAYERS else None


def imports_of(path: Path) -> list[str]:
    return [module for module, _ in imported_names(path)]


def imported_names(path: Path) -> list[tuple[str, list[str]]]:
    """Every absolute import in the file, anywhere in it (a benchmark imports inside functions):
    (module, the names taken from it; none for ``import module``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def modules(root: Path) -> list[tuple[str, Path]]:
    """(dotted name, file) of every module of the project packages."""
    return [(".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__"), path)
            for package in PACKAGES for path in sorted((root / package).rglob("*.py"))]


def violations(root: Path = PROJECT_ROOT) -> list[str]:
    found = []
    for module, path in modules(root):
        own = layer_of(module)
        if own is not None:
            for imported in imports_of(path):
                other = layer_of(imported)
                if other is None or other[0] == own[0]:
                    continue
                if other[1] > own[1] or (other[1] == own[1] and own[0] != other[0]):
                    found.append(f"{module} imports {imported} ({own[0]} may not import {other[0]})")
    return found


def top_level_names(path: Path) -> set[str] | None:
    """The names a module binds at its top level (in if/try blocks too); None when it star-imports."""
    names: set[str] = set()
    body = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while body:
        node = body.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(alias.name == "*" for alias in node.names):
                return None
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            body += node.body + getattr(node, "orelse", []) + getattr(node, "finalbody", []) \
                + [n for handler in getattr(node, "handlers", []) for n in handler.body]
    return names


def unresolved(root: Path = PROJECT_ROOT) -> list[str]:
    """Imports of project modules, or of names in them, that do not exist."""
    files = dict(modules(root))
    found = []
    for module, path in modules(root):
        for imported, names in imported_names(path):
            if imported.split(".")[0] not in PACKAGES:
                continue
            if imported not in files:
                found.append(f"{module} imports {imported}, which does not exist")
                continue
            defined = top_level_names(files[imported])
            for name in names:
                if defined is not None and name not in defined and f"{imported}.{name}" not in files:
                    found.append(f"{module} imports {name} from {imported}, which has no such name")
    return found


def test_no_layer_imports_a_higher_one() -> None:
    assert violations() == []


def test_every_project_import_exists() -> None:
    assert unresolved() == []


def test_the_sub_packages_and_the_benchmarks_are_checked() -> None:
    checked = {module for module, _ in modules(PROJECT_ROOT)}
    assert {"web.workbench", "web.workbench.runs", "web.middleware.token_auth", "bench.scale"} <= checked


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "retriever" / "bad.py").write_text("from web.app import create_app\nimport eval.fit\n")
    (tmp_path / "web" / "worse.py").write_text("from eval.runner import run_config\n")
    (tmp_path / "indexer" / "fine.py").write_text("from reportqa.text import words\n")
    (tmp_path / "web" / "workbench").mkdir()
    (tmp_path / "web" / "workbench" / "deep.py").write_text("def f():\n    from bench.common import x\n")
    (tmp_path / "bench" / "top.py").write_text("from reportqa.cli import main\nfrom web.app import create_app\n")
    assert violations(tmp_path) == [
        "retriever.bad imports web.app (retriever may not import web)",
        "retriever.bad imports eval.fit (retriever may not import eval)",
        "web.workbench.deep imports bench.common (web may not import bench)",
        "web.worse imports eval.runner (web may not import eval)",
    ]


def test_the_check_catches_an_import_of_what_is_gone(tmp_path: Path) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "retriever" / "dense.py").write_text("class DenseSearcher:\n    pass\n")
    (tmp_path / "bench" / "scale.py").write_text(
        "def measure():\n    from retriever.dense import DenseIndex\n    from retriever.sparse import Bm25\n"
        "    from retriever.dense import DenseSearcher\n")
    assert unresolved(tmp_path) == ["bench.scale imports DenseIndex from retriever.dense, which has no such name",
                                    "bench.scale imports retriever.sparse, which does not exist"]
