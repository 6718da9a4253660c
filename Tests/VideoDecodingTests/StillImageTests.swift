import Foundation
import FramewiseTestSupport
import GoogLeNet
import Pipeline
import Testing
@testable import VideoDecoding

@Suite struct StillImageTests {
    @Test func coffeeMatchesTheReferencePreprocessing() throws {
        let tensor = try StillImage.networkInput(contentsOf: coffeePhoto, spec: .googLeNet)
        let reference = try TestData.referenceTensor("coffee.input.f32")
        #expect(tensor.count == InputSpec.googLeNet.elementCount)
        // The reference was made with PIL (resize the short side to 256, then crop); swscale crops then
        // scales, so the two differ by resampling detail only.
        let difference = meanAbsoluteDifference(tensor, reference)
        print("coffee.png vs reference: mean abs difference \(difference)")
        #expect(difference < 1.5)
        // Channel order: each plane's mean matches the reference's plane mean (a BGR/RGB swap would not).
        let plane = 224 * 224
        for channel in 0..<3 {
            let ours = tensor[channel * plane..<(channel + 1) * plane].reduce(0, +) / Float(plane)
            let theirs = reference[channel * plane..<(channel + 1) * plane].reduce(0, +) / Float(plane)
            #expect(abs(ours - theirs) < 1.5, "channel \(channel): \(ours) vs \(theirs)")
        }
    }
}
