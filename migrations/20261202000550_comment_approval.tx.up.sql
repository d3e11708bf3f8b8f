-- Comments may wait for approval as ideas do: a waiting comment is stored
-- hidden (and uncounted), with moderation 'pending'; approving it shows and
-- counts it.
ALTER TABLE comments ADD COLUMN moderation VARCHAR(10) NOT NULL DEFAULT '' CHECK (moderation IN ('', 'pending', 'declined'));
--bun:split
CREATE INDEX comments_pending_idx ON comments (id) WHERE moderation = 'pending';
--bun:split
-- The audit kinds gain comment.approved and comment.declined (the list is
-- models.AuditKinds, in its order).
DROP INDEX events_audit_idx;
--bun:split
DROP INDEX events_actor_audit_idx;
--bun:split
CREATE INDEX events_audit_idx ON events (id) WHERE kind IN ('idea.status_changed', 'idea.merged', 'idea.roadmap_moved', 'idea.hidden', 'idea.shown', 'comment.hidden', 'idea.approved', 'idea.declined', 'report.resolved', 'report.dismissed', 'user.role_changed', 'user.blocked', 'user.unblocked', 'board.created', 'board.updated', 'settings.changed', 'status.created', 'status.updated', 'status.merged', 'comment.approved', 'comment.declined');
--bun:split
CREATE INDEX events_actor_audit_idx ON events (actor_id, id) WHERE kind IN ('idea.status_changed', 'idea.merged', 'idea.roadmap_moved', 'idea.hidden', 'idea.shown', 'comment.hidden', 'idea.approved', 'idea.declined', 'report.resolved', 'report.dismissed', 'user.role_changed', 'user.blocked', 'user.unblocked', 'board.created', 'board.updated', 'settings.changed', 'status.created', 'status.updated', 'status.merged', 'comment.approved', 'comment.declined');
