import Foundation

/// What part of a frame the network sees. Each view is one or more crops of the decoded picture, each scaled
/// straight into a network input (no full-size copy); the workers combine a view's crops per class.
///
/// - `center`: the centred square whose side is the spec's `cropFraction` of the shorter side (the default, and
///   what ImageNet's evaluation does);
/// - `full`: the whole frame, stretched to the square input;
/// - `tiles`: the fewest whole squares of the shorter side that cover the frame, evenly overlapped (one for a
///   square frame, two for 4:3 and 16:9, three for 2.35:1);
/// - a named region: `x, y, width, height` as fractions of the frame, stretched to the square input as it is.
package enum FrameView: Sendable, Hashable, CustomStringConvertible {
    case center
    case full
    case tiles
    case region(RegionOfFrame)

    /// The view's name, as stored with its answers (`center`, `full`, `tiles`, or the region's name).
    package var name: String {
        switch self {
        case .center: "center"
        case .full: "full"
        case .tiles: "tiles"
        case .region(let region): region.name
        }
    }

    package var description: String { name }

    /// The built-in views by name (`center`, `full`, `tiles`); `nil` for any other word.
    package init?(builtIn name: String) {
        switch name {
        case "center": self = .center
        case "full": self = .full
        case "tiles": self = .tiles
        default: return nil
        }
    }

    /// The crops of a `width`×`height` picture, in pixels (before chroma alignment), for a centre crop of
    /// `centerFraction` of the shorter side.
    package func crops(width: Int, height: Int, centerFraction: Double) -> [PixelRect] {
        let short = min(width, height), long = max(width, height)
        switch self {
        case .center:
            let side = Int((Double(short) * centerFraction).rounded())
            return [PixelRect(x: (width - side) / 2, y: (height - side) / 2, width: side, height: side)]
        case .full:
            return [PixelRect(x: 0, y: 0, width: width, height: height)]
        case .tiles:
            guard short > 0 else { return [] }
            let count = (long + short - 1) / short
            return (0..<count).map { tile in
                let offset = count == 1 ? (long - short) / 2 : Int((Double(tile * (long - short)) / Double(count - 1)).rounded())
                return width >= height
                    ? PixelRect(x: offset, y: 0, width: short, height: short)
                    : PixelRect(x: 0, y: offset, width: short, height: short)
            }
        case .region(let region):
            let x = Int((region.x * Double(width)).rounded()), y = Int((region.y * Double(height)).rounded())
            let right = min(width, Int(((region.x + region.width) * Double(width)).rounded()))
            let bottom = min(height, Int(((region.y + region.height) * Double(height)).rounded()))
            return [PixelRect(x: x, y: y, width: max(1, right - x), height: max(1, bottom - y))]
        }
    }
}

/// A rectangle of a picture, in pixels.
package struct PixelRect: Sendable, Hashable {
    package var x: Int
    package var y: Int
    package var width: Int
    package var height: Int
    package init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

/// A named part of a fixed camera's picture (`gate: [0.55, 0.30, 0.25, 0.40]`): `x, y, width, height` as
/// fractions of the frame's width and height.
package struct RegionOfFrame: Sendable, Hashable {
    package let name: String
    package let x: Double
    package let y: Double
    package let width: Double
    package let height: Double

    /// Checks the name (letters, digits, `-`, `_`; not a built-in view's) and that the rectangle lies in the frame.
    package init(name: String, x: Double, y: Double, width: Double, height: Double) throws(FrameViewError) {
        guard !name.isEmpty, name.count <= 40,
              name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" })
        else { throw FrameViewError("region name '\(name)': use letters, digits, '-' and '_' (at most 40)") }
        guard FrameView(builtIn: name) == nil else {
            throw FrameViewError("region name '\(name)' is a built-in view's: choose another")
        }
        let values = [x, y, width, height]
        guard values.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }), width > 0, height > 0,
              x + width <= 1.000_001, y + height <= 1.000_001
        else {
            throw FrameViewError("region '\(name)': x, y, width, height are fractions of the frame (0 to 1) and must stay inside it")
        }
        self.name = name
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Reads `x,y,width,height` (the command line's `--region NAME=x,y,w,h`).
    package init(name: String, text: String) throws(FrameViewError) {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 4, let x = values[0], let y = values[1], let width = values[2], let height = values[3] else {
            throw FrameViewError("region '\(name)': expected x,y,width,height as fractions of the frame, found '\(text)'")
        }
        try self.init(name: name, x: x, y: y, width: width, height: height)
    }
}

/// A view or region that cannot be used, in one line.
package struct FrameViewError: Error, CustomStringConvertible, Equatable {
    package let description: String
    package init(_ description: String) { self.description = description }
}
