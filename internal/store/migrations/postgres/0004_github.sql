-- PostgreSQL twin of ../0004_github.sql (rewrites: docs/architecture.md, "Two engines").
-- Schema version 4: the GitHub collector's memory and the newest-version cache, so that a restarted portal carries
-- on incrementally instead of starting from zero.

-- Conditional-request cache under the GitHub client: the last 200 answer per URL with its ETag. A repeat request
-- sends If-None-Match; GitHub's 304 costs no rate limit and the stored body is replayed.
CREATE TABLE github_http_cache (
    key       TEXT COLLATE "C" PRIMARY KEY,          -- method, Accept header and URL
    etag      TEXT COLLATE "C" NOT NULL,
    header    TEXT COLLATE "C" NOT NULL DEFAULT '{}', -- JSON of the headers worth replaying (Link, Content-Type)
    body      BYTEA NOT NULL,
    stored_at BIGINT NOT NULL
);

-- One row per repository seen in an organisation (keyed by GitHub's repository id, which survives renames): what
-- the last sync saw and what it made of it.
CREATE TABLE github_repos (
    source         TEXT COLLATE "C" NOT NULL,             -- "github:<org>"
    id             BIGINT NOT NULL,
    full_name      TEXT COLLATE "C" NOT NULL,
    default_branch TEXT COLLATE "C" NOT NULL DEFAULT '',
    pushed_at      TEXT COLLATE "C" NOT NULL DEFAULT '',  -- as listed; a change means someone pushed to some branch
    head           TEXT COLLATE "C" NOT NULL DEFAULT '',  -- default-branch commit whose files were read
    meta_hash      TEXT COLLATE "C" NOT NULL DEFAULT '',  -- description, topics, language, URL...: a change means re-parse only
    files          TEXT COLLATE "C" NOT NULL DEFAULT '{}', -- JSON path -> {sha, size} of the wanted files at head
    notes          TEXT COLLATE "C" NOT NULL DEFAULT '[]', -- JSON findings about the repository itself (oversized files, truncated tree)
    services       TEXT COLLATE "C" NOT NULL DEFAULT '[]', -- JSON of the services parsed from them (without newest versions)
    error          TEXT COLLATE "C" NOT NULL DEFAULT '',  -- why the last attempt failed; '' when it succeeded
    error_at       BIGINT NOT NULL DEFAULT 0,
    synced_at      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (source, id)
);

-- Blob contents by git SHA: content-addressed, so a blob is fetched once however many repositories share it.
CREATE TABLE github_blobs (
    sha     TEXT COLLATE "C" PRIMARY KEY,
    content BYTEA NOT NULL
);

-- Newest released version per package, as a registry answered it; latest = '' when the registry does not know the
-- package. Refreshed on a schedule.
CREATE TABLE package_versions (
    ecosystem  TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    latest     TEXT COLLATE "C" NOT NULL DEFAULT '',
    fetched_at BIGINT NOT NULL,
    error      TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (ecosystem, name)
);
