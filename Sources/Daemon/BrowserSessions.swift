import ContentDigest
import Foundation
import Synchronization

/// The browsers logged in with the token (`POST /login`): each holds a random session id in its cookie — 32
/// bytes from the system's generator, never the token itself — kept here in memory with its expiry, so a
/// restart or `POST /session/logout` ends it. A lookup compares the id with every open session in constant time.
final class BrowserSessions: Sendable {
    /// How long a login lasts.
    static let lifetime: Duration = .seconds(12 * 3600)
    /// Sessions kept at most; logging in beyond it ends the oldest.
    static let capacity = 64

    /// Each open session's id (its cookie value's bytes) and when it ends.
    private let open = Mutex<[(id: [UInt8], expiry: ContinuousClock.Instant)]>([])

    /// A new session; its id as the cookie carries it (64 hexadecimal digits).
    func start() -> String {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        let now = ContinuousClock.now
        open.withLock { sessions in
            sessions.removeAll { $0.expiry <= now }
            if sessions.count >= Self.capacity { sessions.removeFirst() }
            sessions.append((Array(id.utf8), now + Self.lifetime))
        }
        return id
    }

    /// Whether `cookieValue` names a session that has not ended.
    func isOpen(_ cookieValue: String) -> Bool {
        let id = Array(cookieValue.utf8)
        let now = ContinuousClock.now
        return open.withLock { sessions in
            sessions.reduce(false) { found, session in
                MessageAuthentication.equalInConstantTime(session.id, id) && session.expiry > now || found
            }
        }
    }

    /// Ends the session `cookieValue` names, if any.
    func end(_ cookieValue: String) {
        let id = Array(cookieValue.utf8)
        open.withLock { sessions in sessions.removeAll { MessageAuthentication.equalInConstantTime($0.id, id) } }
    }
}
