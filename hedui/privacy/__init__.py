"""Personal-data protection: pseudonymous analyst tables (`pseudonyms`) and redaction of error text (`redact`).

See docs/personal-data.md."""

from hedui.privacy.pseudonyms import (
    KEY_ENV, KEY_FILE_ENV, PSEUDO_TABLES, PseudonymKeyError, build_pseudonymous_views, drop_pseudonymous_views,
    export_pseudonymous, load_pseudonym_key, pseudonym, refresh_pseudonymous_views,
)
from hedui.privacy.redact import redact_error_text

__all__ = [
    "KEY_ENV", "KEY_FILE_ENV", "PSEUDO_TABLES", "PseudonymKeyError", "build_pseudonymous_views",
    "drop_pseudonymous_views", "export_pseudonymous", "load_pseudonym_key", "pseudonym",
    "redact_error_text", "refresh_pseudonymous_views",
]
