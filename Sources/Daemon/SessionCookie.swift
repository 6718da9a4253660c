import Hummingbird

/// The cookie that carries a browser's session id (`BrowserSessions`): `framewise_session_PORT` (cookies do not
/// tell ports apart, so two daemons on one machine keep theirs apart by name), HttpOnly (no script reads it),
/// SameSite=Strict (no other site's page sends it), Path=/, for the session's lifetime. Not `Secure`: the daemon
/// speaks plain HTTP (on loopback by default); behind a TLS proxy the browser still keeps it.
struct SessionCookie: Sendable {
    let name: String

    init(port: Int) {
        name = "framewise_session_\(port)"
    }

    /// The value the request carries, if any.
    func value(in request: Request) -> String? {
        request.cookies[name]?.value
    }

    /// Sets `value` in the browser.
    func setting(_ value: String) -> Cookie {
        Cookie(name: name, value: value, maxAge: Int(BrowserSessions.lifetime.components.seconds), path: "/",
               httpOnly: true, sameSite: .strict)
    }

    /// Removes it from the browser.
    var clearing: Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict)
    }
}
