-- Framewise label store, version 5: a queue of files to label, shared by the machines that write this database
-- (`framewise enqueue`, `framewise work`, `framewise jobs`; see ARCHITECTURE.md).
--
-- A job is one input (a path every worker can read, or a URL; credentials only as ${VARIABLE} references,
-- expanded by the worker) with its sampling and options. A worker claims the oldest queued job of the highest
-- priority — or a `running` one whose lease has expired (its worker died) — sets itself as `worker`, and renews
-- `lease_expires_at` while it labels; the run resumes from the frames already stored, so a job taken over
-- stores every frame once. Times are Unix seconds by the database's clock (never a worker's).

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    input TEXT NOT NULL,
    -- The sampling policy in the words of `runs.sampling` ("every 5", "fps 2", "keyframes").
    sampling TEXT NOT NULL,
    -- The other run options as a JSON object (start, end, precision, ...).
    options TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    priority INTEGER NOT NULL DEFAULT 0,
    enqueued_at REAL NOT NULL,
    -- Who holds (or last held) the job: host name and process id.
    worker TEXT,
    lease_expires_at REAL,
    -- Claims so far; a job failing again and again is stopped by the worker (`failed`) instead of looping.
    attempts INTEGER NOT NULL DEFAULT 0,
    source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    started_at REAL,
    finished_at REAL,
    error TEXT
);
-- The claim's order: queued (or expired) jobs by priority, then age.
CREATE INDEX jobs_by_claim_order ON jobs(state, priority DESC, id);
-- Enqueueing the same input with the same sampling twice while it is open adds nothing.
CREATE UNIQUE INDEX jobs_open_once ON jobs(input, sampling) WHERE state IN ('queued', 'running');
