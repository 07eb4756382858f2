-- Schema version 7: Kubernetes. What the collector saw in each cluster (portal only; replicas receive deployments
-- inside service documents), the clusters' states, and admins' claims of workloads no convention maps.

-- Deployments gain the autoscaler, health and last rollout. hpa_* are NULL when no HPA targets the workload.
ALTER TABLE deployments ADD COLUMN hpa_min INTEGER;
ALTER TABLE deployments ADD COLUMN hpa_max INTEGER;
ALTER TABLE deployments ADD COLUMN hpa_current INTEGER;
ALTER TABLE deployments ADD COLUMN hpa_desired INTEGER;
ALTER TABLE deployments ADD COLUMN health TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN health_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN rollout_at INTEGER NOT NULL DEFAULT 0;
-- The matrix lists clusters (columns) from here, on the portal and in replicas alike.
CREATE INDEX deployments_cluster ON deployments(environment, region, cluster);

-- Every workload of every registered cluster, mapped or not. service is the resolved mapping (claim, then
-- annotation, then label; '' when none); it may name a service the catalog does not (yet) have.
CREATE TABLE kube_workloads (
    cluster            TEXT NOT NULL,
    namespace          TEXT NOT NULL,
    kind               TEXT NOT NULL,
    name               TEXT NOT NULL,
    service            TEXT NOT NULL DEFAULT '',
    mapped_by          TEXT NOT NULL DEFAULT '', -- claim, annotation, label or ''
    annotation_service TEXT NOT NULL DEFAULT '',
    label_service      TEXT NOT NULL DEFAULT '',
    doc                TEXT NOT NULL,            -- JSON of catalog.Deployment
    PRIMARY KEY (cluster, namespace, kind, name)
) WITHOUT ROWID;
CREATE INDEX kube_workloads_service ON kube_workloads(service);

-- Registered clusters and how reaching them went. A cluster listed here owns the deployments in it: writes of
-- other collectors cannot replace them.
CREATE TABLE kube_clusters (
    name        TEXT PRIMARY KEY,
    region      TEXT NOT NULL DEFAULT '',
    environment TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT '',
    last_ok_at  INTEGER NOT NULL DEFAULT 0, -- unix ms: when its data was last known good
    checked_at  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Admins' mappings of workloads to services. cluster '' applies in every cluster.
CREATE TABLE kube_claims (
    id         INTEGER PRIMARY KEY,
    cluster    TEXT NOT NULL DEFAULT '',
    namespace  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    service    TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (cluster, namespace, kind, name)
);

-- Re-index a service for search only when a searched column changed: the collector rewrites services' hashes and
-- sync times whenever their deployments change, which would otherwise re-index every one of them each time.
DROP TRIGGER services_fts_au;
CREATE TRIGGER services_fts_au AFTER UPDATE ON services
WHEN old.name IS NOT new.name OR old.title IS NOT new.title OR old.description IS NOT new.description
    OR old.owner IS NOT new.owner OR old.tags IS NOT new.tags
BEGIN
    INSERT INTO services_fts(services_fts, rowid, name, title, description, owner, tags)
    VALUES ('delete', old.id, old.name, old.title, old.description, old.owner, old.tags);
    INSERT INTO services_fts(rowid, name, title, description, owner, tags)
    VALUES (new.id, new.name, new.title, new.description, new.owner, new.tags);
END;
