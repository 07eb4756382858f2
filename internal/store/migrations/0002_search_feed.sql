-- Schema version 2: full-text search and the change feed.

-- External-content FTS5 index over the services table, kept in step by triggers.
CREATE VIRTUAL TABLE services_fts USING fts5(
    name, title, description, owner, tags,
    content='services', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2',
    prefix='1 2 3'
);
CREATE TRIGGER services_fts_ai AFTER INSERT ON services BEGIN
    INSERT INTO services_fts(rowid, name, title, description, owner, tags)
    VALUES (new.id, new.name, new.title, new.description, new.owner, new.tags);
END;
CREATE TRIGGER services_fts_ad AFTER DELETE ON services BEGIN
    INSERT INTO services_fts(services_fts, rowid, name, title, description, owner, tags)
    VALUES ('delete', old.id, old.name, old.title, old.description, old.owner, old.tags);
END;
CREATE TRIGGER services_fts_au AFTER UPDATE ON services BEGIN
    INSERT INTO services_fts(services_fts, rowid, name, title, description, owner, tags)
    VALUES ('delete', old.id, old.name, old.title, old.description, old.owner, old.tags);
    INSERT INTO services_fts(rowid, name, title, description, owner, tags)
    VALUES (new.id, new.name, new.title, new.description, new.owner, new.tags);
END;
INSERT INTO services_fts(services_fts) VALUES ('rebuild');

-- The change feed: one row per entity, carrying the sequence number of its latest change. A reader that has seen
-- everything up to seq N asks for rows above N and gets each changed entity once, however often it changed.
CREATE TABLE feed (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    seq     INTEGER NOT NULL UNIQUE,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
INSERT INTO feed(kind, id, seq) SELECT 'team', name, ROW_NUMBER() OVER (ORDER BY name) FROM teams;
INSERT INTO feed(kind, id, seq)
    SELECT 'service', name, (SELECT COUNT(*) FROM teams) + ROW_NUMBER() OVER (ORDER BY id) FROM services;

