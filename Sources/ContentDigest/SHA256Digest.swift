import CCrypto
package import Foundation

/// SHA-256 from the system's libcrypto (OpenSSL, a C library every Debian system has; nothing to compile): of
/// the model file, recorded with every run so that answers can be traced to the exact weights, and of a video
/// file's ends, which tell new content at a known path.
package enum SHA256Digest {
    /// The digest of `data` as 64 lowercase hexadecimal digits.
    package static func hex(of data: Data) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let succeeded = data.withUnsafeBytes { bytes in
            EVP_Digest(bytes.baseAddress, bytes.count, &digest, &length, EVP_sha256(), nil) == 1
        }
        precondition(succeeded && length == 32, "libcrypto's SHA-256 failed")
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
