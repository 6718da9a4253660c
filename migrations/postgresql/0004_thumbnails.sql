-- Framewise label store, version 4, PostgreSQL: the thumbnails of ../0004_thumbnails.sql (BLOB -> bytea).
CREATE TABLE thumbnails (
    frame_id bigint PRIMARY KEY REFERENCES frames(id) ON DELETE CASCADE,
    width integer NOT NULL CHECK (width > 0),
    height integer NOT NULL CHECK (height > 0),
    jpeg bytea NOT NULL CHECK (length(jpeg) > 0)
);
