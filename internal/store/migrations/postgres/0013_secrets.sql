-- PostgreSQL twin of ../0013_secrets.sql (rewrites: docs/architecture.md, "Two engines").
-- Schema version 13: secrets (docs/secrets.md). What the portal and every replica keep of a secret is its metadata
-- — where it exists, who created and rotated it, when it was last read — never its value (DESIGN.md decision 10).

-- One row per secret of a service, its metadata as one JSON document (catalog.Secret: locations in environments,
-- regions and clusters, what is missing, who created and rotated it). Carried by the change feed as kind "secret".
CREATE TABLE secrets (
    id      TEXT COLLATE "C" PRIMARY KEY,          -- SERVICE/NAME
    service TEXT COLLATE "C" NOT NULL,
    team    TEXT COLLATE "C" NOT NULL DEFAULT '',
    name    TEXT COLLATE "C" NOT NULL,
    doc     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX secrets_service ON secrets(service);
CREATE INDEX secrets_team ON secrets(team);

-- A value on its way to its backends, held from the request until each target has it (portal only; replicas never
-- fill it). box is a NaCl anonymous box sealed to the key that will open it: the cluster agent's public key for a
-- Kubernetes target, the portal's staging key (a file outside this database) for AWS Secrets Manager and the local
-- vault. It is deleted as soon as its target has the value, and with its action once that is rejected, cancelled
-- or failed for longer than the retry window. ref is the reference the action's parameters hold instead of the
-- value.
CREATE TABLE secret_staged (
    ref        TEXT COLLATE "C" NOT NULL,
    target     TEXT COLLATE "C" NOT NULL,           -- the target's id (environment/region[/cluster/namespace])
    key_id     TEXT COLLATE "C" NOT NULL,           -- the key the box is sealed to
    box        BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ref, target)
);

-- What the GitHub collector found scanning a repository's risky files for committed secrets (docs/secrets.md): per
-- file its blob SHA and the findings (kind, line; never the matched text), so an unchanged file is not fetched
-- again. The scanned content itself is never stored.
ALTER TABLE github_repos ADD COLUMN scans TEXT COLLATE "C" NOT NULL DEFAULT '{}';
