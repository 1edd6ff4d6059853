"""One module per department source: canonical records of a chunk (numeric, with mess codes) and their
rendering into the spec's columns."""
