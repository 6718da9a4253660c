import Foundation

/// An amount of storage, written as a whole number with a unit: `500MB`, `10GB`, `2TB` (powers of 1000) or
/// `512MiB`, `10GiB`, `2TiB` (powers of 1024); `B` for bytes. Used by the daemon's `max_database_size` and
/// `min_free_disk`.
package struct ByteSize: Sendable, Hashable, CustomStringConvertible {
    package let bytes: Int64
    package let description: String

    private static let units: [(suffix: String, scale: Int64)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1),
    ]

    package init(_ text: String) throws(ConfigurationError) {
        guard let unit = Self.units.first(where: { text.hasSuffix($0.suffix) }),
              let count = Int64(text.dropLast(unit.suffix.count)), count >= 0
        else {
            throw ConfigurationError(message: "expected a size such as 500MB, 10GB or 2TiB, found '\(text)'")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: unit.scale)
        guard !overflow else { throw ConfigurationError(message: "the size '\(text)' is too large") }
        self.bytes = bytes
        description = text
    }

    /// `bytes` in the largest decimal unit that keeps one digit before the point: `1.2 GB`.
    package static func readable(_ bytes: Int64) -> String {
        for (suffix, scale) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] where Double(bytes) >= scale {
            return String(format: "%.1f %@", Double(bytes) / scale, suffix)
        }
        return "\(bytes) B"
    }
}
