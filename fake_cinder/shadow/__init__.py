"""Shadow, record and replay: the fake side by side with a real Cinder (docs/shadow.md).

- ``proxy``: ``fake-cinder shadow``/``record``: forwards to the upstream Cinder, replays on an
  in-process fake off the consumer's path, compares;
- ``adopt``: what the fake has never seen, taken from the cloud's answers into its state;
- ``compare``: one comparison of two answers, through the conformance normaliser and
  departures list;
- ``report``: JSON lines, the summary, the markdown report and the JUnit file;
- ``redact``: what never reaches a report or a recording;
- ``cassette``: recordings, their replay and ``--to-pytest``.
"""

import sys
from pathlib import Path

# The comparison rules are the conformance harness's (conformance/normalise.py,
# departures.py), which ship with a checkout: make them importable from one.
_CHECKOUT = Path(__file__).resolve().parents[2]
if (_CHECKOUT / "conformance" / "departures.py").is_file() and str(_CHECKOUT) not in sys.path:
    sys.path.append(str(_CHECKOUT))
