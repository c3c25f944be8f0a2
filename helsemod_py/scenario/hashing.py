"""What identifies a scenario: the SHA-256 of its resolved content (:attr:`Scenario.hash
<helsemod_py.scenario.core.Scenario.hash>`), and that of the baseline, known without loading the
schema."""

from __future__ import annotations

import hashlib
import json


def content_hash(body: dict) -> str:
    """SHA-256 of a scenario's resolved content as plain data (keys sorted)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


#: ``Scenario("baseline").hash``: no measures, no uncertainty, every assumption at its default.
BASELINE_HASH = content_hash({"assumptions": {}, "measures": [], "uncertainty": []})
