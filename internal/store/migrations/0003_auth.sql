-- Schema version 3: API tokens. Only a SHA-256 of each token is kept; the token itself is shown once.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    subject      TEXT NOT NULL,
    grants       TEXT NOT NULL DEFAULT '[]', -- JSON [{"role": "...", "team": "..."}]
    scopes       TEXT NOT NULL DEFAULT '[]', -- JSON ["catalog:read", "flags:evaluate:production", ...]
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL DEFAULT 0, -- unix ms; 0 = never
    revoked_at   INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
