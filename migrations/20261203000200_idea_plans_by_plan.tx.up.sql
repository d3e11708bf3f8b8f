-- Triage's plan filter reads the ideas of a plan few customers are on from
-- here, rather than walking the whole ranking for them.
CREATE INDEX idea_plans_plan_idx ON idea_plans (plan, idea_id);
