-- Schema version 6: self-service actions as durable jobs, their history, and the audit log.

-- An action is written here before anything runs. The worker claims it with a lease (lease_owner, lease_until);
-- a lease that ran out belongs to a worker that died, and the action is picked up again. Executors are idempotent,
-- so running an action twice creates its resource once.
CREATE TABLE actions (
    id              TEXT PRIMARY KEY,
    requester       TEXT NOT NULL,
    team            TEXT NOT NULL,
    service         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    params          TEXT NOT NULL,            -- JSON, as validated at request time
    environment     TEXT NOT NULL,
    region          TEXT NOT NULL,
    delivery        TEXT NOT NULL,            -- direct | gitops, fixed when requested
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,            -- SHA-256 of the normalised request, to catch a reused key
    state           TEXT NOT NULL,            -- pending_approval, approved, running, succeeded, failed, rejected
    approvers       TEXT NOT NULL DEFAULT '[]', -- JSON roles that may approve; [] = no approval needed
    result          TEXT NOT NULL DEFAULT '{}', -- JSON: queue_url, arn, pr_url, ...
    error           TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '', -- why it was rejected
    attempts        INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0, -- unix ms
    next_run_at     INTEGER NOT NULL DEFAULT 0, -- unix ms; a job waiting for a PR or a retry sleeps until then
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (requester, idempotency_key)
) WITHOUT ROWID;
CREATE INDEX actions_runnable ON actions(state, next_run_at);
CREATE INDEX actions_team ON actions(team, created_at);
CREATE INDEX actions_requester ON actions(requester, created_at);

-- Decisions of approvers, one row each.
CREATE TABLE action_approvals (
    action_id TEXT NOT NULL REFERENCES actions(id),
    approver  TEXT NOT NULL,
    decision  TEXT NOT NULL, -- approved | rejected
    reason    TEXT NOT NULL DEFAULT '',
    at        INTEGER NOT NULL,
    PRIMARY KEY (action_id, approver, decision)
) WITHOUT ROWID;

-- Every state change of an action: who moved it where, when and why.
CREATE TABLE action_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id  TEXT NOT NULL REFERENCES actions(id),
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    message    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX action_events_action ON action_events(action_id, id);

-- The audit log: every change and decision, never reads. Append-only.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL, -- unix ms
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,    -- e.g. token.created, action.approved
    resource   TEXT NOT NULL,    -- e.g. token/tok_ab12, action/act_cd34
    outcome    TEXT NOT NULL,    -- success | denied | failure
    detail     TEXT NOT NULL DEFAULT '{}', -- JSON
    request_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor, id);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE INDEX audit_log_resource ON audit_log(resource, id);
