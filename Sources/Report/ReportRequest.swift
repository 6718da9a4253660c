package import Foundation
import LabelStore

/// What a report covers: which sources, which label, which stretch of time. Every field is optional.
package struct ReportRequest: Hashable, Sendable {
    /// A source's URI, its id, or the last part of its path (as `framewise segments --source`).
    package var source: String?
    /// Only this label's segments (a `classes.label`).
    package var label: String?
    /// Only this category's appearances (a `categories.name`).
    package var category: String?
    package var from: ReportTime?
    package var to: ReportTime?

    package init(source: String? = nil, label: String? = nil, category: String? = nil, from: ReportTime? = nil,
                 to: ReportTime? = nil) {
        self.source = source
        self.label = label
        self.category = category
        self.from = from
        self.to = to
    }

    /// The bounds as stored columns: times from the start bound `pts`, clock times bound `captured_at`.
    func window() throws(ReportError) -> FrameWindow {
        var window = FrameWindow()
        switch from {
        case .offset(let seconds)?: window.ptsFrom = seconds
        case .clock(let date)?: window.capturedFrom = date.timeIntervalSince1970
        case nil: break
        }
        switch to {
        case .offset(let seconds)?: window.ptsTo = seconds
        case .clock(let date)?: window.capturedTo = date.timeIntervalSince1970
        case nil: break
        }
        if let start = window.ptsFrom, let end = window.ptsTo, start > end { throw .emptyRange }
        if let start = window.capturedFrom, let end = window.capturedTo, start > end { throw .emptyRange }
        return window
    }
}

/// A `--from`/`--to` bound: seconds from the start of the video (`90`, `1:30`, `1:02:03.5`) or a UTC clock time
/// for live sources (`2026-11-29T10:00:00Z`, `2026-11-29 10:00`).
package enum ReportTime: Hashable, Sendable {
    case offset(Double)
    case clock(Date)

    package init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Self.seconds(trimmed) {
            self = .offset(seconds)
        } else if let date = Self.clock(trimmed) {
            self = .clock(date)
        } else {
            return nil
        }
    }

    /// `S`, `M:SS` or `H:MM:SS`, each part a non-negative number (the last may have decimals).
    private static func seconds(_ text: String) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isNumber || $0 == "." } })
        else { return nil }
        guard let last = Double(parts.last!), last.isFinite else { return nil }
        var total = last
        for (position, part) in parts.dropLast().reversed().enumerated() {
            guard let whole = Int(part), parts.count == 1 || last < 60 else { return nil }
            total += Double(whole) * (position == 0 ? 60 : 3600)
        }
        return total
    }

    /// `YYYY-MM-DD[T ]HH:MM[:SS][Z]`, read as UTC.
    private static func clock(_ text: String) -> Date? {
        var normalized = text.replacingOccurrences(of: " ", with: "T")
        if normalized.hasSuffix("Z") { normalized.removeLast() }
        if normalized.count == 16 { normalized += ":00" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.date(from: normalized)
    }
}

extension ReadOnlyLabelDatabase {
    /// Refuses a category no run stored, in one line naming those that were (the report's and `segments`' check).
    package func requireStoredCategory(_ category: String) throws {
        let stored = try storedCategoryNames()
        guard stored.contains(category) else { throw ReportError.unknownCategory(category, stored: stored) }
    }
}

/// Why a report cannot be made. Descriptions are one line for the user.
package enum ReportError: Error, Equatable, CustomStringConvertible, Sendable {
    case unknownSource(String)
    case unknownLabel(String)
    case unknownCategory(String, stored: [String])
    case emptyRange

    package var description: String {
        switch self {
        case .unknownSource(let source):
            "no source matches '\(source)' (list them: framewise query \"SELECT id, uri FROM sources\")"
        case .unknownLabel(let label):
            "no class is labelled '\(label)' (list them: framewise query \"SELECT label FROM classes\")"
        case .unknownCategory(let category, let stored):
            "no category '\(category)' was stored when these videos were labelled; "
                + (stored.isEmpty ? "none was" : "stored: \(stored.joined(separator: ", "))")
        case .emptyRange:
            "--from is after --to"
        }
    }
}
