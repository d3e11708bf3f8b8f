-- What product managers weigh: who a person is to the company (their id in
-- the company's own app, their company, plan and monthly revenue), set by
-- single sign-on, the API or OpenID Connect claims; and how much a vote
-- matters to the voter.
ALTER TABLE users ADD COLUMN external_id VARCHAR(200);
--bun:split
ALTER TABLE users ADD COLUMN company VARCHAR(200) NOT NULL DEFAULT '';
--bun:split
ALTER TABLE users ADD COLUMN plan VARCHAR(100) NOT NULL DEFAULT '';
--bun:split
-- Monthly recurring revenue in whole cents, so sums are exact.
ALTER TABLE users ADD COLUMN mrr_cents BIGINT NOT NULL DEFAULT 0;
--bun:split
CREATE UNIQUE INDEX users_external_id_key ON users (external_id) WHERE external_id IS NOT NULL;
--bun:split
ALTER TABLE votes ADD COLUMN importance VARCHAR(10) NOT NULL DEFAULT '' CHECK (importance IN ('', 'nice', 'important', 'critical'));
