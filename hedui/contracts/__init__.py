"""Data contracts: one Great Expectations suite per source (``data_contracts/*.json``), run over each
delivery's candidate rows; the failures drive ``quarantine.rows``. See data_contracts/README.md."""

from hedui.contracts.suites import SOURCES, ContractSuiteError, load_suite, load_suite_json
from hedui.contracts.errors import ContractRunError, ContractStructureError
from hedui.contracts.validate import ContractResult, validate_delivery
from hedui.contracts.docs import build_data_docs

__all__ = [
    "SOURCES", "ContractSuiteError", "load_suite", "load_suite_json", "ContractResult", "ContractRunError",
    "ContractStructureError", "validate_delivery", "build_data_docs",
]
