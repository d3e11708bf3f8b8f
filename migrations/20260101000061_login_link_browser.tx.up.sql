-- A sign-in link remembers (as a hash) the browser that asked for it, so
-- that it signs in at once only there; and asking for a new link retires the
-- older ones of that address, found by this index.
ALTER TABLE login_tokens ADD COLUMN browser_hash VARCHAR(64) NOT NULL DEFAULT '';
--bun:split
CREATE INDEX login_tokens_email_idx ON login_tokens (email, expires_at);
