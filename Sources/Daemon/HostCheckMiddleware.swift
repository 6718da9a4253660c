import Hummingbird

/// Answers only requests addressed to this daemon: one whose `Host` names anything `AcceptedHosts` does not —
/// a DNS-rebinding page on evil.example whose name now resolves to 127.0.0.1, reading the cameras' pictures —
/// gets 421 Misdirected Request with one line, on every path but `openPaths` (`/healthz`, which says only "ok",
/// for probes that name the machine otherwise).
struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    let hosts: AcceptedHosts
    let openPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        // Without a port the scheme decides, which a TLS proxy in front knows and the daemon does not: 80 or 443.
        let names = [80, 443].compactMap { port in request.head.authority.flatMap { HostAndPort(authority: $0, defaultPort: port) } }
        guard names.contains(where: hosts.accepts) else {
            return .refusal(.misdirectedRequest, "this daemon does not answer to that Host name (allowed_hosts in its configuration adds names)")
        }
        return try await next(request, context)
    }
}
