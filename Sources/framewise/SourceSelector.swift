import LabelStore
import Report

/// The stored sources `selector` names, as every command's `--source` takes it (the report's rule: its URI, its
/// id or the last part of its path), else the one-line error naming how to list them.
func sourceIDs(matching selector: String, in database: any ReadOnlyLabelDatabase) throws -> [SourceID] {
    let ids = try database.sources().filter { $0.matches(selector) }.map(\.id)
    guard !ids.isEmpty else { throw ReportError.unknownSource(selector) }
    return ids
}
