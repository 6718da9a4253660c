-- Framewise label store, version 4: small pictures of some stored frames (the report and the web page show them).
-- The sink keeps a JPEG (about 320 px wide, aspect kept) for the first frame of top-1 segments and now and then
-- otherwise; the picture belongs to its frame and is deleted with it, so a database file stays the whole answer.
CREATE TABLE thumbnails (
    frame_id INTEGER PRIMARY KEY REFERENCES frames(id) ON DELETE CASCADE,
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    jpeg BLOB NOT NULL CHECK (length(jpeg) > 0)
);
