-- Fixed-window counters for the limits every instance shares: one row per
-- limit and key (the key is hashed: it may be an email address), counting
-- the hits of the window that started at window_start. A hit is one upsert;
-- rows whose window has ended are deleted by the hourly upkeep.
CREATE TABLE rate_limits (
  bucket       VARCHAR(100) PRIMARY KEY,
  window_start BIGINT NOT NULL,
  hits         INTEGER NOT NULL,
  expires_at   {{if .PG}}TIMESTAMPTZ{{else}}TIMESTAMP{{end}} NOT NULL
);
--bun:split
CREATE INDEX rate_limits_expires_idx ON rate_limits (expires_at);
