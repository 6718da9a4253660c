import Hummingbird

/// Says on every response that no other page may show it in a frame (`X-Frame-Options: DENY`, CSP
/// `frame-ancestors 'none'`): a site cannot lay the daemon's page, with its buttons that post, under a decoy and
/// have it clicked (clickjacking) — which the `Host` and forged-request checks cannot see, the clicks being real.
struct NoFramingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.contentSecurityPolicy] = "frame-ancestors 'none'"
        return response
    }
}
