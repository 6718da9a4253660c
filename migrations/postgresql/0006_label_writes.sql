-- Framewise label store, version 6, PostgreSQL: label writes without row-by-row foreign-key checks.
--
-- PostgreSQL checks a foreign key with a row-level trigger that looks up and locks (FOR KEY SHARE) the
-- referenced row, once per inserted row: a batch of 1000 frames with 5 labels each made 10,000 such lookups for
-- `labels`, more than half of the batch's time (EXPLAIN ANALYZE: ~170 ms a batch with them, ~75 ms without the
-- one to `classes`, ~45 ms without both). What they protected Framewise guarantees where it writes:
--  - labels -> classes: the classes are stored once, before any label, and never deleted; the writer refuses a
--    class index the database does not hold.
--  - labels -> frames: a frame's labels are inserted by the statement that inserts the frame (a data-modifying
--    CTE), so they never point at a missing frame; deleting frames still deletes their labels (directly, or
--    through a source or run deleted with its frames), by one statement-level trigger below.
-- SQLite keeps both constraints (its checks are plain index lookups).

ALTER TABLE labels DROP CONSTRAINT labels_class_index_fkey;
ALTER TABLE labels DROP CONSTRAINT labels_frame_id_fkey;

CREATE FUNCTION framewise_delete_labels_of_deleted_frames() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM labels WHERE frame_id IN (SELECT id FROM deleted_frames);
    RETURN NULL;
END
$$;

CREATE TRIGGER frames_delete_their_labels AFTER DELETE ON frames
    REFERENCING OLD TABLE AS deleted_frames
    FOR EACH STATEMENT EXECUTE FUNCTION framewise_delete_labels_of_deleted_frames();
