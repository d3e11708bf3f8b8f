-- What product managers weigh. Each idea keeps the revenue at stake (the
-- sum of its distinct voting companies' monthly revenue, a company counted
-- once however many of its people voted; a voter without a company counts
-- as a customer of their own) and its count of critical votes, both changed
-- in the vote's transaction. idea_companies and idea_plans count each
-- idea's voters per company and per plan, so a vote learns in one index
-- probe whether its company is new to the idea, and the plan filter is one
-- probe per idea; idea_weeks counts the standing votes by the week they
-- were cast, for the triage chart. Weeks are numbered from Monday
-- 5 January 1970.
ALTER TABLE ideas ADD COLUMN revenue_cents BIGINT NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE ideas ADD COLUMN critical_count INTEGER NOT NULL DEFAULT 0;
--bun:split
CREATE INDEX ideas_revenue_idx ON ideas (revenue_cents DESC, id DESC) WHERE hidden_at IS NULL AND merged_into_id IS NULL;
--bun:split
CREATE INDEX ideas_status_revenue_idx ON ideas (status_id, revenue_cents DESC, id DESC) WHERE hidden_at IS NULL AND merged_into_id IS NULL;
--bun:split
-- A company's revenue is the largest any of its people carries: one probe.
CREATE INDEX users_company_idx ON users (company, mrr_cents);
--bun:split
-- The plans people are on, for the triage filter.
CREATE INDEX users_plan_idx ON users (plan);
--bun:split
CREATE TABLE idea_companies (
  idea_id BIGINT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
  company VARCHAR(200) NOT NULL,
  voters  INTEGER NOT NULL,
  PRIMARY KEY (idea_id, company)
);
--bun:split
-- The ideas a company voted for, recounted when its revenue changes.
CREATE INDEX idea_companies_company_idx ON idea_companies (company, idea_id);
--bun:split
CREATE TABLE idea_plans (
  idea_id BIGINT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
  plan    VARCHAR(100) NOT NULL,
  voters  INTEGER NOT NULL,
  PRIMARY KEY (idea_id, plan)
);
--bun:split
CREATE TABLE idea_weeks (
  idea_id BIGINT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
  week    INTEGER NOT NULL,
  votes   INTEGER NOT NULL,
  PRIMARY KEY (idea_id, week)
);
--bun:split
-- The votes already cast, counted by week; companies, plans and revenue
-- from the people who cast them.
INSERT INTO idea_weeks (idea_id, week, votes)
SELECT idea_id, w, count(*) FROM (
  SELECT idea_id, {{if .PG}}CAST(floor((extract(epoch FROM created_at) - 345600) / 604800) AS INTEGER){{else}}CAST((CAST(strftime('%s', created_at) AS INTEGER) - 345600) / 604800 AS INTEGER){{end}} AS w FROM votes
) AS v GROUP BY idea_id, w;
--bun:split
INSERT INTO idea_companies (idea_id, company, voters)
SELECT v.idea_id, u.company, count(*) FROM votes AS v JOIN users AS u ON u.id = v.user_id
WHERE u.company <> '' GROUP BY v.idea_id, u.company;
--bun:split
INSERT INTO idea_plans (idea_id, plan, voters)
SELECT v.idea_id, u.plan, count(*) FROM votes AS v JOIN users AS u ON u.id = v.user_id
WHERE u.plan <> '' GROUP BY v.idea_id, u.plan;
--bun:split
UPDATE ideas SET
  critical_count = (SELECT count(*) FROM votes AS v WHERE v.idea_id = ideas.id AND v.importance = 'critical'),
  revenue_cents = COALESCE((SELECT sum(u.mrr_cents) FROM votes AS v JOIN users AS u ON u.id = v.user_id
                            WHERE v.idea_id = ideas.id AND u.company = ''), 0)
                + COALESCE((SELECT sum((SELECT max(u.mrr_cents) FROM users AS u WHERE u.company = ic.company))
                            FROM idea_companies AS ic WHERE ic.idea_id = ideas.id), 0);
