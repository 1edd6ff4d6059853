"""The warnings the spec samples must raise as of 2026-11-03, as their README lists them, written once.

The expected set lives in the tests, not in the package under test: a rule change that moved both the
warnings and a package-side copy of this set would otherwise pass unnoticed. Subjects are
(rule_code, household_id, person_id); household-level warnings have no person, outreach has no household.
"""

from __future__ import annotations

EXPECTED_SAMPLE_WARNINGS = frozenset({
    ("ASSET_PROPERTY", "CN-S-0001", None),
    ("ASSET_VEHICLE", "CN-S-0001", "43048219901123357X"),
    ("ASSET_VEHICLE", "CN-S-0002", "430482197801304687"),
    ("HARDSHIP_MEDICAL", "CN-S-0001", None),
    ("HARDSHIP_MAJOR_ILLNESS", "CN-S-0001", "430482196203151313"),
    ("HARDSHIP_DISABILITY", "CN-S-0002", "430482197801304687"),
    ("HARDSHIP_DISABILITY", "CN-S-0002", "430482200805065227"),
    ("CHANGE_DECEASED", "CN-S-0001", "430482196508022424"),
    ("OUTREACH_SEVERE_DISABILITY", None, "430482197209099119"),
})
