"""The Architecture page (docs/explanation/architecture.md) matches the code: its tree names every
package and module there is, and nothing else; its picture of the layers names every layer of
`test_architecture.LAYERS`."""

from __future__ import annotations

import re
from pathlib import Path

from .test_architecture import LAYERS, PACKAGE

PAGE = PACKAGE.parents[1] / "docs" / "explanation" / "architecture.md"
TREE_START = "src/duplicity_cron/"


def _section() -> str:
    return PAGE.read_text(encoding="utf-8")


def _blocks() -> list[str]:
    return re.findall(r"```text\n(.*?)```", _section(), flags=re.S)


def _tree() -> dict[str, set[str]]:
    """{package path relative to the package, e.g. "" or "runner/processes": the names its entry lists}.

    An entry is `  name/   a, b (what b is), sub/, c` (a package) or `  name.py   what it is` (a
    module of the top package), continued on lines indented past the name; what stands in
    parentheses is prose."""
    block = next(block for block in _blocks() if block.startswith(TREE_START))
    entries: dict[str, str] = {}
    stack: list[tuple[int, str]] = []  # (indent, package path) of the open entries
    current = None
    for line in block.splitlines()[1:]:
        match = re.match(r"^( +)(\S+?)(/|\.py)(?= |$)\s*(.*)$", line)
        if match and (current is None or len(match.group(1)) <= current[0] + 2):
            indent, name, kind, text = len(match.group(1)), match.group(2), match.group(3), match.group(4)
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else ""
            if kind == ".py":
                entries.setdefault(parent, "")
                entries[parent] += f", {name}"
                current = (indent, parent, False)
                continue
            path = f"{parent}/{name}".strip("/")
            entries[parent] = entries.get(parent, "") + f", {name}/"
            entries[path] = entries.get(path, "") + ", " + text
            stack.append((indent, path))
            current = (indent, path, True)
        elif current is not None and line.strip() and current[2]:
            entries[current[1]] += " " + line.strip()
    return {path: _names(text) for path, text in entries.items()}


def _names(text: str) -> set[str]:
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\([^()]*\)", "", text)
    return {name.strip() for name in text.split(",") if name.strip()}


def _code() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for init in sorted(PACKAGE.rglob("__init__.py")):
        folder = init.parent
        path = str(folder.relative_to(PACKAGE)).replace(".", "").strip("/")
        names = {p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "__main__")}
        names |= {f"{d.name}/" for d in folder.iterdir() if (d / "__init__.py").is_file()}
        found[path] = names
    return found


def test_the_tree_names_every_package_and_module_and_nothing_else() -> None:
    assert _tree() == _code()


def test_the_picture_of_the_layers_names_every_layer() -> None:
    picture = next(block for block in _blocks() if not block.startswith(TREE_START))
    words = set(re.findall(r"\w+", picture))
    assert set(LAYERS) - {"__init__", "__main__"} <= words


def test_the_tree_is_read_as_written(tmp_path: Path) -> None:
    """The parser itself: prose in parentheses is left out, continuations join their entry."""
    assert _names("a, b (what b is, with (nested) words), sub/") == {"a", "b", "sub/"}
