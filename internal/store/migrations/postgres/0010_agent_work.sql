-- PostgreSQL twin of ../0010_agent_work.sql (rewrites: docs/architecture.md, "Two engines").
-- Schema version 10: work the portal queues for cluster agents (DESIGN.md decision 9), and the agents themselves.

-- One row per piece of work for one cluster. An agent leases an item (lease_id, lease_until) while it applies it and
-- renews the lease while it watches the rollout; a lease that runs out belongs to an agent that died, and the item
-- is offered again. The work is idempotent (server-side apply), so applying it twice changes the cluster once.
-- payload never holds a secret in the clear: values that must not be kept travel in its "sealed" part, encrypted to
-- the cluster agent's public key (DESIGN.md decision 10).
CREATE TABLE agent_work (
    id              TEXT COLLATE "C" PRIMARY KEY,
    cluster         TEXT COLLATE "C" NOT NULL,
    kind            TEXT COLLATE "C" NOT NULL,
    ref             TEXT COLLATE "C" NOT NULL DEFAULT '',     -- who waits for it, e.g. action/act_12ab
    idempotency_key TEXT COLLATE "C" NOT NULL,
    request_hash    TEXT COLLATE "C" NOT NULL,                -- SHA-256 of kind and payload (without the sealed box)
    payload         TEXT COLLATE "C" NOT NULL,                -- JSON
    state           TEXT COLLATE "C" NOT NULL,                -- queued | leased | succeeded | failed
    lease_id        TEXT COLLATE "C" NOT NULL DEFAULT '',     -- the current (or, once finished, the reporting) lease
    lease_owner     TEXT COLLATE "C" NOT NULL DEFAULT '',     -- the agent's principal
    lease_until     BIGINT NOT NULL DEFAULT 0,   -- unix ms
    attempts        BIGINT NOT NULL DEFAULT 0,   -- leases taken
    result          TEXT COLLATE "C" NOT NULL DEFAULT '{}',   -- JSON, as the agent reported it
    error           TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    finished_at     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (cluster, idempotency_key)
);
CREATE INDEX agent_work_next ON agent_work(cluster, state, created_at);

-- The agent of each cluster as it last said hello: what it runs, and the public key sealed values are encrypted to.
CREATE TABLE agents (
    cluster      TEXT COLLATE "C" PRIMARY KEY,
    subject      TEXT COLLATE "C" NOT NULL,              -- the principal of its token
    agent_id     TEXT COLLATE "C" NOT NULL DEFAULT '',   -- pod or host name, as the agent says
    version      TEXT COLLATE "C" NOT NULL DEFAULT '',
    kube_version TEXT COLLATE "C" NOT NULL DEFAULT '',
    public_key   TEXT COLLATE "C" NOT NULL DEFAULT '',   -- base64 X25519 public key
    key_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
    first_seen   BIGINT NOT NULL,
    last_seen    BIGINT NOT NULL
);
