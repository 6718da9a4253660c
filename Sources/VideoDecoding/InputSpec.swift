/// The tensor the decoder makes of every image or video frame: the network's input, described by the
/// pipeline from the model's constants (the decoder itself knows no model).
///
/// The contract: take the centred square whose side is `cropFraction` of the picture's shorter side, scale it
/// to `size`×`size` with bilinear filtering, order the channels blue, green, red, and subtract `meanBGR` from
/// the 0–255 values. The tensor is planar (CHW) float32. One implementation of this exists: the decoder's
/// frame converter; `classify` uses it too.
package struct InputSpec: Sendable, Equatable {
    /// Width and height of the network's input, in pixels.
    package var size: Int
    /// The side of the centre crop as a fraction of the shorter side of the picture.
    package var cropFraction: Double
    /// Per-channel mean subtracted from the 0–255 values, in blue, green, red order.
    package var meanBGR: (blue: Float, green: Float, red: Float)

    package init(size: Int, cropFraction: Double, meanBGR: (blue: Float, green: Float, red: Float)) {
        self.size = size
        self.cropFraction = cropFraction
        self.meanBGR = meanBGR
    }

    /// Number of floats in one input tensor (3 × size × size).
    package var elementCount: Int { 3 * size * size }

    package static func == (lhs: InputSpec, rhs: InputSpec) -> Bool {
        lhs.size == rhs.size && lhs.cropFraction == rhs.cropFraction
            && lhs.meanBGR.blue == rhs.meanBGR.blue && lhs.meanBGR.green == rhs.meanBGR.green
            && lhs.meanBGR.red == rhs.meanBGR.red
    }
}
