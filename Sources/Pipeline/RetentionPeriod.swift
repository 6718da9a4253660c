/// How long stored frames are kept: a whole number of days, hours, minutes or seconds, written `30d`, `12h`,
/// `10m` or `45s` (the short ones so that retention can be tried in minutes). At least 1 s, at most 100 years.
package struct RetentionPeriod: Sendable, Hashable, CustomStringConvertible {
    package let seconds: Double
    package let description: String

    /// The longest period taken (100 years).
    static let longest = 3_153_600_000.0

    package init(_ text: String) throws(ConfigurationError) {
        let units: [Character: Double] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
        guard let unit = text.last, let scale = units[unit], let count = Int(text.dropLast()), count > 0 else {
            throw ConfigurationError(message: "expected a period such as 30d, 12h, 10m or 45s, found '\(text)'")
        }
        let seconds = Double(count) * scale
        guard seconds <= Self.longest else {
            throw ConfigurationError(message: "a period of at most 100 years (36500d), found '\(text)'")
        }
        self.seconds = seconds
        description = text
    }
}
