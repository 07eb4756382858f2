-- Atrium catalog, schema version 1.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE teams (
    name         TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    contact      TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- A service row; its lists live in child tables. doc_hash is the hash of the whole normalised document, so a
-- collector re-reading unchanged data writes nothing and the change feed stays quiet.
CREATE TABLE services (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    owner         TEXT NOT NULL,
    lifecycle     TEXT NOT NULL,
    type          TEXT NOT NULL,
    language      TEXT NOT NULL,
    system        TEXT NOT NULL DEFAULT '',
    tags          TEXT NOT NULL DEFAULT '[]',
    links         TEXT NOT NULL DEFAULT '[]',
    repo_url      TEXT NOT NULL DEFAULT '',
    repo_provider TEXT NOT NULL DEFAULT '',
    repo_branch   TEXT NOT NULL DEFAULT '',
    repo_path     TEXT NOT NULL DEFAULT '',
    repo_head     TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,
    synced_at     INTEGER NOT NULL,
    doc_hash      TEXT NOT NULL
);
CREATE INDEX services_owner ON services(owner, name);
CREATE INDEX services_language ON services(language, name);
CREATE INDEX services_lifecycle ON services(lifecycle, name);
CREATE INDEX services_source ON services(source);

CREATE TABLE dependencies (
    service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    ecosystem  TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    TEXT NOT NULL,
    constraint_text TEXT NOT NULL DEFAULT '',
    latest     TEXT NOT NULL DEFAULT '',
    dev        INTEGER NOT NULL DEFAULT 0,
    behind     TEXT NOT NULL DEFAULT '', -- major, minor, patch or empty: how far version lags latest
    PRIMARY KEY (service_id, ecosystem, name)
) WITHOUT ROWID;
CREATE INDEX dependencies_package ON dependencies(ecosystem, name);

CREATE TABLE findings (
    service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    severity   TEXT NOT NULL,
    summary    TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (service_id, ord)
) WITHOUT ROWID;

CREATE TABLE deployments (
    service_id  INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    cluster     TEXT NOT NULL,
    namespace   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    environment TEXT NOT NULL DEFAULT '',
    image       TEXT NOT NULL DEFAULT '',
    version     TEXT NOT NULL DEFAULT '',
    ready       INTEGER NOT NULL DEFAULT 0,
    desired     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, cluster, namespace, kind, name)
) WITHOUT ROWID;

-- Freshness of each collector: when it last finished, and how it went.
CREATE TABLE sources (
    name      TEXT PRIMARY KEY,
    synced_at INTEGER NOT NULL DEFAULT 0,
    status    TEXT NOT NULL DEFAULT '',
    message   TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
