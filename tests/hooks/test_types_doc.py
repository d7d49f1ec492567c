"""docs/types-qos-quotas.md's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "types-qos-quotas.md"


def test_the_python_example_runs() -> None:
    [code] = re.findall(r"^```python\n(.*?)^```$", PAGE.read_text(encoding="utf-8"),
                        re.MULTILINE | re.DOTALL)
    exec(compile(code, str(PAGE), "exec"), {})
