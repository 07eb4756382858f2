-- Schema version 4: the GitHub collector's memory and the newest-version cache, so that a restarted portal carries
-- on incrementally instead of starting from zero.

-- Conditional-request cache under the GitHub client: the last 200 answer per URL with its ETag. A repeat request
-- sends If-None-Match; GitHub's 304 costs no rate limit and the stored body is replayed.
CREATE TABLE github_http_cache (
    key       TEXT PRIMARY KEY,          -- method, Accept header and URL
    etag      TEXT NOT NULL,
    header    TEXT NOT NULL DEFAULT '{}', -- JSON of the headers worth replaying (Link, Content-Type)
    body      BLOB NOT NULL,
    stored_at INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per repository seen in an organisation (keyed by GitHub's repository id, which survives renames): what
-- the last sync saw and what it made of it.
CREATE TABLE github_repos (
    source         TEXT NOT NULL,             -- "github:<org>"
    id             INTEGER NOT NULL,
    full_name      TEXT NOT NULL,
    default_branch TEXT NOT NULL DEFAULT '',
    pushed_at      TEXT NOT NULL DEFAULT '',  -- as listed; a change means someone pushed to some branch
    head           TEXT NOT NULL DEFAULT '',  -- default-branch commit whose files were read
    meta_hash      TEXT NOT NULL DEFAULT '',  -- description, topics, language, URL...: a change means re-parse only
    files          TEXT NOT NULL DEFAULT '{}', -- JSON path -> {sha, size} of the wanted files at head
    notes          TEXT NOT NULL DEFAULT '[]', -- JSON findings about the repository itself (oversized files, truncated tree)
    services       TEXT NOT NULL DEFAULT '[]', -- JSON of the services parsed from them (without newest versions)
    error          TEXT NOT NULL DEFAULT '',  -- why the last attempt failed; '' when it succeeded
    error_at       INTEGER NOT NULL DEFAULT 0,
    synced_at      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;

-- Blob contents by git SHA: content-addressed, so a blob is fetched once however many repositories share it.
CREATE TABLE github_blobs (
    sha     TEXT PRIMARY KEY,
    content BLOB NOT NULL
) WITHOUT ROWID;

-- Newest released version per package, as a registry answered it; latest = '' when the registry does not know the
-- package. Refreshed on a schedule.
CREATE TABLE package_versions (
    ecosystem  TEXT NOT NULL,
    name       TEXT NOT NULL,
    latest     TEXT NOT NULL DEFAULT '',
    fetched_at INTEGER NOT NULL,
    error      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (ecosystem, name)
) WITHOUT ROWID;
