package import Foundation

/// A small JPEG picture of a stored frame (a row of `thumbnails`): `width` × `height` pixels.
package struct StoredThumbnail: Hashable, Sendable {
    package let width: Int
    package let height: Int
    /// A complete JFIF/JPEG file.
    package let jpeg: Data

    package init(width: Int, height: Int, jpeg: Data) {
        self.width = width
        self.height = height
        self.jpeg = jpeg
    }

    /// Refuses what is not a picture: a size of zero or bytes that do not start like a JPEG (SOI marker).
    func validate(frameIndex: Int64) throws {
        func refuse(_ reason: String) -> LabelStoreError { .invalidThumbnail(frameIndex: frameIndex, reason: reason) }
        guard width > 0, height > 0 else { throw refuse("its size is \(width)×\(height)") }
        guard jpeg.starts(with: [0xFF, 0xD8, 0xFF]) else { throw refuse("it is not a JPEG picture") }
    }
}
