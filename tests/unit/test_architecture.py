"""The layers: a package may import its own modules and those of lower layers, never a higher or a
sibling layer. docs/explanation/architecture.md draws the same picture."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "duplicity_cron"

# Rank of each top-level module or subpackage; an import must point to a strictly lower rank (or stay
# inside its own package). `__init__` (the version) is below everything.
LAYERS = {
    "__init__": -1,
    "model": 0,
    "databases": 1,
    "config": 2,
    "targets": 3,
    "containers": 3,
    "log": 3,
    "state": 3,
    "views": 3,
    "runner": 4,
    "monitoring": 4,
    "daemon": 5,
    "cli": 6,
    "__main__": 7,
}
PURE = ("model", "config", "targets", "views")
# `databases` is pure but for its edges: the modules (in it or in an engine's package) of these names
# run clients, compress, write and print. The registry and each engine's `__init__` are pure, so that
# `config`, which parses the URLs through them, starts nothing.
PURE_BUT_EDGES = {
    "databases": {"clients", "compress", "dump", "manifest", "parallel", "restore", "server"},
    "containers": {"engine"},  # the engine's API; `labels` is pure
}
# Modules that start processes, threads or connections, handle signals, or touch the file system.
SIDE_EFFECT_MODULES = {
    "fcntl", "http", "os", "select", "selectors", "shutil", "signal", "socket", "sqlite3", "subprocess",
    "threading",
    "urllib.request",
}  # fmt: skip


def _unit(module: Path) -> str:
    relative = module.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imports(module: Path) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every import of `module`, relative ones resolved."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    relative = module.relative_to(PACKAGE.parent).with_suffix("")
    package = list(relative.parts[:-1])  # a module's package; an __init__'s is its own
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from . import history` names modules, not attributes: check each
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _is_pure(module: Path) -> bool:
    unit = _unit(module)
    return unit in PURE or (unit in PURE_BUT_EDGES and module.stem not in PURE_BUT_EDGES[unit])


def test_every_module_belongs_to_a_layer() -> None:
    assert {_unit(module) for module in _modules()} <= set(LAYERS)


@pytest.mark.parametrize("module", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(module: Path) -> None:
    own = _unit(module)
    wrong = []
    for line, name in _imports(module):
        parts = name.split(".")
        if parts[0] != "duplicity_cron" or len(parts) < 2:
            continue
        target = parts[1]
        if target not in LAYERS or target == own:
            continue
        if LAYERS[target] >= LAYERS[own]:
            wrong.append(f"line {line}: {own} (layer {LAYERS[own]}) imports {name} (layer {LAYERS[target]})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "module",
    [m for m in _modules() if _is_pure(m)],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_pure_packages_start_no_process_thread_or_connection(module: Path) -> None:
    used = {".".join(name.split(".")[:depth]) for _, name in _imports(module) for depth in (1, 2)}
    assert not used & SIDE_EFFECT_MODULES, (
        f"{module.relative_to(PACKAGE)} imports {used & SIDE_EFFECT_MODULES}"
    )


def test_the_check_catches_a_wrong_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule itself: a config module importing the runner is reported."""
    fake = PACKAGE / "config" / "values.py"
    source = fake.read_text(encoding="utf-8") + "\nfrom ..runner import chain\n"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding="utf-8": source)
    with pytest.raises(AssertionError, match=r"config \(layer 2\) imports duplicity_cron\.runner"):
        test_imports_point_down(fake)


def test_databases_import_nothing_above_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry parses config's URLs: it may not import config back."""
    fake = PACKAGE / "databases" / "common.py"
    source = fake.read_text(encoding="utf-8") + "\nfrom ..config import values\n"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding="utf-8": source)
    with pytest.raises(AssertionError, match=r"databases \(layer 1\) imports duplicity_cron\.config"):
        test_imports_point_down(fake)


def test_only_the_edges_of_databases_may_start_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule itself: an edge (`clients`, an engine's `server`) is not checked, a pure module of
    `databases` (its registry, an engine's `__init__` or `commands`) importing subprocess is reported."""
    assert not _is_pure(PACKAGE / "databases" / "clients.py")
    assert not _is_pure(PACKAGE / "databases" / "postgresql" / "server.py")
    for pure in (
        "__init__.py",
        "common.py",
        "postgresql/__init__.py",
        "mariadb/commands.py",
        "rows/dump_rows.py",
    ):
        fake = PACKAGE / "databases" / pure
        assert _is_pure(fake)
        source = fake.read_text(encoding="utf-8") + "\nimport subprocess\n"
        monkeypatch.setattr(Path, "read_text", lambda self, encoding="utf-8", text=source: text)
        with pytest.raises(AssertionError, match="subprocess"):
            test_pure_packages_start_no_process_thread_or_connection(fake)


def test_importing_the_configuration_starts_nothing() -> None:
    """`config` imports the database registry; neither pulls in subprocess (nor the engines' edges)."""
    code = (
        "import sys, duplicity_cron.config, duplicity_cron.databases; "
        "print(sorted(m for m in sys.modules if m == 'subprocess' or m.endswith(('.clients', '.server'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
