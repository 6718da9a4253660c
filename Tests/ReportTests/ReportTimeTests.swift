import Foundation
import Testing
@testable import Report

@Suite("Report times and escaping")
struct ReportTimeTests {
    @Test(arguments: [("90", 90.0), ("1:30", 90.0), ("1:02:03.5", 3723.5), ("0.25", 0.25)])
    func offsets(text: String, seconds: Double) {
        #expect(ReportTime(text) == .offset(seconds))
    }

    @Test func clockTimesAreUTC() {
        let expected = Date(timeIntervalSince1970: 1_795_946_400) // 2026-11-29 10:00:00 UTC
        #expect(ReportTime("2026-11-29T10:00:00Z") == .clock(expected))
        #expect(ReportTime("2026-11-29 10:00") == .clock(expected))
        #expect(TimeText.clock(expected.timeIntervalSince1970) == "2026-11-29 10:00:00 UTC")
    }

    @Test(arguments: ["", "ten", "1:xx", "-5", "2026-13-45T99:00"])
    func nonsenseIsNotATime(text: String) {
        #expect(ReportTime(text) == nil)
    }

    @Test func aRangeThatEndsBeforeItStartsIsRefused() {
        #expect(throws: ReportError.emptyRange) {
            try ReportRequest(from: .offset(10), to: .offset(5)).window()
        }
    }

    @Test func markupInDataBecomesText() {
        #expect(escaped("<script>alert('x')</script> & \"q\"") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        #expect(escaped("a\u{0}b\u{1B}c") == "abc")
    }
}
