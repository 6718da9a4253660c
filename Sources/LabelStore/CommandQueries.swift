import GRDB

/// The read-only statements behind `framewise segments` and `framewise jobs`, written here with the rest of the
/// store's SQL (per dialect where the two differ), so commands only choose and print.
extension ReadOnlyLabelDatabase {
    /// Prints the raw top-1 runs of `label` (of the given sources, or all), optionally only those whose mean
    /// score reaches `minScore`: source, label, start and end as H:MM:SS.mmm, frames, mean score.
    package func printSegments(of label: String, sources: [SourceID]?, minScore: Double?, into sink: some ResultSink) throws {
        var conditions = ["label = ?"]
        var arguments: [QueryArgument] = [.text(label)]
        if let sources {
            conditions.append("source_id IN (\(placeholders(sources.count)))")
            arguments += sources.map { .integer($0.rawValue) }
        }
        if let minScore {
            conditions.append("mean_score >= ?")
            arguments.append(.real(minScore))
        }
        let sql = """
            SELECT source, label, \(dialect.timecode("start_pts")) AS start,
                   \(dialect.timecode("end_pts")) AS "end", frames, \(dialect.rounded("mean_score")) AS mean_score
              FROM label_segments
             WHERE \(conditions.joined(separator: " AND "))
             ORDER BY source, start_pts
            """
        try run(sql, arguments: arguments, into: sink)
    }

    /// Prints the appearances of `name` in `vocabulary` (`imagenet` or `category`; of the given sources and view,
    /// or all), optionally only those whose peak score reaches `minScore`, in time order per source.
    package func printAppearances(of name: String, vocabulary: String, sources: [SourceID]?, view: String?,
                                  minScore: Double?, into sink: some ResultSink) throws {
        var conditions = ["a.vocabulary = ?", "a.label = ?"]
        var arguments: [QueryArgument] = [.text(vocabulary), .text(name)]
        if let sources {
            conditions.append("a.source_id IN (\(placeholders(sources.count)))")
            arguments += sources.map { .integer($0.rawValue) }
        }
        if let view {
            conditions.append("a.view = ?")
            arguments.append(.text(view))
        }
        if let minScore {
            conditions.append("a.peak_score >= ?")
            arguments.append(.real(minScore))
        }
        try run("""
            SELECT s.uri AS source, a.view, a.label, \(dialect.timecode("a.start_pts")) AS start,
                   \(dialect.timecode("a.end_pts")) AS "end", \(dialect.rounded("a.start_pts")) AS start_pts,
                   \(dialect.rounded("a.end_pts")) AS end_pts, a.start_captured_at, a.end_captured_at,
                   \(dialect.rounded("a.peak_score")) AS peak_score, \(dialect.rounded("a.mean_score")) AS mean_score,
                   a.frames, a.open
              FROM appearances AS a JOIN sources AS s ON s.id = a.source_id
             WHERE \(conditions.joined(separator: " AND "))
             ORDER BY s.uri, a.start_pts, a.view
            """, arguments: arguments, into: sink)
    }

    /// The names of the categories stored (scored by some run), sorted.
    package func storedCategoryNames() throws -> [String] {
        var names: [String] = []
        try forEachRow("SELECT DISTINCT name FROM categories ORDER BY name") { row in
            if case .text(let name) = row[0] { names.append(name) }
        }
        return names
    }

    /// Prints every job with its run's counters: frames labelled so far (recorded every few seconds while
    /// running) and the seconds of lease left while running.
    package func printJobs(into sink: some ResultSink) throws {
        try run("""
            SELECT j.id, j.state, j.input, j.sampling, j.decoding, j.priority, j.worker, j.attempts,
                   r.frames_labeled AS labelled, r.frames_skipped AS already_stored,
                   CASE WHEN j.state = 'running' THEN round(j.lease_expires_at - \(dialect.now)) END AS lease_left,
                   j.error
            FROM jobs AS j LEFT JOIN runs AS r ON r.id = j.run_id
            ORDER BY j.id
            """, into: sink)
    }
}

extension SQLDialect {
    /// SQL turning a number of seconds into H:MM:SS.mmm (hours keep counting past 24).
    func timecode(_ seconds: String) -> String {
        switch self {
        case .sqlite:
            "printf('%d:%02d:%06.3f', CAST(\(seconds) / 3600 AS INTEGER), CAST(\(seconds) / 60 AS INTEGER) % 60, "
                + "\(seconds) - 60 * CAST(\(seconds) / 60 AS INTEGER))"
        case .postgresql:
            "trunc(\(seconds) / 3600)::bigint || ':' || lpad((trunc(\(seconds) / 60)::bigint % 60)::text, 2, '0') || ':' || "
                + "to_char(\(seconds) - 60 * trunc(\(seconds) / 60), 'FM00.000')"
        }
    }

    /// SQL rounding a real to 3 decimals (PostgreSQL rounds only numerics to a number of places).
    func rounded(_ value: String) -> String {
        switch self {
        case .sqlite: "round(\(value), 3)"
        case .postgresql: "round(\(value)::numeric, 3)"
        }
    }
}

extension LabelStoreError {
    /// One line for any error the store's calls may throw, SQLite's own included (so callers need not know GRDB).
    package static func message(for error: any Error) -> String {
        (error as? DatabaseError).map { $0.message ?? $0.description } ?? "\(error)"
    }
}
