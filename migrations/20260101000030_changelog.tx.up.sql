-- The changelog and the roadmap's done column list the ideas of one status
-- by when they last changed, newest first.
CREATE INDEX ideas_status_updated_idx ON ideas (status_id, updated_at DESC, id DESC) WHERE hidden_at IS NULL AND merged_into_id IS NULL;
