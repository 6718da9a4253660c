-- Framewise label store, version 1: what was seen, by whom, and when.
-- Times: `pts` is seconds from the start of the stream; `captured_at`, `started_at`, `finished_at` and
-- `created_at` are wall-clock Unix seconds (UTC; read them with datetime(x, 'unixepoch')).

-- One row per video input. `uri` never holds a password (it is redacted before it gets here).
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'rtsp', 'http', 'stream')),
    created_at REAL NOT NULL
);

-- One row per `framewise` invocation on a source.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    precision TEXT NOT NULL,
    sampling TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    frames_decoded INTEGER NOT NULL DEFAULT 0,
    frames_labeled INTEGER NOT NULL DEFAULT 0,
    frames_dropped INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX runs_by_source ON runs(source_id);

-- The model's output classes (ImageNet synsets for GoogLeNet): `label` is the first name, `names` all of them.
CREATE TABLE classes (
    class_index INTEGER PRIMARY KEY,
    wnid TEXT NOT NULL,
    label TEXT NOT NULL,
    names TEXT NOT NULL
);

-- One row per stored (sampled and labelled) frame; a frame is stored once per source.
CREATE TABLE frames (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    frame_index INTEGER NOT NULL,
    pts REAL NOT NULL,
    captured_at REAL,
    UNIQUE (source_id, frame_index)
);
CREATE INDEX frames_by_run ON frames(run_id);

-- The top-5 answers of each frame, rank 1 = best.
CREATE TABLE labels (
    frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL CHECK (rank BETWEEN 1 AND 5),
    class_index INTEGER NOT NULL REFERENCES classes(class_index),
    score REAL NOT NULL,
    PRIMARY KEY (frame_id, rank)
) WITHOUT ROWID;
