"""build_data_docs: GX Data Docs (static HTML, index.html) from the validation results saved by
validate_delivery, plus one page per source suite describing its rules.

Validation itself runs on an ephemeral context (fast, no files); the docs are built by a throw-away GX
file context whose stores are filled from the saved JSON results, with its Data Docs site written to
``docs_dir``. The saved results carry no row values (see validate.scrub), so neither do the docs.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hedui.contracts._gxenv import gx_offline
from hedui.contracts.suites import SOURCES, load_suite


def build_data_docs(results_dir: Path, docs_dir: Path, *, suites_dir: Path | None = None) -> Path:
    gx_offline()
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    results_dir, docs_dir = Path(results_dir), Path(docs_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hedui-gx-docs-") as tmp:
        ctx = gx.get_context(mode="file", project_root_dir=tmp)
        ctx.config.analytics_enabled = False
        site = {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir.resolve())},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        for name in list(ctx.get_config().data_docs_sites or {}):
            ctx.delete_data_docs_site(name)
        ctx.add_data_docs_site(site_name="hedui", site_config=site)

        for source in SOURCES:
            try:
                ctx.suites.add(load_suite(source, suites_dir))
            except Exception:
                if suites_dir is None:
                    raise
        schema = ExpectationSuiteValidationResultSchema()
        for path in sorted(results_dir.rglob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if "results" not in data or "suite_name" not in data:
                continue
            vr = schema.load(data)
            meta = data.get("meta") or {}
            run = meta.get("run_id") or {}
            run_id = RunIdentifier(run_name=run.get("run_name") or path.parent.name, run_time=run.get("run_time"))
            hed = meta.get("hedui") or {}
            batch = (hed.get("delivery_id") or path.stem).replace("/", "_")
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=data["suite_name"]),
                run_id=run_id,
                batch_identifier=batch,
            )
            ctx.validation_results_store.set(key, vr)
        ctx.build_data_docs(site_names=["hedui"])
    index = docs_dir / "index.html"
    if not index.exists():  # pragma: no cover
        raise RuntimeError(f"GX did not write {index}")
    return index
