"""docs/maintainers.md's layout is the one the module docstrings give (make layout)."""

from __future__ import annotations

from tools import layout


def test_the_layout_is_current() -> None:
    assert layout.current_text() == layout.layout(), (
        "docs/maintainers.md's layout is stale: run make layout")


def test_every_module_of_the_package_is_in_it() -> None:
    text = layout.current_text()
    for path in (layout.ROOT / layout.PACKAGE).rglob("*.py"):
        if path.name != "__init__.py" and "__pycache__" not in path.parts:
            assert f" {path.name} " in text or f" {path.name}\n" in text, path


def test_a_description_is_the_docstrings_first_sentence(tmp_path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""The first one. The second\none.\n\nMore."""\n', encoding="utf-8")
    assert layout.summary(module) == "The first one"
    module.write_text('"""No period, e.g. this\nwraps"""\n', encoding="utf-8")
    assert layout.summary(module) == "No period, e.g. this wraps"
