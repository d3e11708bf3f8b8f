-- Full-text search over titles and bodies: FTS5 (porter stemming) kept in
-- step by triggers on SQLite; a generated, weighted tsvector on PostgreSQL.
{{if .PG}}
ALTER TABLE ideas ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
  setweight(to_tsvector('english', coalesce(body, '')), 'B')
) STORED;
--bun:split
CREATE INDEX ideas_search_idx ON ideas USING GIN (search);
{{else}}
CREATE VIRTUAL TABLE ideas_fts USING fts5(
  title, body, content='ideas', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
--bun:split
CREATE TRIGGER ideas_fts_insert AFTER INSERT ON ideas BEGIN
  INSERT INTO ideas_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
--bun:split
CREATE TRIGGER ideas_fts_delete AFTER DELETE ON ideas BEGIN
  INSERT INTO ideas_fts (ideas_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
--bun:split
CREATE TRIGGER ideas_fts_update AFTER UPDATE OF title, body ON ideas BEGIN
  INSERT INTO ideas_fts (ideas_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
  INSERT INTO ideas_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
{{end}}
