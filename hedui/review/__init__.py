"""The clerical review of uncertain links: the workbook the center's linkage staff decide in (`export`), the
decisions read back (`importing`), what a confirmed link says in the warnings' evidence (`evidence_note`) and
the queue's health (`queue`). The decisions are applied by the linking stage (`matching.review_decisions`)."""
