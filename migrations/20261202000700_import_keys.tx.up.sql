-- What each import brought in: a row per thing read from a source (a Fider
-- backup, a CSV file), keyed by the source's own id for it, pointing at the
-- row it became here. A second run of the same import finds every key and
-- adds nothing; a later backup of the same portal adds only what is new.
CREATE TABLE import_keys (
  source     VARCHAR(20) NOT NULL,
  kind       VARCHAR(20) NOT NULL,
  key        VARCHAR(200) NOT NULL,
  local_id   BIGINT NOT NULL,
  created_at {{if .PG}}TIMESTAMPTZ{{else}}TIMESTAMP{{end}} NOT NULL,
  PRIMARY KEY (source, kind, key)
);
