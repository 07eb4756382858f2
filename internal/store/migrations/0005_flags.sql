-- Schema version 5: feature flags. One flag set per environment; each flag's definition is flagd JSON.

-- The set-level parts of an environment's flag-definition file, and an ETag over the whole set: a content hash
-- written in the same transaction as every change, so an unchanged set keeps its ETag across restarts.
CREATE TABLE flag_sets (
    environment TEXT PRIMARY KEY,
    schema_url  TEXT NOT NULL DEFAULT '',
    evaluators  TEXT NOT NULL DEFAULT '{}', -- JSON object: $evaluators
    metadata    TEXT NOT NULL DEFAULT '{}', -- JSON object: flag-set metadata
    etag        TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL DEFAULT 0, -- unix ms
    updated_by  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE flags (
    environment TEXT NOT NULL,
    key         TEXT NOT NULL,
    team        TEXT NOT NULL DEFAULT '',
    owner       TEXT NOT NULL DEFAULT '',
    definition  TEXT NOT NULL,            -- the flag's flagd JSON (canonical: keys sorted)
    version     INTEGER NOT NULL,         -- 1 at creation, +1 on every change of definition, team or owner
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,         -- unix ms of the last change
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (environment, key)
) WITHOUT ROWID;
CREATE INDEX flags_team ON flags(team, environment, key);

-- Every change of a flag, with the definitions before and after (NULL when the flag did not or no longer exists).
CREATE TABLE flag_history (
    id          INTEGER PRIMARY KEY,
    environment TEXT NOT NULL,
    key         TEXT NOT NULL,
    version     INTEGER NOT NULL,          -- the flag's version after the change (before it, for deletions)
    action      TEXT NOT NULL,             -- create, update, delete, import
    team        TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL,
    at          INTEGER NOT NULL,          -- unix ms
    comment     TEXT NOT NULL DEFAULT '',
    before      TEXT,
    after       TEXT
);
CREATE INDEX flag_history_flag ON flag_history(environment, key, id);
