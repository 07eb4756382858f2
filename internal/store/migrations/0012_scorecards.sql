-- Schema version 12: scorecards and the deploy gate (docs/scorecards.md).

-- What the GitHub collector saw of a service's repository configuration: JSON of catalog.RepoFacts, '' when no
-- collector looked (a service that is not on GitHub). Part of the service document, so replicas receive it too.
ALTER TABLE services ADD COLUMN repo_facts TEXT NOT NULL DEFAULT '';

-- The collector's memory of each repository's tree facts (README per directory, CODEOWNERS, workflows; JSON of
-- catalog.RepoTree at head) and of its default branch's protection (JSON of catalog.BranchProtection; '' unknown),
-- read at protection_at (unix ms).
ALTER TABLE github_repos ADD COLUMN tree TEXT NOT NULL DEFAULT '';
ALTER TABLE github_repos ADD COLUMN protection TEXT NOT NULL DEFAULT '';
ALTER TABLE github_repos ADD COLUMN protection_at INTEGER NOT NULL DEFAULT 0;

-- Each service's scorecard as last computed (on the portal) or received (in a replica). card is the JSON of
-- catalog.Scorecard without its history; the columns beside it are what lists filter, sort and average.
CREATE TABLE scorecards (
    service    TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    score      INTEGER NOT NULL,
    level      TEXT NOT NULL,
    below      INTEGER NOT NULL,
    failing    INTEGER NOT NULL,           -- rules failed
    card       TEXT NOT NULL,
    changed_at INTEGER NOT NULL,           -- unix ms: when the score or level last changed
    warned     TEXT NOT NULL DEFAULT ''    -- portal: the state owners were last warned of, "level" or "level below"
) WITHOUT ROWID;
CREATE INDEX scorecards_owner ON scorecards(owner, score);
CREATE INDEX scorecards_score ON scorecards(score, service);

-- A service's score at the end of each day (UTC) on which it changed; a day without a row kept the previous
-- day's score. Trends read the last row on or before each day they show.
CREATE TABLE scorecard_history (
    service TEXT NOT NULL,
    day     TEXT NOT NULL, -- YYYY-MM-DD
    score   INTEGER NOT NULL,
    level   TEXT NOT NULL,
    PRIMARY KEY (service, day)
) WITHOUT ROWID;

-- Warnings to owners waiting to be posted to the configured webhook, written in the same transaction as the
-- score change they announce (so each change is posted once, also across restarts) and deleted once posted.
CREATE TABLE scorecard_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    service    TEXT NOT NULL,
    payload    TEXT NOT NULL,             -- JSON: the Slack-compatible message
    created_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL DEFAULT 0, -- unix ms: not before
    last_error TEXT NOT NULL DEFAULT ''
);

-- Admins' exceptions to the deploy gate: one service, one environment, until expires_at (portal only).
CREATE TABLE gate_exceptions (
    id          TEXT PRIMARY KEY,
    service     TEXT NOT NULL,
    environment TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER NOT NULL DEFAULT 0,
    revoked_by  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX gate_exceptions_service ON gate_exceptions(service, environment, expires_at);
