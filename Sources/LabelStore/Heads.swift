import ContentDigest
package import Foundation

/// GoogLeNet's pool5 vectors as the store keeps them (`frame_features`, `head_examples.features`).
package enum StoredFeatures {
    /// Values per vector.
    package static let width = 1024
}

/// One labelled example of a head on its way into `head_examples`: its class, its own copy of the features
/// and picture, and where it came from.
package struct HeadExampleRecord: Hashable, Sendable {
    package let className: String
    /// A picture's path, or `frame N of SOURCE at PTS s`.
    package let origin: String
    /// The frame it came from (kept as a number: the frame may be pruned later).
    package let frameID: Int64?
    /// What the features saw: `picture`, `frame:VIEW` or `thumbnail:VIEW`.
    package let view: String
    package let modelSHA256: String
    package let precision: String
    package let features: [Float]
    /// A small JPEG of what the features saw, when there is one.
    package let picture: Data?

    package init(className: String, origin: String, frameID: Int64?, view: String, modelSHA256: String, precision: String,
                 features: [Float], picture: Data?) {
        self.className = className
        self.origin = origin
        self.frameID = frameID
        self.view = view
        self.modelSHA256 = modelSHA256
        self.precision = precision
        self.features = features
        self.picture = picture
    }

    /// SHA-256 of the features' stored bytes: the same features are stored once per head.
    package var digest: String { SHA256Digest.hex(of: VectorCoding.float32Bytes(features)) }
}

/// A stored example, as training and the page read it.
package struct StoredHeadExample: Hashable, Sendable {
    package let id: Int64
    package let record: HeadExampleRecord
    package let addedAt: Date
}

/// A trained version of a head (`head_versions`), as stored and as runs apply it.
package struct HeadVersionRecord: Hashable, Sendable {
    package let head: String
    package let version: Int
    /// The view its frame examples were seen through.
    package let view: String
    package let classes: [String]
    package let modelSHA256: String
    package let precision: String
    /// The classifier's parameters (means, scales, per class weights and bias).
    package let parameters: [Float]
    package let examples: Int
    package let examplesDigest: String
    package let accuracy: Double
    package let folds: Int
    /// C, the inverse L2 strength chosen.
    package let strength: Double
    /// The training report as printed.
    package let report: String
    package let trainedAt: Date

    package init(head: String, version: Int, view: String, classes: [String], modelSHA256: String, precision: String,
                 parameters: [Float], examples: Int, examplesDigest: String, accuracy: Double, folds: Int,
                 strength: Double, report: String, trainedAt: Date) {
        self.head = head
        self.version = version
        self.view = view
        self.classes = classes
        self.modelSHA256 = modelSHA256
        self.precision = precision
        self.parameters = parameters
        self.examples = examples
        self.examplesDigest = examplesDigest
        self.accuracy = accuracy
        self.folds = folds
        self.strength = strength
        self.report = report
        self.trainedAt = trainedAt
    }
}

/// A head as `framewise heads` lists it.
package struct HeadSummary: Sendable {
    package let name: String
    package let noneClass: String?
    /// Examples per class, by class name (sorted).
    package let examplesPerClass: [(String, Int)]
    /// The newest trained version, if any.
    package let latest: HeadVersionRecord?
    /// Runs that applied it (any version).
    package let runs: Int
}

/// What the store holds of a frame chosen as an example: where it is in its source, and what can give its
/// features (stored features of the view asked for, the thumbnail).
package struct ExampleFrame: Sendable {
    package let frameID: Int64
    package let sourceURI: String
    /// `sources.kind`: `file` for a file that may be decoded again.
    package let sourceKind: String
    package let frameIndex: Int64
    package let pts: Double
    /// The stored features of the view asked for.
    package let features: [Float]?
    package let thumbnail: Data?
}

extension LabelStore {
    /// The frames of `ids` that are stored (a missing id is left out), with `view`'s stored features and the
    /// thumbnail when they have them.
    package func exampleFrames(_ ids: [Int64], view: String) throws -> [ExampleFrame] {
        // 500 ids a statement: one round trip per chunk, within every database's limit of placeholders.
        try connection.read { sql in
            try stride(from: 0, to: ids.count, by: 500).flatMap { start in
                let chunk = ids[start..<min(start + 500, ids.count)]
                return try sql.rows("""
                    SELECT f.id, s.uri, s.kind, f.frame_index, f.pts, ff.vector, t.jpeg
                      FROM frames AS f JOIN sources AS s ON s.id = f.source_id
                      LEFT JOIN frame_features AS ff ON ff.frame_id = f.id AND ff.view = ?
                      LEFT JOIN thumbnails AS t ON t.frame_id = f.id
                     WHERE f.id IN (\(placeholders(chunk.count)))
                    """, [.text(view)] + chunk.map { .integer($0) }).map { row in
                    ExampleFrame(frameID: try row[0].requiredInt64(), sourceURI: try row[1].requiredText(),
                                 sourceKind: try row[2].requiredText(), frameIndex: try row[3].requiredInt64(),
                                 pts: try row[4].requiredDouble(), features: row[5].blob.flatMap(VectorCoding.storedFeatures),
                                 thumbnail: row[6].blob)
                }
            }
        }
    }

    /// Creates the head `name` if it is new; sets its "none of these" class when `noneClass` is given.
    package func defineHead(_ name: String, noneClass: String?) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(name.count), name.allSatisfy(allowed.contains), name.first != "." else {
            throw LabelStoreError.invalidHead("a head's name is 1–64 letters, digits, '.', '_' or '-' (got \"\(name)\")")
        }
        if let noneClass { try Self.checkClassName(noneClass) }
        try connection.transaction { sql in
            try sql.execute("INSERT INTO heads (name, none_class, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                            [.text(name), noneClass.map(QueryArgument.text) ?? .null, .real(Date().timeIntervalSince1970)])
            if let noneClass {
                try sql.execute("UPDATE heads SET none_class = ? WHERE name = ?", [.text(noneClass), .text(name)])
            }
        }
    }

    /// Adds examples to a defined head (their classes are created as needed); returns how many were new (an
    /// example whose features the head already has is skipped).
    package func addExamples(_ examples: [HeadExampleRecord], to head: String) throws -> Int {
        try connection.transaction { sql in
            let headID = try Self.headID(head, sql)
            var added = 0
            for example in examples {
                try Self.checkClassName(example.className)
                guard example.features.count == StoredFeatures.width, example.features.allSatisfy(\.isFinite) else {
                    throw LabelStoreError.invalidHead("the example \(example.origin) has no \(StoredFeatures.width) finite features")
                }
                try sql.execute("INSERT INTO head_classes (head_id, name) VALUES (?, ?) ON CONFLICT (head_id, name) DO NOTHING",
                                [.integer(headID), .text(example.className)])
                let inserted = try sql.rows("""
                    INSERT INTO head_examples (head_id, class_id, origin, frame_id, view, model_sha256, precision, features,
                                               picture, digest, added_at)
                    SELECT ?, id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM head_classes WHERE head_id = ? AND name = ?
                    ON CONFLICT (head_id, digest) DO NOTHING RETURNING id
                    """, [.integer(headID), .text(example.origin), example.frameID.map(QueryArgument.integer) ?? .null,
                          .text(example.view), .text(example.modelSHA256), .text(example.precision),
                          .blob(VectorCoding.float32Bytes(example.features)), example.picture.map(QueryArgument.blob) ?? .null,
                          .text(example.digest), .real(Date().timeIntervalSince1970), .integer(headID), .text(example.className)])
                added += inserted.count
            }
            return added
        }
    }

    /// The head's examples, oldest first.
    package func examples(of head: String) throws -> [StoredHeadExample] {
        try connection.read { sql in
            let headID = try Self.headID(head, sql)
            return try sql.rows("""
                SELECT e.id, c.name, e.origin, e.frame_id, e.view, e.model_sha256, e.precision, e.features, e.picture, e.added_at
                  FROM head_examples AS e JOIN head_classes AS c ON c.id = e.class_id
                 WHERE e.head_id = ? ORDER BY e.id
                """, [.integer(headID)]).map { row in
                guard let features = VectorCoding.float32Values(try row[7].requiredBlob()), features.count == StoredFeatures.width
                else { throw LabelStoreError.unexpectedValue("head_examples.features of \(head)", expected: "4096 bytes") }
                let record = HeadExampleRecord(
                    className: try row[1].requiredText(), origin: try row[2].requiredText(), frameID: row[3].int64,
                    view: try row[4].requiredText(), modelSHA256: try row[5].requiredText(), precision: try row[6].requiredText(),
                    features: features, picture: row[8].blob)
                return StoredHeadExample(id: try row[0].requiredInt64(), record: record,
                                         addedAt: Date(timeIntervalSince1970: try row[9].requiredDouble()))
            }
        }
    }

    /// Removes one example of a head; false when the head has no example of that id.
    package func removeExample(_ id: Int64, of head: String) throws -> Bool {
        try connection.transaction { sql in
            !(try sql.rows("DELETE FROM head_examples WHERE id = ? AND head_id = ? RETURNING id",
                           [.integer(id), .integer(try Self.headID(head, sql))])).isEmpty
        }
    }

    /// Stores a newly trained version (numbered one past the newest) and returns it.
    package func storeVersion(_ trained: HeadVersionRecord) throws -> HeadVersionRecord {
        try connection.transaction { sql in
            let headID = try Self.headID(trained.head, sql)
            let version = Int(try sql.integer("SELECT coalesce(max(version), 0) + 1 FROM head_versions WHERE head_id = ?",
                                              [.integer(headID)]) ?? 1)
            try sql.execute("""
                INSERT INTO head_versions (head_id, version, view, classes, model_sha256, precision, parameters, examples,
                                           examples_digest, accuracy, folds, l2, report, trained_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.integer(headID), .integer(Int64(version)), .text(trained.view), .text(trained.classes.joined(separator: ",")),
                      .text(trained.modelSHA256), .text(trained.precision), .blob(VectorCoding.float32Bytes(trained.parameters)),
                      .integer(Int64(trained.examples)), .text(trained.examplesDigest), .real(trained.accuracy),
                      .integer(Int64(trained.folds)), .real(trained.strength), .text(trained.report),
                      .real(trained.trainedAt.timeIntervalSince1970)])
            return HeadVersionRecord(
                head: trained.head, version: version, view: trained.view, classes: trained.classes,
                modelSHA256: trained.modelSHA256, precision: trained.precision, parameters: trained.parameters,
                examples: trained.examples, examplesDigest: trained.examplesDigest, accuracy: trained.accuracy,
                folds: trained.folds, strength: trained.strength, report: trained.report, trainedAt: trained.trainedAt)
        }
    }

    /// The newest trained version of `head` with its classes' ids (`head_classes.id`, in `classes` order) and
    /// its "none of these" class; nil when it was never trained. Throws for an unknown head and for a version
    /// that cannot be read.
    package func latestVersion(of head: String) throws -> (version: HeadVersionRecord, classIDs: [Int64], noneClass: String?)? {
        try connection.read { sql in
            let headID = try Self.headID(head, sql)
            let noneClass = try sql.rows("SELECT none_class FROM heads WHERE id = ?", [.integer(headID)]).first?.first?.text
            guard let row = try sql.rows("\(Self.versionColumns) WHERE v.head_id = ? ORDER BY v.version DESC LIMIT 1",
                                         [.integer(headID)]).first
            else { return nil }
            let version = try Self.version(row)
            let ids = try sql.rows("SELECT name, id FROM head_classes WHERE head_id = ?", [.integer(headID)])
                .reduce(into: [String: Int64]()) { $0[try $1[0].requiredText()] = try $1[1].requiredInt64() }
            return (version, try version.classes.map { name in
                guard let id = ids[name] else { throw LabelStoreError.unexpectedValue("class \(name) of head \(head)", expected: "a stored class") }
                return id
            }, noneClass)
        }
    }

    /// Every head with its examples per class, newest version and how many runs applied it, by name.
    package func heads() throws -> [HeadSummary] {
        try connection.read { sql in
            // `runs.heads` lists `view=head@version` per head a run applied, comma-separated.
            var runsApplying: [String: Int] = [:]
            for row in try sql.rows("SELECT heads FROM runs WHERE heads IS NOT NULL AND heads <> ''", []) {
                let names = Set(try row[0].requiredText().split(separator: ",").compactMap { applied in
                    applied.split(separator: "=").last?.split(separator: "@").first.map(String.init)
                })
                for name in names { runsApplying[name, default: 0] += 1 }
            }
            return try sql.rows("SELECT id, name, none_class FROM heads ORDER BY name", []).map { row in
                let headID = try row[0].requiredInt64(), name = try row[1].requiredText()
                let counts = try sql.rows("""
                    SELECT c.name, count(e.id) FROM head_classes AS c LEFT JOIN head_examples AS e ON e.class_id = c.id
                     WHERE c.head_id = ? GROUP BY c.name ORDER BY c.name
                    """, [.integer(headID)]).map { (try $0[0].requiredText(), Int(try $0[1].requiredInt64())) }
                let latest = try sql.rows("\(Self.versionColumns) WHERE v.head_id = ? ORDER BY v.version DESC LIMIT 1",
                                          [.integer(headID)]).first.map(Self.version)
                return HeadSummary(name: name, noneClass: row[2].text, examplesPerClass: counts, latest: latest,
                                   runs: runsApplying[name] ?? 0)
            }
        }
    }

    /// Deletes a head with its classes, examples, versions and stored answers (their appearances too); false
    /// when there is no such head.
    package func deleteHead(_ name: String) throws -> Bool {
        try connection.transaction { sql in
            guard let headID = try sql.integer("SELECT id FROM heads WHERE name = ?", [.text(name)]) else { return false }
            try sql.execute("""
                DELETE FROM appearances WHERE vocabulary = 'head' AND class_id IN (SELECT id FROM head_classes WHERE head_id = ?)
                """, [.integer(headID)])
            try sql.execute("DELETE FROM head_scores WHERE class_id IN (SELECT id FROM head_classes WHERE head_id = ?)",
                            [.integer(headID)])
            try sql.execute("DELETE FROM heads WHERE id = ?", [.integer(headID)])
            return true
        }
    }

    private static let versionColumns = """
        SELECT h.name, v.version, v.view, v.classes, v.model_sha256, v.precision, v.parameters, v.examples,
               v.examples_digest, v.accuracy, v.folds, v.l2, v.report, v.trained_at
          FROM head_versions AS v JOIN heads AS h ON h.id = v.head_id
        """

    private static func version(_ row: [QueryValue]) throws -> HeadVersionRecord {
        let head = try row[0].requiredText()
        guard let parameters = VectorCoding.float32Values(try row[6].requiredBlob()) else {
            throw LabelStoreError.invalidHead("\(head) version \(try row[1].requiredInt64()) is damaged (its parameters are not float32 values)")
        }
        return HeadVersionRecord(
            head: head, version: Int(try row[1].requiredInt64()), view: try row[2].requiredText(),
            classes: try row[3].requiredText().split(separator: ",").map(String.init), modelSHA256: try row[4].requiredText(),
            precision: try row[5].requiredText(), parameters: parameters, examples: Int(try row[7].requiredInt64()),
            examplesDigest: try row[8].requiredText(), accuracy: try row[9].requiredDouble(), folds: Int(try row[10].requiredInt64()),
            strength: try row[11].requiredDouble(), report: try row[12].requiredText(),
            trainedAt: Date(timeIntervalSince1970: try row[13].requiredDouble()))
    }

    /// A class name is stored in a comma-separated list (`head_versions.classes`) and shown as `head/class`.
    private static func checkClassName(_ name: String) throws {
        guard (1...64).contains(name.count), !name.contains(","), !name.contains("/"),
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw LabelStoreError.invalidHead("a class name is 1–64 characters without ',' or '/' (got \"\(name)\")") }
    }

    private static func headID(_ name: String, _ sql: any SQLStatements) throws -> Int64 {
        guard let id = try sql.integer("SELECT id FROM heads WHERE name = ?", [.text(name)]) else {
            let known = try sql.rows("SELECT name FROM heads ORDER BY name", []).compactMap { $0.first?.text }
            throw LabelStoreError.invalidHead("no head named \(name)" + (known.isEmpty ? " (there are none yet: framewise train makes one)"
                                                                           : "; the heads are \(known.joined(separator: ", "))"))
        }
        return id
    }
}
