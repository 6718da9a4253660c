@testable import Daemon
import Testing

/// The names the daemon answers as, without a daemon: how `Host`, `Origin` and `Referer` values are read and
/// matched.
@Suite struct AcceptedHostsTests {
    @Test("on IPv6 loopback: [::1] in any spelling and localhost at the listen port, nothing else")
    func ipv6Loopback() throws {
        let hosts = AcceptedHosts(listen: .init(host: "::1", port: 8080), allowed: [])
        for accepted in ["[::1]:8080", "[0:0:0:0:0:0:0:1]:8080", "LOCALHOST:8080"] {
            #expect(try hosts.accepts(#require(HostAndPort(authority: accepted, defaultPort: 80))), "\(accepted)")
        }
        for refused in ["[::1]:8081", "127.0.0.1:8080", "evil.example:8080", "[::2]:8080"] {
            #expect(try !hosts.accepts(#require(HostAndPort(authority: refused, defaultPort: 80))), "\(refused)")
        }
    }

    @Test("Origin and Referer: scheme's port, path and query cut off; null, other schemes and user info are no host")
    func urls() {
        #expect(HostAndPort(url: "http://127.0.0.1:9090") == HostAndPort(host: "127.0.0.1", port: 9090))
        #expect(HostAndPort(url: "https://Proxy.LAN/login?x=1") == HostAndPort(host: "proxy.lan", port: 443))
        #expect(HostAndPort(url: "http://[::1]/") == HostAndPort(host: "::1", port: 80))
        #expect(HostAndPort(url: "http://[::1]:9090#top") == HostAndPort(host: "::1", port: 9090))
        for nothing in ["null", "file:///etc/passwd", "ftp://127.0.0.1", "http://user@127.0.0.1:9090", "http://", "http://a b"] {
            #expect(HostAndPort(url: nothing) == nil, "\(nothing)")
        }
    }
}
