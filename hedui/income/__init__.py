"""Verified income (spec v2): the policy settings (`settings`) and the model (`model`, `model.sql`)."""
