/// Why the label store refused a request. Descriptions are one-line messages meant for the user.
package enum LabelStoreError: Error, Equatable, CustomStringConvertible, Sendable {
    case newerSchema(unknownMigrations: [String])
    case notAFramewiseDatabase
    case missingDatabase(path: String)
    case cannotOpen(path: String, reason: String)
    /// A database location that cannot be used (already redacted).
    case invalidLocation(location: String, reason: String)
    /// The PostgreSQL server refused a statement or the connection broke (no secrets in the reason).
    case server(location: String, reason: String)
    case writeRefused
    /// A result column of a type `framewise query` has no text for.
    case unprintableColumn(name: String, type: String)
    case classesMismatch(classIndex: Int)
    case noClasses
    case unknownRun(Int64)
    case invalidFrame(frameIndex: Int64, reason: String)
    case invalidThumbnail(frameIndex: Int64, reason: String)
    /// A stored value of another type than the schema says (a damaged or hand-edited database).
    case unexpectedValue(String, expected: String)
    /// A maintenance request this database cannot take, with what to do instead.
    case unsupported(String)
    /// A `postgres://` database named to a build without the PostgreSQL trait.
    case builtWithoutPostgreSQL(location: String)
    /// `PRAGMA quick_check` found damage (or SQLite could not read the file as a database).
    case damaged(path: String, problem: String)
    /// A head or example that cannot be stored or found, with why.
    case invalidHead(String)

    package var description: String {
        switch self {
        case .newerSchema(let unknown):
            "the database was written by a newer Framewise (unknown migrations: \(unknown.joined(separator: ", "))); "
                + "upgrade framewise to use it"
        case .notAFramewiseDatabase:
            "the file holds tables but is not a Framewise database"
        case .missingDatabase(let path):
            "no database at \(path) (use --db PATH or FRAMEWISE_DB)"
        case .cannotOpen(let path, let reason):
            "cannot open the database \(path): \(reason)"
        case .invalidLocation(let location, let reason):
            "cannot use the database \(location): \(reason)"
        case .server(let location, let reason):
            "the database \(location): \(reason)"
        case .writeRefused:
            "framewise query is read-only: this statement would change the database"
        case .unprintableColumn(let name, let type):
            "the column \(name) has a type framewise cannot print (\(type)); cast it to text: \(name)::text"
        case .classesMismatch(let classIndex):
            "the database holds labels of another class list (class \(classIndex) differs); use another --db"
        case .noClasses:
            "store the model's classes before writing frames"
        case .unknownRun(let id):
            "no run \(id) in the database"
        case .invalidFrame(let frameIndex, let reason):
            "frame \(frameIndex) cannot be stored: \(reason)"
        case .invalidThumbnail(let frameIndex, let reason):
            "the thumbnail of frame \(frameIndex) cannot be stored: \(reason)"
        case .unexpectedValue(let value, let expected):
            "the database holds \(value) where \(expected) belongs (was it edited by hand?)"
        case .unsupported(let why):
            why
        case .damaged(let path, let problem):
            "the database \(path) is damaged (\(problem)); it was left as it is: stop here and restore it from a backup "
                + "(framewise db backup makes them), or move it aside (with its -wal file) to start a new one"
        case .invalidHead(let reason): reason
        case .builtWithoutPostgreSQL(let location):
            "\(location): this framewise was built without PostgreSQL; build it with `swift build -c release --traits PostgreSQL` "
                + "(scripts/build-release does)"
        }
    }
}
