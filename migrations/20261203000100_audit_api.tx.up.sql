-- The audit kinds gain what admins do to API keys and webhooks (the list is
-- models.AuditKinds, in its order).
DROP INDEX events_audit_idx;
--bun:split
DROP INDEX events_actor_audit_idx;
--bun:split
CREATE INDEX events_audit_idx ON events (id) WHERE kind IN ('idea.status_changed', 'idea.merged', 'idea.roadmap_moved', 'idea.hidden', 'idea.shown', 'comment.hidden', 'idea.approved', 'idea.declined', 'report.resolved', 'report.dismissed', 'user.role_changed', 'user.blocked', 'user.unblocked', 'board.created', 'board.updated', 'settings.changed', 'status.created', 'status.updated', 'status.merged', 'comment.approved', 'comment.declined', 'apikey.created', 'apikey.revoked', 'webhook.created', 'webhook.deleted', 'webhook.enabled');
--bun:split
CREATE INDEX events_actor_audit_idx ON events (actor_id, id) WHERE kind IN ('idea.status_changed', 'idea.merged', 'idea.roadmap_moved', 'idea.hidden', 'idea.shown', 'comment.hidden', 'idea.approved', 'idea.declined', 'report.resolved', 'report.dismissed', 'user.role_changed', 'user.blocked', 'user.unblocked', 'board.created', 'board.updated', 'settings.changed', 'status.created', 'status.updated', 'status.merged', 'comment.approved', 'comment.declined', 'apikey.created', 'apikey.revoked', 'webhook.created', 'webhook.deleted', 'webhook.enabled');
