import GoogLeNet
package import VideoDecoding

extension InputSpec {
    /// The tensor the decoder makes for GoogLeNet, from the network's own constants.
    package static let googLeNet = InputSpec(
        size: GoogLeNetArchitecture.input.width, cropFraction: GoogLeNetArchitecture.cropFraction,
        meanBGR: GoogLeNetArchitecture.meanBGR)
}
