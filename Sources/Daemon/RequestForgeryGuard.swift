import ContentDigest
import Foundation
import Hummingbird
import Report

/// Tells requests from the daemon's own pages from forged ones (cross-site request forgery), for every request
/// that changes state (all but GET and HEAD; `RequestForgeryMiddleware` asks it). Two checks, both required:
/// - where the request comes from: its `Origin` (or, without one, its `Referer`) must name a host the daemon
///   answers as (`AcceptedHosts`, the `Host` rule), so another site's page, `null` origins and requests that
///   say nothing are refused;
/// - a token only the daemon's pages carry, in the form's hidden `framewise_csrf` field (`field(for:)`) or the
///   `X-Framewise-CSRF` header: `EXPIRY.HMAC`, where HMAC is HMAC-SHA-256 under a random secret made at start
///   (never stored, so a restart voids every token) of the expiry (12 hours on) and the request's session cookie
///   (empty without one): a token is useless after its time, under another browser's login, or to anyone who
///   cannot read the daemon's pages — which is what the `Host` check keeps other sites from doing.
/// Nothing is stored per page: the page refreshes itself, and each rendering carries a fresh token.
struct RequestForgeryGuard: Sendable {
    /// The hidden form field that carries the token.
    static let formField = "framewise_csrf"
    /// The header that carries it for requests made by a script of the page.
    static let header = "X-Framewise-CSRF"
    /// How long a rendered token is taken.
    static let lifetime: TimeInterval = 12 * 3600

    let hosts: AcceptedHosts
    let sessionCookie: SessionCookie
    private let secret: [UInt8]

    init(hosts: AcceptedHosts, sessionCookie: SessionCookie) {
        self.hosts = hosts
        self.sessionCookie = sessionCookie
        var generator = SystemRandomNumberGenerator()
        secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The hidden field a form rendered for `request` carries (`PostButton.hiddenFields`, or any form posting to
    /// the daemon).
    func field(for request: Request) -> HiddenField {
        HiddenField(name: Self.formField, value: token(for: request))
    }

    /// The token for pages answering `request` (bound to its session cookie).
    func token(for request: Request) -> String {
        let expiry = Int(Date().timeIntervalSince1970 + Self.lifetime)
        return "\(expiry).\(code(expiry: expiry, request: request))"
    }

    /// Why `request` is refused, in one line; nil when it comes from one of the daemon's pages. Reads the body
    /// when it is a form (the route can read it again).
    func refusal(of request: inout Request) async throws -> String? {
        let from = request.headers[.origin] ?? request.headers[.referer]
        guard let from else { return "cross-site check: the request has neither Origin nor Referer" }
        guard let sender = HostAndPort(url: from), hosts.accepts(sender) else {
            return "cross-site check: the request comes from another site's page"
        }
        var sent = request.headers[.init(Self.header)!]
        if sent == nil { sent = try await FormFields.read(&request)?[Self.formField] }
        guard let sent else { return "cross-site check: the form carries no \(Self.formField) token" }
        let parts = sent.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let expiry = Int(parts[0]), Double(expiry) > Date().timeIntervalSince1970,
              MessageAuthentication.equalInConstantTime(Array(parts[1].utf8), Array(code(expiry: expiry, request: request).utf8))
        else { return "cross-site check: the form's token is not valid or has expired: reload the page" }
        return nil
    }

    /// The HMAC of `expiry` and the request's session cookie, in hexadecimal.
    private func code(expiry: Int, request: Request) -> String {
        let message = "\(expiry)|\(sessionCookie.value(in: request) ?? "")"
        return MessageAuthentication.code(of: Array(message.utf8), key: secret).map { String(format: "%02x", $0) }.joined()
    }
}
