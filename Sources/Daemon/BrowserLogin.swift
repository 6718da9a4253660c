import ContentDigest
import Hummingbird
import Report

/// How a browser logs in with the daemon's token (a browser cannot send `Authorization: Bearer` by itself):
/// `GET /login` is a form; `POST /login` with the token in its `token` field (and the form's forgery token, so
/// another site cannot log a browser in as it likes) starts a `BrowserSessions` session, sets its
/// `SessionCookie` and sends the browser to `/`; a wrong token gets the form again, 401. `POST /session/logout`
/// ends the session and clears the cookie. The token itself is only ever compared, in constant time: it is
/// not logged, counted, rendered nor put in the cookie.
struct BrowserLogin: Sendable {
    static let path = "/login"
    static let logoutPath = "/session/logout"

    /// The daemon's token; nil: no login (the daemon is open on loopback), and `/login` does not exist.
    let token: String?
    let sessions: BrowserSessions
    let cookie: SessionCookie
    let forgery: RequestForgeryGuard

    func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        if let token {
            router.get(RouterPath(Self.path)) { request, _ in
                loginPage(for: request, status: .ok, message: nil)
            }
            router.post(RouterPath(Self.path)) { request, _ in
                var request = request
                let sent = try await FormFields.read(&request)?["token"] ?? ""
                guard MessageAuthentication.equalInConstantTime(sent.utf8, token.utf8) else {
                    return loginPage(for: request, status: .unauthorized, message: "That is not the daemon's token.")
                }
                var response = Response.seeOther("/")
                response.setCookie(cookie.setting(sessions.start()))
                return response
            }
        }
        router.post(RouterPath(Self.logoutPath)) { request, _ in
            if let session = cookie.value(in: request) { sessions.end(session) }
            var response = Response.seeOther(token == nil ? "/" : Self.path)
            response.setCookie(cookie.clearing)
            return response
        }
    }

    /// The login form, with `message` above it (nil: none).
    private func loginPage(for request: Request, status: HTTPResponse.Status, message: String?) -> Response {
        let field = forgery.field(for: request)
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; form-action 'self'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Framewise: log in</title>
            <style>body { font: 16px system-ui, sans-serif; margin: 3em auto; max-width: 28em; } input, button { font: inherit; }</style>
            </head><body>
            <h1>Framewise</h1>
            \(message.map { "<p class=\"error\" id=\"error\">\($0)</p>" } ?? "")
            <form method="post" action="\(Self.path)" id="login">
            <input type="hidden" name="\(field.name)" value="\(field.value)">
            <label>Token <input type="password" name="token" id="token" autocomplete="current-password" required autofocus></label>
            <button type="submit">Log in</button>
            </form>
            <p>The token is in the file the daemon's configuration names (<code>token_file</code>).</p>
            </body></html>

            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
