import FramewiseTestSupport
import Foundation
import Testing
import VideoDecoding
@testable import GoogLeNet

/// `framewise classify` end to end: the built binary decodes real photos with FFmpeg and names them.
@Suite struct ClassifyCommandTests {
    struct Answer: Decodable {
        struct Ranked: Decodable {
            let `class`: Int
            let label: String
            let score: Double
        }
        let input: String
        let top: [Ranked]
    }

    @Test func photosAreNamed() throws {
        let photos = [TestData.photo("coffee.png"), TestData.photo("motorcycle_left.png")]
        let result = try runFramewise(["classify", "--model", SharedData.modelDirectory, "--json", "--top", "3"] + photos)
        let answers = try result.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(Answer.self, from: Data($0.utf8))
        }
        try #require(answers.count == 2)
        #expect(answers.map(\.input) == photos)
        #expect(answers[0].top.first?.label == "espresso")
        #expect(answers[0].top.first?.class == 967)
        #expect(answers[1].top.first?.label == "moped")
        #expect(answers.allSatisfy { $0.top.count == 3 && $0.top[0].score >= $0.top[1].score })
        #expect((answers[0].top.first?.score ?? 0) > 0.85)
    }

    /// `--features`: the JSON object carries the photo's 1024 pool5 features, the same the engine returns for it.
    @Test func featuresArePrintedAsJSON() throws {
        struct WithFeatures: Decodable {
            let top: [Answer.Ranked]
            let features: [Float]
        }
        let photo = TestData.photo("coffee.png")
        let result = try runFramewise(["classify", "--model", SharedData.modelDirectory, "--features", photo])
        let answer = try JSONDecoder().decode(WithFeatures.self, from: Data(result.stdout.utf8))
        #expect(answer.top.first?.label == "espresso")
        let engine = try GoogLeNetEngine(weights: SharedData.preparedWeights())
        let input = try StillImage.networkInput(contentsOf: photo, spec: SharedCalibration.spec)
        #expect(answer.features == (try engine.classifyWithFeatures(batch: [input])[0].features))
    }

    @Test(arguments: ["truncated.png", "absent.png"])
    func unreadablePictureIsOneLineAndFailure(name: String) throws {
        let directory = try TemporaryDirectory(prefix: "framewise-classify")
        let photo = try Data(contentsOf: URL(fileURLWithPath: TestData.photo("coffee.png")))
        try photo.prefix(100).write(to: URL(fileURLWithPath: directory.path("truncated.png")))
        let result = try runFramewise(["classify", "--model", SharedData.modelDirectory, directory.path(name)],
                                      mustSucceed: false)
        #expect(result.status != 0)
        // FFmpeg's own log lines may precede it; Framewise's answer is one line naming the file.
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1, "stderr: \(result.stderr)")
        #expect(errors.first?.contains(directory.path(name)) == true)
    }
}
