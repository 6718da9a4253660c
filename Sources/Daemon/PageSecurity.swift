import Hummingbird
import Report

/// What keeps the daemon's HTTP interface to the requests meant for it, assembled from the configuration: no
/// framing by other pages, the `Host` check, the check of requests that change state (`RequestForgeryGuard`),
/// and with a token the bearer or login check and the login form, in that order around every route. A route that changes state is
/// registered with `router.post` like any other: it is behind all three; a page with a form carries
/// `forgery.field(for: request)` in it.
struct PageSecurity: Sendable {
    /// Paths that answer whatever the `Host` and without a token: the liveness probe, which says only "ok".
    static let probePaths: Set<String> = ["/healthz"]

    let forgery: RequestForgeryGuard
    private let login: BrowserLogin

    init(hosts: AcceptedHosts, token: String?) {
        let cookie = SessionCookie(port: hosts.listen.port)
        forgery = RequestForgeryGuard(hosts: hosts, sessionCookie: cookie)
        login = BrowserLogin(token: token, sessions: BrowserSessions(), cookie: cookie, forgery: forgery)
    }

    /// Puts the checks around every route of `router` and adds the login routes.
    func install<Context: RequestContext>(on router: Router<Context>) {
        router.add(middleware: NoFramingMiddleware())
        router.add(middleware: HostCheckMiddleware(hosts: forgery.hosts, openPaths: Self.probePaths))
        router.add(middleware: RequestForgeryMiddleware(forgery: forgery))
        if let token = login.token {
            router.add(middleware: AuthenticationMiddleware(
                token: token, sessions: login.sessions, cookie: login.cookie,
                openPaths: Self.probePaths.union([BrowserLogin.path, BrowserLogin.logoutPath])))
        }
        login.addRoutes(to: router)
    }

    /// The buttons of the daemon's page header that post to it: "Log out" when there is a login.
    func headerButtons(for request: Request) -> [PostButton] {
        guard login.token != nil else { return [] }
        return [PostButton(action: BrowserLogin.logoutPath, label: "Log out", hiddenFields: [forgery.field(for: request)])]
    }
}
