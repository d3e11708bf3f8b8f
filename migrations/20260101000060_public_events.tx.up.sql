-- A feed's version (its ETag, Last-Modified and updated time) is the newest
-- event whose effect the public could see (models.FeedVersion), so that
-- activity on private boards and hidden ideas never shows in public feeds,
-- not even as a changed date. Each event says whether it was public when it
-- happened, decided here as it is written, whoever writes it:
--   * an idea's event is public when the idea's board is public and the idea
--     is not hidden; hiding or showing it again is public too (the public
--     sees the idea go or come back);
--   * a board's event is public when the board is public, and making a board
--     private is public too (its ideas leave every public feed);
--   * anything else is not.
ALTER TABLE events ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
{{if .PG}}
CREATE FUNCTION events_set_public() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.is_public := CASE
    WHEN NEW.idea_id IS NOT NULL THEN EXISTS (
      SELECT 1 FROM ideas AS i JOIN boards AS b ON b.id = i.board_id
      WHERE i.id = NEW.idea_id AND b.is_private = FALSE
        AND (i.hidden_at IS NULL OR NEW.kind IN ('idea.hidden', 'idea.shown')))
    WHEN NEW.board_id IS NOT NULL THEN EXISTS (
      SELECT 1 FROM boards AS b
      WHERE b.id = NEW.board_id
        AND (b.is_private = FALSE OR (NEW.kind = 'board.updated'
          AND COALESCE(NEW.payload::jsonb -> 'changed' @> '["is_private"]'::jsonb, FALSE))))
    ELSE FALSE
  END;
  RETURN NEW;
END
$$;
--bun:split
CREATE TRIGGER events_set_public BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_set_public();
{{else}}
CREATE TRIGGER events_set_public AFTER INSERT ON events BEGIN
  UPDATE events SET is_public = CASE
    WHEN NEW.idea_id IS NOT NULL THEN EXISTS (
      SELECT 1 FROM ideas AS i JOIN boards AS b ON b.id = i.board_id
      WHERE i.id = NEW.idea_id AND b.is_private = FALSE
        AND (i.hidden_at IS NULL OR NEW.kind IN ('idea.hidden', 'idea.shown')))
    WHEN NEW.board_id IS NOT NULL THEN EXISTS (
      SELECT 1 FROM boards AS b
      WHERE b.id = NEW.board_id
        AND (b.is_private = FALSE OR (NEW.kind = 'board.updated'
          AND EXISTS (SELECT 1 FROM json_each(NEW.payload, '$.changed') WHERE value = 'is_private'))))
    ELSE FALSE
  END
  WHERE id = NEW.id;
END;
{{end}}
--bun:split
-- Events written before now are judged by what is public today.
UPDATE events SET is_public = CASE
  WHEN idea_id IS NOT NULL THEN EXISTS (
    SELECT 1 FROM ideas AS i JOIN boards AS b ON b.id = i.board_id
    WHERE i.id = events.idea_id AND b.is_private = FALSE
      AND (i.hidden_at IS NULL OR events.kind IN ('idea.hidden', 'idea.shown')))
  WHEN board_id IS NOT NULL THEN EXISTS (
    SELECT 1 FROM boards AS b WHERE b.id = events.board_id AND b.is_private = FALSE)
  ELSE FALSE
END;
--bun:split
-- A feed's version is one descent of one of these: the newest public event
-- anywhere, or on one board. PostgreSQL's planner, which assumes public
-- events are spread evenly, would walk the primary key backwards past any
-- run of private ones; an index of public events alone leaves it nothing to
-- step over. SQLite takes the equality on is_public as the index's prefix.
{{if .PG}}
CREATE INDEX events_public_idx ON events (id) WHERE is_public;
--bun:split
CREATE INDEX events_board_public_idx ON events (board_id, id) WHERE is_public;
{{else}}
CREATE INDEX events_public_idx ON events (is_public, id);
--bun:split
CREATE INDEX events_board_public_idx ON events (board_id, is_public, id);
{{end}}
