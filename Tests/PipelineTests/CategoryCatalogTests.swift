import Foundation
import FramewiseTestSupport
import LabelStore
import Logging
import Testing
@testable import Pipeline

/// Without WordNet the everyday categories are left out (frames are still labelled); named ones are refused.
@Suite struct CategoryCatalogTests {
    @Test("a machine without WordNet labels on without the everyday categories, and refuses named ones in one line")
    func withoutWordNet() throws {
        let directory = try TemporaryDirectory()
        let store = try LabelStore(path: directory.path("labels.sqlite"))
        let empty = URL(fileURLWithPath: directory.path("no-wordnet"))
        let catalog = CategoryCatalog(classWnids: ["n02084071"], wordnetDirectory: empty)
        let logger = Logger(label: "test")
        let everyday = try catalog.scoring(for: nil, in: store, logger: logger)
        #expect(everyday.scoring.entries.isEmpty && everyday.names.isEmpty)
        #expect {
            try catalog.scoring(for: ["dog"], in: store, logger: logger)
        } throws: { error in
            let failure = error as? InputFailure
            return failure?.isPermanent == true && failure?.message.contains("apt-get install wordnet-base") == true
        }
        #expect(try catalog.scoring(for: [], in: store, logger: logger).scoring.entries.isEmpty)
    }
}
