-- Schema version 14: drift detection (docs/drift.md). (Version 15 is another branch's; the numbers are only an
-- order.)

-- One row per drift item — a resource missing where its siblings exist, live but declared nowhere, or changed from
-- its gitops declaration — its document as JSON (catalog.DriftItem: fields that differ, since when, who last
-- changed it, acknowledgement). Carried by the change feed as kind "drift", so desktops show drift offline.
-- Resolved items stay (resolved_at set) for a week, then go.
CREATE TABLE drift_items (
    id          TEXT PRIMARY KEY,
    service     TEXT NOT NULL DEFAULT '',
    team        TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    resolved_at INTEGER NOT NULL DEFAULT 0,  -- unix ms; 0 while the drift lasts
    doc         TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX drift_items_service ON drift_items(service);
CREATE INDEX drift_items_team ON drift_items(team);

-- Alerts waiting to be posted to the drift webhook (new drift, resolved drift), written in the same transaction as
-- the change they announce, deleted once posted (as scorecard_outbox).
CREATE TABLE drift_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    service    TEXT NOT NULL,
    payload    TEXT NOT NULL,             -- JSON: the Slack-compatible message
    created_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL DEFAULT 0, -- unix ms: not before
    last_error TEXT NOT NULL DEFAULT ''
);

-- The GitHub collector reads gitops files (Kubernetes manifests, Terraform) of the repositories drift names besides
-- descriptors and manifests; extra fingerprints the rule that chose them, so that a repository is read again when
-- the rule changes.
ALTER TABLE github_repos ADD COLUMN extra TEXT NOT NULL DEFAULT '';
