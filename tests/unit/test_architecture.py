"""The layers: a package may import its own modules and those of lower layers, never a higher or a
sibling layer. The README's "Architecture" section draws the same picture."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "duplicity_cron"

# Rank of each top-level module or subpackage; an import must point to a strictly lower rank (or stay
# inside its own package). `__init__` (the version) is below everything.
LAYERS = {
    "__init__": -1,
    "model": 0,
    "config": 1,
    "targets": 2,
    "sources": 2,
    "log": 2,
    "state": 2,
    "views": 2,
    "runner": 3,
    "monitoring": 3,
    "daemon": 4,
    "cli": 5,
    "__main__": 6,
}
PURE = ("model", "config", "targets", "sources", "views")
# Modules that start processes, threads or connections, handle signals, or touch the file system.
SIDE_EFFECT_MODULES = {
    "fcntl", "http", "os", "select", "selectors", "shutil", "signal", "socket", "subprocess", "threading",
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
    [m for m in _modules() if _unit(m) in PURE],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_pure_packages_start_no_process_thread_or_connection(module: Path) -> None:
    used = {".".join(name.split(".")[:depth]) for _, name in _imports(module) for depth in (1, 2)}
    assert not used & SIDE_EFFECT_MODULES


def test_the_check_catches_a_wrong_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule itself: a config module importing the runner is reported."""
    fake = PACKAGE / "config" / "values.py"
    source = fake.read_text(encoding="utf-8") + "\nfrom ..runner import chain\n"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding="utf-8": source)
    with pytest.raises(AssertionError, match=r"config \(layer 1\) imports duplicity_cron\.runner"):
        test_imports_point_down(fake)
