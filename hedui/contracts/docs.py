"""build_data_docs: GX Data Docs (static HTML, index.html) from the validation results saved by
validate_delivery, plus one page per source suite describing its rules.

Validation itself runs on an ephemeral context (fast, no files); the docs are built by a throw-away GX
file context whose stores are filled from the saved JSON results, with its Data Docs site written to
``docs_dir``. The saved results carry no row values (see gx_results.scrub), so neither do the docs.

History: GX's index lists the validation pages whose result is in the context's store, and deletes the pages
of results it does not hold. So the store gets every night's saved results (``history_dir``, the
``validations/`` folder beside the warehouse), while only tonight's (``results_dir``) — and any older one whose
page is missing — are rendered again: the index lists every night, and a night's cost grows only with the
reading of the old results, not with re-rendering them. The reading is bounded too: only the results of runs
whose as-of date is within `keep_days` of tonight's (policy `deliveries.data_docs_days`, 92 by default) go into
the store, so GX drops the older pages and the site holds the last three months. A year of nights would
otherwise be read again every night. The results themselves stay under `validations/`: nothing is deleted.

Offline: the pages GX writes load their CSS and JavaScript from CDNs; `docs_assets.localise_site` points them
at vendored copies in ``static/vendor/`` (the center's network has no internet).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from hedui.contracts._gxenv import gx_offline
from hedui.contracts.docs_assets import localise_site
from hedui.contracts.suites import SOURCES, load_suite
from hedui.run_info import run_id_as_of


def _kept(path: Path, history_dir: Path, keep_from: dt.date | None) -> bool:
    """Whether a result under `history_dir` (in its run's folder) is recent enough to stay in the site; one whose
    folder is not named by a run cannot be dated, and stays."""
    parts = path.relative_to(history_dir).parts
    run_as_of = run_id_as_of(parts[0]) if len(parts) > 1 else None
    return keep_from is None or run_as_of is None or run_as_of >= keep_from


def _remove_empty_folders(root: Path) -> None:
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def build_data_docs(results_dir: Path, docs_dir: Path, *, suites_dir: Path | None = None,
                    history_dir: Path | None = None, keep_days: int | None = None) -> Path:
    """Render the results under `results_dir` into the site at `docs_dir`; its index lists those and every
    result under `history_dir` (default: `results_dir` only) of a run whose as-of date is at most `keep_days`
    before the as-of date of `results_dir` (all of them when `keep_days` is None). Returns the index page."""
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
        tonight = {path.resolve() for path in results_dir.rglob("*.json")}
        history = Path(history_dir or results_dir).resolve()
        tonight_as_of = run_id_as_of(results_dir.name)
        keep_from = tonight_as_of - dt.timedelta(days=keep_days) if keep_days is not None and tonight_as_of else None
        paths = sorted(tonight | {path.resolve() for path in history.rglob("*.json")
                                  if _kept(path.resolve(), history, keep_from)})
        render: list = list(ctx.expectations_store.list_keys())  # the suites' pages: cheap, always redone
        for path in paths:
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
            *folders, batch_name = key.to_tuple()
            page = docs_dir.joinpath("validations", *folders, f"{batch_name}.html")
            if path in tonight or not page.exists():
                render.append(key)
        ctx.build_data_docs(site_names=["hedui"], resource_identifiers=render or None)
    _remove_empty_folders(docs_dir / "validations")  # GX deletes a dropped run's pages, not their folders
    localise_site(docs_dir)
    index = docs_dir / "index.html"
    if not index.exists():  # pragma: no cover
        raise RuntimeError(f"GX did not write {index}")
    return index
