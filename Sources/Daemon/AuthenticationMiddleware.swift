import ContentDigest
import Hummingbird

/// With `token_file`: lets through requests with `Authorization: Bearer <token>` (scripts, Prometheus) or the
/// cookie of an open browser session (`BrowserLogin`), both compared in constant time, except for `openPaths`
/// (`/healthz`, the login form, logging out). Others get 401 — or, for a browser asking for a page (a GET that
/// accepts `text/html`), a redirect to `/login`.
struct AuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    let sessions: BrowserSessions
    let cookie: SessionCookie
    let openPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) || isAuthenticated(request) { return try await next(request, context) }
        if request.method == .get || request.method == .head, request.headers[.accept]?.contains("text/html") == true {
            return .seeOther(BrowserLogin.path)
        }
        return .refusal(.unauthorized, "a bearer token or a login is required", headers: [.wwwAuthenticate: "Bearer"])
    }

    private func isAuthenticated(_ request: Request) -> Bool {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return MessageAuthentication.equalInConstantTime(header.utf8.dropFirst(7), token.utf8)
        }
        return cookie.value(in: request).map(sessions.isOpen) ?? false
    }
}
