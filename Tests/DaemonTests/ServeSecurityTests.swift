import Daemon
import Foundation
import FramewiseTestSupport
import Glibc
import Testing

/// What keeps the daemon's HTTP interface to requests meant for it, against the real binary over loopback: the
/// `Host` check (DNS rebinding), forged requests that change state, and a browser's login with the token.
@Suite(.serialized) struct ServeSecurityTests {
    @Test("allowed_hosts: names and ports are read, a wrong entry is one line with file and line")
    func allowedHostsConfiguration() throws {
        let serve = try ServeHarness(extraConfiguration: "allowed_hosts: [Framewise.Test, \"proxy.test:8443\", \"[::1]\"]")
        let configuration = try DaemonConfiguration.load(file: serve.configurationFile)
        #expect(configuration.allowedHosts.map(\.description) == ["framewise.test:\(serve.port)", "proxy.test:8443", "[::1]:\(serve.port)"])
        for wrong in ["evil/example", "host:0", "[::1", "http://host"] {
            let broken = try ServeHarness(extraConfiguration: "allowed_hosts: [\"\(wrong)\"]")
            #expect {
                try DaemonConfiguration.load(file: broken.configurationFile)
            } throws: { error in
                "\(error)" == "\(broken.configurationFile):7: allowed_hosts: expected a host name or address with an optional :PORT, found '\(wrong)'"
            }
        }
    }

    @Test("on a wildcard address: the machine's addresses, localhost and allowed_hosts answer; other Host names get 421, but /healthz")
    func hostCheckOnWildcardAddress() throws {
        let serve = try ServeHarness(extraConfiguration: "allowed_hosts: [framewise.test, \"proxy.test:8443\", \"tls.test:443\"]",
                                     listenHost: "0.0.0.0")
        try serve.start()
        #expect(serve.waitForDatagram(containing: "READY=1", timeout: 120) != nil, "log:\n\(serve.log)")
        let bearer = "Authorization: Bearer \(serve.token)"
        for host in ["127.0.0.1:\(serve.port)", "localhost:\(serve.port)", "framewise.test:\(serve.port)", "FRAMEWISE.test:\(serve.port)", "proxy.test:8443",
                     "tls.test" /* from a TLS proxy: port 443 */] {
            #expect(try serve.request("/api/streams", headers: [bearer, "Host: \(host)"]).status == 200, "\(host)")
        }
        // The machine's other addresses, as the network reaches it (IPv6 in brackets).
        let addresses = try runCommand(URL(fileURLWithPath: "/bin/hostname"), ["-I"]).stdout.split(whereSeparator: \.isWhitespace)
        for address in addresses {
            let host = address.contains(":") ? "[\(address)]:\(serve.port)" : "\(address):\(serve.port)"
            #expect(try serve.request("/api/streams", headers: [bearer, "Host: \(host)"]).status == 200, "\(host)")
        }
        for host in ["evil.example:\(serve.port)", "evil.example", "framewise.test:8443", "proxy.test:\(serve.port)", "proxy.test", "127.0.0.1:1"] {
            for path in ["/", "/api/streams", "/metrics", "/readyz"] {
                let refused = try serve.request(path, headers: [bearer, "Host: \(host)"])
                #expect(refused.status == 421, "\(host) \(path)")
                #expect(refused.body.split(separator: "\n").count == 1)
            }
        }
        #expect(try serve.request("/healthz", headers: ["Host: evil.example"]).status == 200, "probes may name the machine otherwise")
        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 15) == 0)
    }

    @Test("with token_file: foreign Host refused, forged and token-less POSTs refused, login by form, the page with the cookie alone, logout")
    func loginAndForgedRequests() throws {
        let serve = try ServeHarness()
        try serve.start()
        #expect(serve.waitForDatagram(containing: "READY=1", timeout: 120) != nil, "log:\n\(serve.log)")
        let bearer = "Authorization: Bearer \(serve.token)"
        let origin = "Origin: http://127.0.0.1:\(serve.port)"

        // DNS rebinding: a page on evil.example reaches 127.0.0.1, with the token even, and reads nothing.
        for path in ["/", "/api/streams", "/metrics", "/login"] {
            let refused = try serve.request(path, headers: [bearer, "Host: evil.example:\(serve.port)"])
            #expect(refused.status == 421, "\(path)")
            #expect(refused.body.split(separator: "\n").count == 1)
        }
        #expect(try serve.request("/api/streams", headers: [bearer]).status == 200)

        // Without a login: the API says 401, a browser asking for the page is sent to the form.
        #expect(try serve.request("/api/streams").status == 401)
        let sentAway = try serve.request("/", headers: ["Accept: text/html,application/xhtml+xml"])
        #expect(sentAway.status == 303 && sentAway.header("Location") == "/login")
        let form = try serve.request("/login", headers: ["Accept: text/html"])
        #expect(form.status == 200)
        let formToken = try #require(hiddenToken(in: form.body))

        // Forged logins: another site's page, no origin at all, no or a wrong form token. None sets a cookie.
        let right = [("framewise_csrf", formToken), ("token", serve.token)]
        let forgeries: [(headers: [String], form: [(String, String)])] = [
            (["Origin: http://evil.example"], right),
            (["Origin: http://127.0.0.1:\(serve.port + 1)"], right),
            (["Origin: null"], right),
            (["Referer: http://evil.example/login"], right),
            ([], right),
            ([origin], [("token", serve.token)]),
            ([origin], [("framewise_csrf", String(formToken.dropLast()) + (formToken.last == "0" ? "1" : "0")), ("token", serve.token)]),
            ([origin], [("framewise_csrf", "4102444800." + String(repeating: "0", count: 64)), ("token", serve.token)]),
        ]
        for forgery in forgeries {
            let refused = try serve.request("/login", method: "POST", headers: forgery.headers, form: forgery.form)
            #expect(refused.status == 403, "\(forgery.headers) \(forgery.form.map(\.0))")
            #expect(refused.body.hasPrefix("cross-site check: ") && refused.body.split(separator: "\n").count == 1)
            #expect(refused.header("Set-Cookie") == nil)
        }

        // A wrong token, from the daemon's own form (a Referer is enough without Origin): the form again, 401.
        let wrong = try serve.request("/login", method: "POST", headers: ["Referer: http://127.0.0.1:\(serve.port)/login"],
                                      form: [("framewise_csrf", formToken), ("token", serve.token + "x")])
        #expect(wrong.status == 401 && wrong.body.contains("id=\"error\""))
        #expect(wrong.header("Set-Cookie") == nil)

        // The right one: a session cookie (HttpOnly, SameSite=Strict, Path=/, not the token) and the way to the page.
        let login = try serve.request("/login", method: "POST", headers: [origin], form: right)
        #expect(login.status == 303 && login.header("Location") == "/")
        let setCookie = try #require(login.header("Set-Cookie"))
        let attributes = setCookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(attributes.contains("HttpOnly") && attributes.contains("SameSite=Strict") && attributes.contains("Path=/"))
        #expect(!attributes.contains("Secure"), "plain HTTP: a Secure cookie would never come back")
        let cookie = try #require(attributes.first)
        #expect(cookie.hasPrefix("framewise_session_\(serve.port)=") && cookie.count == "framewise_session_\(serve.port)=".count + 64)
        #expect(!cookie.contains(serve.token))

        // The cookie alone opens the page and the API.
        let page = try serve.request("/", headers: ["Cookie: \(cookie)", "Accept: text/html"])
        #expect(page.status == 200 && page.body.contains("<section class=\"streams\""))
        #expect(page.header("X-Frame-Options") == "DENY" && page.header("Content-Security-Policy") == "frame-ancestors 'none'",
                "no other site may frame the page and its buttons")
        #expect(!page.body.contains(serve.token))
        #expect(try serve.request("/api/streams", headers: ["Cookie: \(cookie)"]).status == 200)
        let metrics = try serve.request("/metrics", headers: ["Cookie: \(cookie)"])
        #expect(metrics.status == 200 && !metrics.body.contains(serve.token))
        let tampered = cookie.dropLast() + (cookie.last == "0" ? "1" : "0")   // always differs from the real cookie
        #expect(try serve.request("/api/streams", headers: ["Cookie: \(tampered)"]).status == 401)

        // Logging out is a POST like the others: the login form's token is not this session's; the page's is.
        let pageToken = try #require(hiddenToken(in: page.body))
        let staleToken = try serve.request("/session/logout", method: "POST", headers: ["Cookie: \(cookie)", origin],
                                           form: [("framewise_csrf", formToken)])
        #expect(staleToken.status == 403)
        let forged = try serve.request("/session/logout", method: "POST", headers: ["Cookie: \(cookie)", "Origin: http://evil.example"],
                                       form: [("framewise_csrf", pageToken)])
        #expect(forged.status == 403)
        let byHeader = try serve.request("/session/logout", method: "POST", headers: ["Cookie: \(cookie)", origin, "X-Framewise-CSRF: \(pageToken)"])
        #expect(byHeader.status == 303 && byHeader.header("Location") == "/login")
        #expect(byHeader.header("Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(try serve.request("/", headers: ["Cookie: \(cookie)", "Accept: text/html"]).status == 303)
        #expect(try serve.request("/api/streams", headers: ["Cookie: \(cookie)"]).status == 401)

        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 15) == 0)
        #expect(!serve.log.contains(serve.token))
    }

    @Test("headless Chromium logs in by the form, keeps the HttpOnly cookie, reaches the page and logs out",
          .enabled(if: HeadlessChromium.executable != nil, "chromium is not installed (scripts/install-deps installs it)"))
    func loginInABrowser() throws {
        let serve = try ServeHarness()
        try serve.start()
        #expect(serve.waitForDatagram(containing: "READY=1", timeout: 120) != nil, "log:\n\(serve.log)")
        let profile = try TemporaryDirectory(prefix: "framewise-browser")
        let run = try HeadlessChromium.drive("browser_login.py", ["http://127.0.0.1:\(serve.port)", serve.token], profileIn: profile.url)
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)\n\(run.stderr)")
        #expect(seen["first_stop"] as? String == "/login", "\(seen)")
        #expect(seen["after_login"] as? String == "/", "\(seen)")
        #expect(seen["page_has_streams"] as? Bool == true)
        #expect(seen["script_sees_cookie"] as? String == "", "HttpOnly: no script reads the session")
        let cookies = try #require(seen["cookies"] as? [[String: Any]])
        #expect(cookies.count == 1)
        #expect(cookies.first?["name"] as? String == "framewise_session_\(serve.port)")
        #expect(cookies.first?["httpOnly"] as? Bool == true && cookies.first?["sameSite"] as? String == "Strict")
        #expect((cookies.first?["value"] as? String).map { !$0.contains(serve.token) } == true)
        #expect(seen["reloaded"] as? String == "/", "the cookie brings the browser back to the page")
        #expect(seen["after_logout"] as? String == "/login")
        #expect(seen["after_logout_reload"] as? String == "/login")
        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 15) == 0)
    }

    /// The value of the `framewise_csrf` hidden field of the first form in `html`.
    private func hiddenToken(in html: String) -> String? {
        guard let start = html.range(of: "name=\"framewise_csrf\" value=\"") else { return nil }
        return String(html[start.upperBound...].prefix { $0 != "\"" })
    }
}
