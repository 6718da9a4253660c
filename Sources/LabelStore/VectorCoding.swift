import FoundationEssentials

/// How the store keeps float vectors as bytes: little-endian IEEE floats, 32-bit (a head's examples and
/// parameters, exact) or 16-bit (stored frames' features, `frame_features`: half the bytes; GoogLeNet's pool5
/// values are non-negative and below ~30, where a half float keeps 3 significant digits).
enum VectorCoding {
    static func float32Bytes(_ values: some Collection<Float>) -> Data {
        var data = Data(capacity: values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// nil when the byte count is not a multiple of 4.
    static func float32Values(_ data: Data) -> [Float]? {
        guard data.count % 4 == 0 else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    static func float16Bytes(_ values: some Collection<Float>) -> Data {
        var data = Data(capacity: values.count * 2)
        for value in values { withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// Decodes half floats into `destination` (as many as it holds); false when the byte count does not match.
    @discardableResult
    static func float16Values(_ data: Data, into destination: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard data.count == destination.count * 2 else { return false }
        data.withUnsafeBytes { raw in
            for index in destination.indices {
                destination[index] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))))
            }
        }
        return true
    }

    /// A stored feature vector (`StoredFeatures.width` half floats) as floats; nil when the bytes do not hold one.
    static func storedFeatures(_ data: Data) -> [Float]? {
        var vector = [Float](repeating: 0, count: StoredFeatures.width)
        return vector.withUnsafeMutableBufferPointer { float16Values(data, into: $0) } ? vector : nil
    }
}
