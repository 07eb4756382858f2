-- Schema version 15: fleet configuration, installs, usage events and the developer directory (docs/fleet.md).
-- The portal's database uses every table; a desktop's replica uses usage_outbox only.

-- Every version of the fleet configuration, as the portal signed it: content is the canonical JSON document and
-- signature is ed25519 over the version and the content (fleet.SignedMessage). Versions only grow; a rollback is a
-- new version carrying an older version's content (rollback_of names it).
CREATE TABLE fleet_configs (
    version     INTEGER PRIMARY KEY,
    content     BLOB NOT NULL,
    signature   BLOB NOT NULL,
    key_id      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,          -- unix ms
    created_by  TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    rollback_of INTEGER NOT NULL DEFAULT 0
);

-- Each desktop install as it last reported on the change feed: id is stable per data directory, user is the
-- authenticated caller (never self-reported), the rest is what the install says of itself.
CREATE TABLE fleet_installs (
    id             TEXT PRIMARY KEY,
    user           TEXT NOT NULL,
    team           TEXT NOT NULL DEFAULT '',
    os             TEXT NOT NULL DEFAULT '',
    app_version    TEXT NOT NULL DEFAULT '',
    config_version INTEGER NOT NULL DEFAULT 0,
    config_error   TEXT NOT NULL DEFAULT '',  -- why the install refused the newest configuration it received
    first_seen     INTEGER NOT NULL,          -- unix ms
    last_seen      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX fleet_installs_last_seen ON fleet_installs(last_seen);

-- Usage, counted per day: who (the caller's subject, lower case), when (the UTC day, first and last time), which
-- page or action (kind and the page's route, never its parameters) and from which client. No content.
CREATE TABLE usage_events (
    day      TEXT NOT NULL,                -- YYYY-MM-DD, UTC
    user     TEXT NOT NULL,
    feature  TEXT NOT NULL,                -- catalog, self-service, flags, secrets, scorecards, admin, other
    kind     TEXT NOT NULL,                -- page.view, ui.ready, ...
    page     TEXT NOT NULL,                -- the route: catalog, service, flags, ...
    client   TEXT NOT NULL,                -- desktop, web, cli
    count    INTEGER NOT NULL,
    first_at INTEGER NOT NULL,             -- unix ms
    last_at  INTEGER NOT NULL,
    PRIMARY KEY (day, user, feature, kind, page, client)
) WITHOUT ROWID;

-- Who was active on which day: what the weekly-active KPI counts, kept with the events they come from.
CREATE TABLE usage_active (
    day  TEXT NOT NULL,
    user TEXT NOT NULL,
    PRIMARY KEY (day, user)
) WITHOUT ROWID;

-- A desktop's usage events waiting to be sent to its portal, counted per day, kind, page and client so that a
-- week offline stays a few hundred rows (docs/fleet.md: at most 2,000 rows, the oldest days dropped first).
CREATE TABLE usage_outbox (
    day      TEXT NOT NULL,
    kind     TEXT NOT NULL,
    page     TEXT NOT NULL,
    client   TEXT NOT NULL,
    count    INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    PRIMARY KEY (day, kind, page, client)
);

-- All developers, from the identity source (a GitHub organisation's members, or a list an admin uploads): the
-- weekly-active KPI's denominator. added_at is 0 for members of a source's first snapshot (members since before
-- records began); removed_at is 0 while a member.
CREATE TABLE developers (
    source     TEXT NOT NULL,              -- github:ORG, file, demo
    login      TEXT NOT NULL,              -- lower case
    added_at   INTEGER NOT NULL,
    removed_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, login)
) WITHOUT ROWID;

CREATE TABLE developer_teams (
    source TEXT NOT NULL,
    login  TEXT NOT NULL,
    team   TEXT NOT NULL,
    PRIMARY KEY (source, login, team)
) WITHOUT ROWID;

-- Other names a developer signs in with (an email, an SSO subject), lower case: usage by an alias counts for login.
CREATE TABLE developer_aliases (
    source TEXT NOT NULL,
    login  TEXT NOT NULL,
    alias  TEXT NOT NULL,
    PRIMARY KEY (source, alias)
) WITHOUT ROWID;
