-- PostgreSQL twin of ../0003_auth.sql (rewrites: docs/architecture.md, "Two engines").
-- Schema version 3: API tokens. Only a SHA-256 of each token is kept; the token itself is shown once.
CREATE TABLE api_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    hash         TEXT COLLATE "C" NOT NULL UNIQUE,
    subject      TEXT COLLATE "C" NOT NULL,
    grants       TEXT COLLATE "C" NOT NULL DEFAULT '[]', -- JSON [{"role": "...", "team": "..."}]
    scopes       TEXT COLLATE "C" NOT NULL DEFAULT '[]', -- JSON ["catalog:read", "flags:evaluate:production", ...]
    created_by   TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL DEFAULT 0, -- unix ms; 0 = never
    revoked_at   BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT NOT NULL DEFAULT 0
);
