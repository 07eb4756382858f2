-- PostgreSQL twin of ../0011_action_steps.sql (rewrites: docs/architecture.md, "Two engines").
-- Schema version 11: actions made of ordered steps (the golden path's run, later secrets and drift fixes), retry
-- and cancel, a version to follow an action by, and where a service created by an action came from.

-- One row per step of an action, written before the step runs and updated when it finishes, so a run resumed
-- after a crash starts at the first step that did not finish and a retry redoes only the failed step and those
-- after it. output is JSON (repository URL, commit SHA, pull request URL, agent work id, in-cluster URL);
-- left_behind says in a phrase what the step made that outlives a cancelled run.
CREATE TABLE action_steps (
    action_id   TEXT COLLATE "C" NOT NULL REFERENCES actions(id),
    step        TEXT COLLATE "C" NOT NULL,
    ord         BIGINT NOT NULL,
    title       TEXT COLLATE "C" NOT NULL DEFAULT '',
    state       TEXT COLLATE "C" NOT NULL,               -- pending, running, succeeded, failed, skipped
    started_at  BIGINT NOT NULL DEFAULT 0,  -- unix ms of the first start; 0 before
    finished_at BIGINT NOT NULL DEFAULT 0,  -- unix ms; 0 while not finished
    attempts    BIGINT NOT NULL DEFAULT 0,  -- starts: the first, resumptions after a crash, retries
    run_attempt BIGINT NOT NULL DEFAULT 0,  -- the action's attempt in which the step last started
    output      TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    error       TEXT COLLATE "C" NOT NULL DEFAULT '',
    left_behind TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (action_id, step)
);

-- version grows with every change a reader can see (state, steps, result), so a client can wait for the next one
-- (GET /actions/{id}?wait=...&version=N). cancel_requested is set when a cancel arrives while a step runs: the
-- run stops before its next step. document is what a multi-step action runs, fixed at request time (the golden
-- path's plan, exactly as the requester reviewed it); it is not part of the action's JSON.
ALTER TABLE actions ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE actions ADD COLUMN cancel_requested BIGINT NOT NULL DEFAULT 0;
ALTER TABLE actions ADD COLUMN document TEXT COLLATE "C" NOT NULL DEFAULT '';

-- Where a service came from when a portal action created it (the golden path): the template (name@version) and
-- the action. Collectors that later read the service's repository leave both as they are (store.putService).
ALTER TABLE services ADD COLUMN template TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN created_by_action TEXT COLLATE "C" NOT NULL DEFAULT '';
