package import Foundation

/// A file to label, as `framewise enqueue` adds it to `jobs`.
package struct JobRequest: Hashable, Sendable {
    /// The input as every worker will open it: an absolute path on shared storage or a URL whose secrets are
    /// `${VARIABLE}` references (expanded by each worker).
    package let input: String
    /// The sampling in `runs.sampling`'s words (with the window), e.g. "every 5 start 10.0".
    package let sampling: String
    /// The options a worker needs to rebuild the run, as a JSON object.
    package let options: String
    /// How the worker decodes the file, in `runs.decoding`'s words (`full`, `skip-loop-filter`, ...).
    package let decoding: String
    /// Higher runs first; equal priorities run in the order enqueued.
    package let priority: Int

    package init(input: String, sampling: String, options: String, decoding: String = "full", priority: Int = 0) {
        self.input = input
        self.sampling = sampling
        self.options = options
        self.decoding = decoding
        self.priority = priority
    }
}

/// What `JobQueue.enqueue` did.
package enum Enqueued: Hashable, Sendable {
    /// A new job.
    case added(JobID)
    /// The same input with the same sampling is already queued or running, decoding as `decoding` says: nothing
    /// was added.
    case alreadyOpen(JobID, decoding: String)
}

/// A job a worker holds: its row as claimed.
package struct ClaimedJob: Hashable, Sendable {
    package let id: JobID
    package let input: String
    package let sampling: String
    package let options: String
    /// How to decode the file, in `runs.decoding`'s words.
    package let decoding: String
    /// Claims so far, this one included.
    package let attempts: Int
}

/// How a worker lets go of a job it holds.
package enum JobEnding: Hashable, Sendable {
    /// Every frame is stored.
    case completed
    /// Given up, with the reason.
    case failed(String)
    /// Back to the queue for any worker (this one is stopping, or the job is to be tried again), with the reason.
    case released(String?)
}

/// The queue of files shared by the machines writing one database (the `jobs` table): `enqueue` adds jobs,
/// workers `claim` one at a time, `renew` their lease while labelling and `end` it. A claim takes the oldest
/// queued job of the highest priority, or one whose lease expired (its worker died): the new worker resumes it
/// from the frames already stored. Every change a worker makes is guarded by `worker` and `state`, so a worker
/// that lost its lease changes nothing. Times are the database's clock, never a worker's.
///
/// Holds a connection of its own (not the frame writer's), so a lease is renewed while a batch commits.
package final class JobQueue: Sendable {
    private let connection: any StoreConnection

    /// Opens the queue of the database at `location`, creating or upgrading its schema.
    package init(location: LabelDatabaseLocation) throws {
        connection = try location.openConnection()
    }

    /// Adds a queued job, unless the same input with the same sampling is queued or running already.
    package func enqueue(_ request: JobRequest) throws -> Enqueued {
        let inserted = try rows("""
            INSERT INTO jobs (input, sampling, options, decoding, priority, enqueued_at)
            VALUES (?, ?, ?, ?, ?, \(connection.dialect.now))
            ON CONFLICT DO NOTHING RETURNING id
            """, [.text(request.input), .text(request.sampling), .text(request.options), .text(request.decoding),
                  .integer(Int64(request.priority))])
        if let id = Self.id(in: inserted) { return .added(id) }
        let open = try rows(
            "SELECT id, decoding FROM jobs WHERE input = ? AND sampling = ? AND state IN ('queued', 'running')",
            [.text(request.input), .text(request.sampling)])
        guard let id = Self.id(in: open), case .text(let decoding) = open.first?.last else {
            throw LabelStoreError.server(location: connection.location, reason: "the job was neither added nor found open")
        }
        return .alreadyOpen(id, decoding: decoding)
    }

    /// Takes the next job for `worker` (queued, or running with an expired lease), holding it for `lease`
    /// seconds; `nil` when there is none. Two workers never get the same job, and neither waits for the other.
    package func claim(worker: String, lease: TimeInterval) throws -> ClaimedJob? {
        let now = connection.dialect.now
        // PostgreSQL: concurrent claims pass over each other's locked rows. SQLite: claims are serialized.
        let skipLocked = connection.dialect == .postgresql ? "FOR UPDATE SKIP LOCKED" : ""
        let rows = try rows("""
            UPDATE jobs SET state = 'running', worker = ?, attempts = attempts + 1, lease_expires_at = \(now) + ?,
                started_at = coalesce(started_at, \(now))
            WHERE id = (
                SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_expires_at < \(now))
                ORDER BY priority DESC, id LIMIT 1 \(skipLocked))
            RETURNING id, input, sampling, options, decoding, attempts
            """, [.text(worker), .real(lease)])
        guard let row = rows.first, row.count == 6, case .integer(let id) = row[0], case .text(let input) = row[1],
              case .text(let sampling) = row[2], case .text(let options) = row[3], case .text(let decoding) = row[4],
              case .integer(let attempts) = row[5]
        else { return nil }
        return ClaimedJob(id: JobID(rawValue: id), input: input, sampling: sampling, options: options, decoding: decoding,
                          attempts: Int(attempts))
    }

    /// Jobs queued or running (held by a worker, or waiting for their expired lease to be taken over).
    package func openJobCount() throws -> Int {
        let rows = try rows("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')", [])
        guard case .integer(let count) = rows.first?.first else { return 0 }
        return Int(count)
    }

    /// Records the source and run a held job stores into (what `framewise jobs` shows progress from).
    @discardableResult
    package func attach(_ job: JobID, worker: String, source: SourceID, run: RunID) throws -> Bool {
        try holding(job, worker: worker, "source_id = ?, run_id = ?", [.integer(source.rawValue), .integer(run.rawValue)])
    }

    /// Extends a held job's lease to `lease` seconds from now; false when `worker` no longer holds it (its lease
    /// expired and another worker took the job over).
    package func renew(_ job: JobID, worker: String, lease: TimeInterval) throws -> Bool {
        try holding(job, worker: worker, "lease_expires_at = \(connection.dialect.now) + ?", [.real(lease)])
    }

    /// Ends `worker`'s hold on `job`; false when it no longer held it.
    @discardableResult
    package func end(_ job: JobID, worker: String, _ ending: JobEnding) throws -> Bool {
        let finished = "finished_at = \(connection.dialect.now), lease_expires_at = NULL"
        return switch ending {
        case .completed:
            try holding(job, worker: worker, "state = 'completed', \(finished), error = NULL", [])
        case .failed(let reason):
            try holding(job, worker: worker, "state = 'failed', \(finished), error = ?", [.text(reason)])
        case .released(let reason):
            try holding(job, worker: worker, "state = 'queued', lease_expires_at = NULL, error = ?",
                        [reason.map(QueryArgument.text) ?? .null])
        }
    }

    /// Closes the connection.
    package func close() {
        try? connection.close()
    }

    /// Runs one statement in a write transaction of its own (SQLite: `BEGIN IMMEDIATE`, which serializes
    /// claims), returning its rows.
    private func rows(_ sql: String, _ arguments: [QueryArgument]) throws -> [[QueryValue]] {
        try connection.transaction { try $0.rows(sql, arguments) }
    }

    /// Applies `assignments` to `job` if `worker` holds it; whether it did.
    private func holding(_ job: JobID, worker: String, _ assignments: String, _ arguments: [QueryArgument]) throws -> Bool {
        let rows = try rows(
            "UPDATE jobs SET \(assignments) WHERE id = ? AND worker = ? AND state = 'running' RETURNING id",
            arguments + [.integer(job.rawValue), .text(worker)])
        return !rows.isEmpty
    }

    private static func id(in rows: [[QueryValue]]) -> JobID? {
        guard case .integer(let id) = rows.first?.first else { return nil }
        return JobID(rawValue: id)
    }
}
