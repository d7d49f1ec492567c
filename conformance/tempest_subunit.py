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


def reason(test: dict) -> str:
    """A skip's reason, else the failure's last exception line (with its Details line)."""
    details = test.get("details") or {}
    text = ""
    for key in ("reason", "traceback"):
        if key in details:
            text = details[key].as_text()
            break
    if test["status"] != "skip":
        lines = [line for line in text.splitlines() if line.strip()]
        exception = [i for i, line in enumerate(lines) if re.match(r"^[\w.]+(Error|Exception|"
                     r"Failure|NotFound|Forbidden|BadRequest|Conflict|Unauthorized|"
                     r"ServerFault|TimeoutException|\w+): ", line)]
        text = " ".join(lines[exception[-1]:exception[-1] + 2] if exception else lines[-1:])
    return " ".join(text.split())[:300]


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
