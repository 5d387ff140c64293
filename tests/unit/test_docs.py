"""The documentation site's shape: every page is in mkdocs.yml's nav (and every nav entry is a page),
the six questions people come with are one click from the home page, and the README's links into the
docs lead to pages that exist. The strict build itself (links, anchors) is `scripts/docs.sh`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Each question, and the page the home page must link to for it.
QUESTIONS = {
    "back up a folder": "how-to/folders.md",
    "restore": "how-to/restore.md",
    "back up a database": "how-to/postgresql.md",
    "be alerted": "how-to/monitoring.md",
    "Kubernetes": "how-to/kubernetes.md",
    "drills": "how-to/drills.md",
}


def _targets(text: str) -> list[str]:
    """The targets of the relative Markdown links in `text`, without their anchors."""
    return re.findall(r"\]\((?!https?:|#)([^)#\s]+)", text)


def _links(page: Path) -> set[str]:
    """The pages a page links to, relative to the repository."""
    targets = _targets(page.read_text(encoding="utf-8"))
    return {str((page.parent / target).resolve().relative_to(ROOT)) for target in targets}


def _nav() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s+- (?:[^:\n]+: )?(\S+\.md)$", text, re.M)


def test_the_nav_lists_every_page_once_and_only_pages_there_are() -> None:
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(_nav()) == pages


@pytest.mark.parametrize("question", QUESTIONS)
def test_each_question_is_one_click_from_the_home_page(question: str) -> None:
    page = f"docs/{QUESTIONS[question]}"
    assert page in _links(DOCS / "index.md"), f"docs/index.md does not link to {page} ({question})"
    assert (ROOT / page).is_file()


def test_the_readme_links_into_the_docs_lead_to_pages() -> None:
    links = {link for link in _links(ROOT / "README.md") if link.startswith("docs/")}
    assert "docs/index.md" in links
    assert all((ROOT / link).is_file() for link in links), links


def test_links_are_read_as_written() -> None:
    """The link reader itself: anchors dropped, web links and in-page anchors left out."""
    text = "[a](restore.md#x) [b](../reference/glossary.md) [c](https://e.org/a.md) [d](#here)"
    assert _targets(text) == ["restore.md", "../reference/glossary.md"]


def _commands(text: str) -> set[str]:
    """Command lines (comments and surrounding blanks dropped, spaces squeezed) of `docker compose`."""
    found = set()
    for line in text.splitlines():
        command = " ".join(line.lstrip("# ").split("  #")[0].split())
        if "docker compose" in command:
            found.add(command[command.index("docker compose") :] if command.startswith("cd ") else command)
    return found


def test_the_readme_quick_start_runs_the_commands_the_compose_example_shows() -> None:
    """The README's compose quick start and the example's own comments (which its image test runs)
    say the same commands, so neither drifts from what was tested."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme[readme.index("## Run it") : readme.index("scripts/run-local.sh")]
    example = (ROOT / "examples" / "compose-folder" / "compose.yaml").read_text(encoding="utf-8")
    header = "\n".join(line for line in example.splitlines() if line.startswith("#"))
    shown = _commands(quick_start)
    assert len(shown) >= 4, shown
    assert shown <= _commands(header), shown - _commands(header)
