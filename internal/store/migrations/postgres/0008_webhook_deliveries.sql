-- PostgreSQL twin of ../0008_webhook_deliveries.sql (rewrites: docs/architecture.md, "Two engines").
-- Verified webhook deliveries, remembered for a while so that a delivery is acted on once: GitHub redelivers with
-- the same X-GitHub-Delivery id, and a captured body replayed by someone else may carry any id (the signature
-- covers the body only), so both the id and the body's signature identify a delivery.
CREATE TABLE webhook_deliveries (
    source      TEXT COLLATE "C" NOT NULL,    -- "github"
    digest      TEXT COLLATE "C" NOT NULL,    -- hex HMAC-SHA256 of the body (its verified signature)
    delivery_id TEXT COLLATE "C" NOT NULL,    -- X-GitHub-Delivery; '' when absent
    event       TEXT COLLATE "C" NOT NULL,
    received_at BIGINT NOT NULL, -- Unix milliseconds
    PRIMARY KEY (source, digest)
);
CREATE UNIQUE INDEX webhook_deliveries_id ON webhook_deliveries(source, delivery_id) WHERE delivery_id != '';
CREATE INDEX webhook_deliveries_received ON webhook_deliveries(received_at);
