-- Schema version 2: full-text search and the change feed (PostgreSQL twin of ../0002_search_feed.sql).

-- Search: where SQLite keeps an FTS5 index (unicode61 tokenizer, diacritics removed, prefix queries), PostgreSQL
-- keeps a tsvector per service, filled by a trigger as the FTS5 index is by its triggers. Words are cut as
-- unicode61 cuts them: ASCII punctuation separates words (the 'simple' parser alone would keep "payments-api" and
-- "atrium.io" whole), diacritics are removed (unaccent, a trusted extension: the database owner may create it),
-- case is folded by to_tsvector. Name and title carry weight A, so that a query can ask for matches there first
-- (FTS5's {name title} column filter).
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE FUNCTION atrium_search_words(t TEXT) RETURNS TEXT LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT unaccent(translate(t, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', repeat(' ', 32)))
$$;

-- Each field is its own run of positions, as FTS5's columns are: concatenating tsvectors continues the positions,
-- so a phrase could join the last word of one field to the first of the next ("payments" the owner, "accounting"
-- a tag, found by "payments-a"). A separator word between fields, deleted afterwards, leaves a gap no phrase spans.
CREATE FUNCTION atrium_services_search() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gap CONSTANT tsvector := to_tsvector('simple', 'atriumfieldgap');
BEGIN
    NEW.search := ts_delete(setweight(to_tsvector('simple', atrium_search_words(NEW.name)), 'A') || gap
        || setweight(to_tsvector('simple', atrium_search_words(NEW.title)), 'A') || gap
        || to_tsvector('simple', atrium_search_words(NEW.description)) || gap
        || to_tsvector('simple', atrium_search_words(NEW.owner)) || gap
        || to_tsvector('simple', atrium_search_words(NEW.tags)), 'atriumfieldgap');
    RETURN NEW;
END
$$;

ALTER TABLE services ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
CREATE TRIGGER services_search BEFORE INSERT OR UPDATE ON services
    FOR EACH ROW EXECUTE FUNCTION atrium_services_search();
UPDATE services SET name = name; -- index what is there (the FTS5 'rebuild')
CREATE INDEX services_search ON services USING gin(search);

-- The change feed: one row per entity, carrying the sequence number of its latest change. A reader that has seen
-- everything up to seq N asks for rows above N and gets each changed entity once, however often it changed.
-- Sequence numbers are handed out in commit order: writers of the feed hold the writers' lock (store/pgdriver.go).
CREATE TABLE feed (
    kind    TEXT COLLATE "C" NOT NULL,
    id      TEXT COLLATE "C" NOT NULL,
    seq     BIGINT NOT NULL UNIQUE,
    deleted BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, id)
);
INSERT INTO feed(kind, id, seq) SELECT 'team', name, ROW_NUMBER() OVER (ORDER BY name) FROM teams;
INSERT INTO feed(kind, id, seq)
    SELECT 'service', name, (SELECT COUNT(*) FROM teams) + ROW_NUMBER() OVER (ORDER BY id) FROM services;
