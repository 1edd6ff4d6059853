"""The errors a contract run raises, whichever engine ran it (``compiled.py``, ``gx_engine.py``)."""

from __future__ import annotations


class ContractStructureError(RuntimeError):
    """The candidate table lacks columns the suite needs (the connector/contract interface is broken)."""

    def __init__(self, source: str, columns: list[str]):
        super().__init__(f"{source}: candidate table lacks columns {columns}")
        self.columns = columns


class ContractRunError(RuntimeError):
    """An expectation could not be evaluated; nothing is quarantined on a half-run contract."""
