"""Matching policy: the thresholds and options a city may override in `policy.yaml` (section `matching`).

Weights are log2 Bayes factors (Fellegi–Sunter match weights): a weight of 20 means the evidence is 2**20
(about a million) times more likely for the same person than for two different people.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    # A fuzzy candidate whose total weight reaches this is linked (method `fuzzy`).
    "auto_accept_weight": 20.0,
    # ... and at least this many bits above the weight of everyone else who could be the record's person, taken
    # together (matching.decision): its other candidates, the members of its name the blocking did not compare,
    # every other member at the ratio expected of a member whose name differs (0.12), and the non-members of its
    # name the registers know, weighed on their valid ID (when the record carries digits) and their nearest home. 7 bits keeps the odds
    # of every automatic link at 128 to 1 or better, whatever the size of the city: a rare name in its village
    # clears it in a register of 100,000 (20.6 bits), a name other members bear nearby does not.
    "auto_accept_prior_margin": 7.0,
    # Candidates from this weight up to the auto-accept weight go to linked.link_review (reason `review_band`).
    "review_floor_weight": 12.0,
    # A record whose runner-up candidate is within this many bits of the best (and itself at least the
    # review floor) is ambiguous: all such candidates go to review, none is linked.
    "ambiguity_margin": 6.0,
    # Blocking: a blocking key shared by more members than this is skipped (a common name in a big village
    # would otherwise explode the candidate pairs); ID-fragment keys are never this large.
    "max_block_size": 500,
    # Blocking: which key families to use (id_windows, name_township, surname_village, given_village,
    # name_birth).
    "blocking_keys": ["id_windows", "name_township", "surname_village", "given_village", "name_birth"],
    # Term-frequency smoothing: the observed frequency of a name (or the share of members in a village) is
    # shrunk towards a prior as if this many more people had been seen. Keeps small cities sensible.
    "tf_prior_population": 100000,
    # Prior share of people who carry one given full name (an average name).
    "name_prior_frequency": 0.0001,
    # Prior share of members who live in one village / one township.
    "village_prior_share": 0.0005,
    "township_prior_share": 0.05,
}

POLICY_SECTION = "matching"


def settings_from_run(run) -> dict[str, Any]:
    """The matching section of the run's policy, over DEFAULTS (unknown keys raise PolicyError)."""
    return run.policy.section(POLICY_SECTION, DEFAULTS)
