import FramewiseTestSupport
import Foundation
import Testing
import VideoDecoding
@testable import GoogLeNet

/// One int8 calibration made from the thirteen shared photos, for every test that needs one.
enum SharedCalibration {
    static let photos = ["astronaut.png", "brick.png", "camera.png", "coffee.png", "coins.png", "grass.png", "gravel.png",
                         "hubble_deep_field.jpg", "ihc.png", "motorcycle_left.png", "motorcycle_right.png", "retina.jpg", "text.png"]
    static let spec = InputSpec(size: GoogLeNetArchitecture.input.width, cropFraction: GoogLeNetArchitecture.cropFraction,
                                meanBGR: GoogLeNetArchitecture.meanBGR)
    private static let made = Result {
        let images = try photos.map { try StillImage.networkInput(contentsOf: TestData.photo($0), spec: spec) }
        return try Calibrator(weights: SharedData.weights(), threads: 2)
            .calibrate(images, modelSHA256: "test", inputs: photos)
    }
    private static let prepared = Result { PreparedWeights(try SharedData.weights(), numerics: .int8(try made.get())) }

    static func calibration() throws -> Calibration { try made.get() }
    static func int8Weights() throws -> PreparedWeights { try prepared.get() }
}

/// bf16 and int8 against fp32 on the reference tensors (ONNX Runtime's fp32 outputs for the same inputs).
@Suite struct PrecisionParityTests {
    /// The photos, whose fp32 top-1 the lower precisions must keep.
    static let photos = ["coffee", "astronaut", "motorcycle_left"]

    /// int8 (s8 weights, u8 activations in 255 steps of each layer's calibrated range) moves probabilities by at
    /// most 0.029 on these inputs (measured on AVX2, calibration from the 13 photos: coffee 0.011, astronaut 0.029,
    /// motorcycle_left 0.008, noise 0.027, zeros 0.027); 0.05 leaves room for other CPUs' kernels (VNNI keeps
    /// all 8 weight bits, AVX2 without VNNI halves the weights to avoid 16-bit overflow).
    static let int8Tolerance: Float = 0.05
    /// bf16 keeps 8 bits of mantissa through 57 convolutions (relative error ~0.4% per value). Not measured: this
    /// machine has no AVX512_BF16 (the test is skipped there); set from the int8 figure, to be checked on one.
    static let bf16Tolerance: Float = 0.03

    @Test(arguments: photos + ["noise", "zeros"])
    func int8KeepsTop1AndStaysClose(name: String) throws {
        let engine = try GoogLeNetEngine(weights: SharedCalibration.int8Weights())
        let probabilities = try engine.classify(try TestData.referenceTensor("\(name).input.f32"))
        let expected = try TestData.referenceTensor("\(name).prob.f32")
        let worst = zip(probabilities, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= Self.int8Tolerance, "\(name): max |p_int8 - p_fp32| = \(worst)")
        if Self.photos.contains(name) {
            #expect(topClasses(probabilities, 1) == topClasses(expected, 1), "\(name): int8 top-1 differs")
        }
    }

    @Test(.enabled(if: CPUSupport.supports(.bf16), "this CPU has no AVX512_BF16"), arguments: photos + ["noise", "zeros"])
    func bf16KeepsTop1AndStaysClose(name: String) throws {
        let engine = try GoogLeNetEngine(weights: PreparedWeights(SharedData.weights(), numerics: .bf16))
        let probabilities = try engine.classify(try TestData.referenceTensor("\(name).input.f32"))
        let expected = try TestData.referenceTensor("\(name).prob.f32")
        let worst = zip(probabilities, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= Self.bf16Tolerance, "\(name): max |p_bf16 - p_fp32| = \(worst)")
        if Self.photos.contains(name) {
            #expect(topClasses(probabilities, 1) == topClasses(expected, 1), "\(name): bf16 top-1 differs")
        }
    }

    /// u8 activations hold each layer's values in 255 steps of its range: the pooled features int8 hands the
    /// classifier stay within a few steps of fp32's.
    @Test func int8IntermediateActivationsFollowFP32() throws {
        let engine = try GoogLeNetEngine(weights: SharedCalibration.int8Weights())
        let calibration = try SharedCalibration.calibration()
        let input = try TestData.referenceTensor("coffee.input.f32")
        let outputs = try engine.activations(input, of: ["inception_3a", "inception_5b"])
        for (layer, file) in [("inception_3a", "inception_3a.output_1"), ("inception_5b", "inception_5b.output_1")] {
            let expected = try TestData.referenceTensor("layers/coffee.\(file).f32")
            let actual = try #require(outputs[layer])
            let step = try #require(calibration.ranges[layer]) / 255
            let meanError = zip(actual, expected).reduce(0) { $0 + abs($1.0 - $1.1) } / Float(expected.count)
            #expect(meanError <= 2 * step, "\(layer): mean |int8 - fp32| = \(meanError), one u8 step = \(step)")
        }
    }

    /// int8's conv1 reads the picture's pixels (the picture plus the channel means) inside a border of means, with
    /// the means' share taken off its bias. On the all-zeros picture every pixel is a mean, so that share is the
    /// whole input and every output must be its channel's ReLU(bias), exactly but for f32 rounding of the bias
    /// (measured 1.3e-5 on Zen 5). A border of zeros instead of the means gives 2,069 (measured by breaking it);
    /// a NumPy model of the layer gives ~270 for a bias without the fold, ~3 for a fold over unrounded weights.
    @Test func int8FirstConvolutionOfTheZeroPictureIsItsBias() throws {
        let engine = try GoogLeNetEngine(weights: SharedCalibration.int8Weights())
        let zeros = try TestData.referenceTensor("zeros.input.f32")
        let output = try #require(try engine.activations(zeros, of: ["conv1/7x7_s2"])["conv1/7x7_s2"])
        let bias = try SharedData.weights().values("conv1/7x7_s2_b_0")
        let perChannel = output.count / bias.count
        let worst = output.indices.map { abs(output[$0] - max(bias[$0 / perChannel], 0)) }.max() ?? .infinity
        #expect(worst <= 0.01, "max |conv1 - ReLU(bias)| on the zero picture = \(worst)")
    }

    /// On a photo, int8's conv1 differs from fp32's by its s8 weights' rounding alone (the pixels are exact): on
    /// coffee, mean |int8 − fp32| 0.44 over all outputs (which reach ~3,000) and 0.38 over the outputs whose
    /// windows reach into the border (rows and columns 0, 1 and 111), measured on Zen 5 and in a NumPy model of
    /// the layer alike; a border of zeros instead of the means gives 3.97 and 67 (measured by breaking it).
    /// Without VNNI the weights keep 7 bits, twice the rounding (border mean 1.03 with oneDNN held to AVX2), so
    /// both must stay within 2.
    @Test func int8FirstConvolutionFollowsFP32IntoTheBorder() throws {
        let engine = try GoogLeNetEngine(weights: SharedCalibration.int8Weights())
        let coffee = try TestData.referenceTensor("coffee.input.f32")
        let output = try #require(try engine.activations(coffee, of: ["conv1/7x7_s2"])["conv1/7x7_s2"])
        let expected = try TestData.referenceTensor("layers/coffee.conv1.7x7_s2_2.f32")
        let side = 112, borderLines: Set = [0, 1, side - 1]
        let differences = zip(output, expected).map { abs($0 - $1) }
        let atTheBorder = differences.indices.filter { borderLines.contains($0 / side % side) || borderLines.contains($0 % side) }
        let mean = differences.reduce(0, +) / Float(differences.count)
        let borderMean = atTheBorder.reduce(0) { $0 + differences[$1] } / Float(atTheBorder.count)
        #expect(mean <= 2, "mean |int8 - fp32| over conv1 = \(mean)")
        #expect(borderMean <= 2, "mean |int8 - fp32| over conv1's border outputs = \(borderMean)")
    }

    @Test func batchesRunAtTheEnginesPrecision() throws {
        let single = try GoogLeNetEngine(weights: SharedCalibration.int8Weights())
        let batched = try GoogLeNetEngine(weights: SharedCalibration.int8Weights(), batchSize: 2)
        let inputs = try ["coffee", "motorcycle_left"].map { try TestData.referenceTensor("\($0).input.f32") }
        let alone = try inputs.map { try single.classify($0) }
        #expect(try single.classify(batch: inputs) == alone)
        #expect(try batched.classify(inputs.flatMap { $0 }) == alone.flatMap { $0 })
        #expect(batched.precision == .int8)
    }
}

/// The calibration file: made from real frames, written into the model directory, found again, tied to its model.
@Suite struct CalibrationFileTests {
    @Test func calibrationChoosesBetweenMaxAndPercentileByAgreement() throws {
        let calibration = try SharedCalibration.calibration()
        #expect(Set(calibration.agreement.keys) == ["max", "percentile-99.99"])
        #expect(calibration.agreement[calibration.method] == calibration.agreement.values.max())
        #expect(calibration.frames == SharedCalibration.photos.count)
        // Every layer int8 quantizes has a range (the engine would refuse to build otherwise), all positive.
        #expect(calibration.ranges["inception_4e/5x5_reduce"] != nil)
        #expect(calibration.ranges.values.allSatisfy { $0 >= 0 && $0.isFinite })
    }

    @Test func writtenFileIsFoundForItsModelOnly() throws {
        let directory = try TemporaryDirectory(prefix: "framewise-calibration")
        var calibration = try SharedCalibration.calibration()
        calibration.modelSHA256 = "aaaa1111"
        try calibration.write(directory: directory.url.path)
        #expect(try Calibration.load(directory: directory.url.path, modelSHA256: "aaaa1111") == calibration)
        let other = #expect(throws: CalibrationError.self) {
            try Calibration.load(directory: directory.url.path, modelSHA256: "bbbb2222")
        }
        #expect(other?.message.contains("made for another model") == true, "\(other?.message ?? "")")
    }

    @Test func missingFileNamesTheCommand() throws {
        let directory = try TemporaryDirectory(prefix: "framewise-calibration")
        let error = #expect(throws: CalibrationError.self) { try Calibration.load(directory: directory.url.path, modelSHA256: "x") }
        #expect(error?.message.contains("framewise model calibrate") == true)
    }

    @Test(arguments: ["{\"format\": 1", "[]", "{\"format\": 1, \"model_sha256\": 5}", ""])
    func corruptFileIsOneLine(contents: String) throws {
        let directory = try TemporaryDirectory(prefix: "framewise-calibration")
        try Data(contents.utf8).write(to: URL(fileURLWithPath: directory.path(Calibration.fileName)))
        let error = #expect(throws: CalibrationError.self) { try Calibration.load(directory: directory.url.path, modelSHA256: "x") }
        #expect(error?.message.contains("is not a valid calibration file") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\n") == false)
    }

    @Test func int8EngineRefusesACalibrationWithoutItsLayers() throws {
        var calibration = try SharedCalibration.calibration()
        calibration.ranges["inception_3b/pool_proj"] = nil
        calibration.ranges["inception_3b"] = nil
        #expect(throws: CalibrationError.self) {
            try GoogLeNetEngine(weights: PreparedWeights(SharedData.weights(), numerics: .int8(calibration)))
        }
    }
}

/// The command line end to end: calibrate into a model directory, then classify at int8; the clear errors.
@Suite struct PrecisionCommandTests {
    /// A model directory of its own (links to the shared files), so the calibration file can be written.
    static func modelCopy() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "framewise-model")
        for file in ["googlenet-bvlc.onnx", "synset_words.txt"] {
            try FileManager.default.createSymbolicLink(atPath: directory.path(file), withDestinationPath: SharedData.modelDirectory + "/" + file)
        }
        return directory
    }

    @Test func calibrateThenClassifyAtInt8() throws {
        let model = try Self.modelCopy()
        let photos = ["coffee.png", "motorcycle_left.png", "camera.png"].map(TestData.photo)
        let withoutCalibration = try runFramewise(["classify", "--model", model.url.path, "--precision", "int8", photos[0]],
                                                  mustSucceed: false)
        #expect(withoutCalibration.status == 1)
        let errors = withoutCalibration.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1 && errors[0].contains("framewise model calibrate"), "\(withoutCalibration.stderr)")

        let calibrated = try runFramewise(["model", "calibrate", "--model", model.url.path] + photos)
        #expect(calibrated.stdout.contains("calibrated int8 on 3 frames"), "\(calibrated.stdout)")
        let stored = try JSONDecoder().decode(Calibration.self, from: Data(contentsOf: URL(fileURLWithPath: model.path(Calibration.fileName))))
        #expect(stored.modelSHA256 == "3df0bb7064839f62847cf70a7a02bbf2ab3d1377c961879c3198ee45d128d4d4")
        #expect(stored.inputs == photos)

        let info = try runFramewise(["model", "info", "--model", model.url.path])
        #expect(info.stdout.contains("int8:        available (calibrated"), "\(info.stdout)")
        let answer = try runFramewise(["classify", "--model", model.url.path, "--precision", "int8", "--top", "1", photos[0]])
        #expect(answer.stdout.contains("espresso"), "\(answer.stdout)")

        // A run at int8 labels the clip and records its precision.
        let clip = model.path("coffee.mp4"), database = model.path("labels.sqlite")
        try makeClip(clip, ["-loop", "1", "-framerate", "25", "-t", "1", "-i", photos[0], "-vf", "scale=600:-2,crop=600:400",
                            "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        try runFramewise(["run", clip, "--model", model.url.path, "--precision", "int8", "--every", "5", "--db", database, "--quiet"])
        let recorded = try runFramewise(["query", "--db", database, "--format", "csv",
                                       "SELECT r.precision, count(*) FROM runs r JOIN predictions p ON p.rank = 1 AND p.label = 'espresso' GROUP BY r.id"])
        #expect(recorded.stdout.split(whereSeparator: \.isNewline).last == "int8,5", "\(recorded.stdout)")
    }

    /// oneDNN's own switch makes this CPU look like one without AVX512_BF16 (whatever it really has).
    @Test func bf16WithoutAVX512BF16IsOneClearLine() throws {
        let result = try runFramewise(["classify", "--model", SharedData.modelDirectory, "--precision", "bf16",
                                       TestData.photo("coffee.png")],
                                      environment: ["ONEDNN_MAX_CPU_ISA": "AVX512_CORE_VNNI"], mustSucceed: false)
        #expect(result.status == 1)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1, "\(result.stderr)")
        #expect(errors.first?.contains("bf16 needs a CPU with AVX512_BF16") == true, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
