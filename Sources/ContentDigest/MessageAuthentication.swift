import CCrypto

/// HMAC-SHA-256 from the same libcrypto: a keyed digest only the key's holder can make, for values the daemon
/// hands out and must recognise later (its forms' tokens).
package enum MessageAuthentication {
    /// HMAC-SHA-256 of `message` under `key`: 32 bytes.
    package static func code(of message: [UInt8], key: [UInt8]) -> [UInt8] {
        let size = 32
        var code = [UInt8](repeating: 0, count: size)
        var length = 0
        let made = EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil, key, key.count, message, message.count, &code, size, &length)
        precondition(made != nil && length == size, "libcrypto's HMAC-SHA-256 failed")
        return code
    }

    /// Whether `a` and `b` are equal, comparing every byte whatever the first difference (same time for every
    /// wrong guess of the same length), so the time taken tells nothing about a secret.
    package static func equalInConstantTime(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
