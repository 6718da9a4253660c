import Foundation
import ContentDigest
import LabelStore
import VideoDecoding

/// How an input is known in the database (`sources`): a local file by its canonical path and a fingerprint
/// of its content, so that any spelling of its path resumes the same source and new content at the same
/// path is a new one; a network input by its redacted URL.
///
/// The fingerprint is the file's size and the SHA-256 of its first and last MiB. Size and modification
/// time would be cheaper, but a copy, a restore from backup or a `touch` changes the time without changing
/// a frame (and the video would be labelled again), while content replaced in place can keep it; two MiB
/// from both ends read in milliseconds and change whenever the container's header, index or length does.
enum SourceIdentity {
    static let sampledBytes = 1 << 20

    static func descriptor(for location: InputLocation) throws -> SourceDescriptor {
        let uri = uri(of: location)
        return switch location.kind {
        case .file: SourceDescriptor(uri: uri, kind: .file, fingerprint: try fingerprint(ofFileAt: uri))
        case .rtsp: SourceDescriptor(uri: uri, kind: .rtsp)
        case .http: SourceDescriptor(uri: uri, kind: .http)
        case .otherURL: SourceDescriptor(uri: uri, kind: .stream)
        }
    }

    /// `sources.uri` of the input: a file's canonical path, a network input's redacted URL (without reading it).
    static func uri(of location: InputLocation) -> String {
        location.kind == .file ? canonicalPath(location.description) : location.description
    }

    /// The absolute path with `.`, `..` and symbolic links resolved.
    static func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return URL(fileURLWithPath: path).standardized.path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `SIZE:SHA256` of the first and last `sampledBytes` of the file (the whole file when it is smaller).
    static func fingerprint(ofFileAt path: String) throws -> String {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw SourceIdentityError(path: path)
        }
        defer { try? file.close() }
        let size = try file.seekToEnd()
        try file.seek(toOffset: 0)
        var sample = try file.read(upToCount: sampledBytes) ?? Data()
        if size > UInt64(sampledBytes) {
            try file.seek(toOffset: max(UInt64(sampledBytes), size - UInt64(sampledBytes)))
            sample += try file.read(upToCount: sampledBytes) ?? Data()
        }
        return "\(size):\(SHA256Digest.hex(of: sample))"
    }
}

/// A file that opened for decoding but could not be read for its fingerprint.
struct SourceIdentityError: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path): cannot read the file to fingerprint it" }
}
