import Foundation

/// Text from data (labels, URIs) made safe for HTML and SVG text and attribute values: `&`, `<`, `>`, `"` and
/// `'` become character references, control characters are dropped. Nothing from the database reaches the page
/// any other way.
func escaped(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n": continue
        case _ where (0x7F...0x9F).contains(scalar.value): continue
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// How times read on the page.
enum TimeText {
    /// Seconds from the start as H:MM:SS.s (M:SS.s under an hour).
    static func offset(_ seconds: Double) -> String {
        let tenths = Int((max(0, seconds) * 10).rounded())
        let hours = tenths / 36_000, minutes = tenths / 600 % 60, wholeSeconds = tenths / 10 % 60, tenth = tenths % 10
        let clock = hours > 0 ? "\(hours):\(twoDigits(minutes))" : "\(minutes)"
        return "\(clock):\(twoDigits(wholeSeconds)).\(tenth)"
    }

    /// A short offset for axis ticks: H:MM or M:SS.
    static func tick(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 3600 ? "\(whole / 3600):\(twoDigits(whole / 60 % 60))" : "\(whole / 60):\(twoDigits(whole % 60))"
    }

    /// Unix seconds as a UTC date and time, e.g. 2026-11-29 10:00:05 UTC.
    static func clock(_ unixSeconds: Double) -> String {
        var time = time_t(unixSeconds.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return "\(parts.tm_year + 1900)-\(twoDigits(Int(parts.tm_mon) + 1))-\(twoDigits(Int(parts.tm_mday))) "
            + "\(twoDigits(Int(parts.tm_hour))):\(twoDigits(Int(parts.tm_min))):\(twoDigits(Int(parts.tm_sec))) UTC"
    }

    /// Unix seconds as a UTC time of day, for axis ticks `spacing` seconds apart: HH:MM when ticks are minutes
    /// apart or more, HH:MM:SS when seconds, with tenths below that (so no two ticks of a row read the same).
    static func clockTick(_ unixSeconds: Double, spacing: Double) -> String {
        let time = String(clock(unixSeconds).dropFirst(11).prefix(8))
        if spacing >= 60 { return String(time.prefix(5)) }
        if spacing >= 1 { return time }
        let tenth = Int((unixSeconds - unixSeconds.rounded(.down)) * 10)
        return "\(time).\(tenth)"
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        if seconds < 3600 { return String(format: "%d min %02d s", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%d h %02d min", Int(seconds) / 3600, Int(seconds) / 60 % 60)
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

}

/// Numbers in SVG coordinates: at most one decimal, no trailing zeros.
func coordinate(_ value: Double) -> String {
    let tenths = (value * 10).rounded()
    return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(tenths / 10)
}
