"""Read a tempest run's subunit v2 stream; print one JSON object per test: id, outcome
(passed, failed, skipped) and why (a skip's reason, a failure's exception).

Run with .venv-tempest's python (it has python-subunit and testtools), from
conformance/tempest.py: ``python conformance/tempest_subunit.py RESULTS.subunit``.
"""

import json
import re
import sys

import subunit
import testtools

OUTCOMES = {"success": "passed", "xfail": "passed", "skip": "skipped", "fail": "failed",
            "uxsuccess": "failed"}
# tempest's attributes after the test name: [id-<uuid>,smoke]
ATTRIBUTES = re.compile(r"\[[^\]]*\]$")


# The line a traceback ends with: a qualified exception (tempest.lib.exceptions.NotFound:)
# or a builtin one (AttributeError:, testtools' MismatchError:).
EXCEPTION = re.compile(r"^(?:[a-z_]\w*\.)+[A-Z]\w*: |^[A-Z]\w*(?:Error|Exception|Failure)\b")


def reason(test: dict) -> str:
    """A skip's reason; a failure's last exception line and its Details line. Ports and
    request ids are masked: the files these go to are compared across runs."""
    details = test.get("details") or {}
    text = ""
    for key in ("reason", "traceback"):
        if key in details:
            text = details[key].as_text()
            break
    if test["status"] != "skip":
        lines = [line for line in text.splitlines() if line.strip()]
        found = [i for i, line in enumerate(lines) if EXCEPTION.match(line)]
        first = found[-1] if found else len(lines) - 1
        text = " ".join(line for line in lines[first:first + 2]
                        if line is lines[first] or line.startswith("Details:"))
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", " ".join(text.split()))
    text = re.sub(r"\b0x[0-9a-f]+\b", "0x<address>", text)
    return re.sub(r"req-[0-9a-f-]{36}", "req-<id>", text)[:300]


def main(path: str) -> int:
    tests = []
    with open(path, "rb") as stream:
        result = testtools.StreamToDict(tests.append)
        result.startTestRun()
        subunit.ByteStreamToStreamResult(stream).run(result)
        result.stopTestRun()
    for test in tests:
        outcome = OUTCOMES.get(test["status"])
        if outcome is None:  # "exists", "inprogress": listed, never ran
            continue
        print(json.dumps({"id": ATTRIBUTES.sub("", test["id"]), "outcome": outcome,
                          "reason": reason(test)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
