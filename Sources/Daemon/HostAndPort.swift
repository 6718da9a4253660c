import Foundation
import Glibc

/// A host and port as a request names them (`Host`, `Origin`, `Referer`) or as `allowed_hosts` lists them: the
/// host lower-cased, an IPv6 address without brackets in its canonical form, so that equal names compare equal.
package struct HostAndPort: Hashable, Sendable, CustomStringConvertible {
    package let host: String
    package let port: Int

    package init(host: String, port: Int) {
        self.host = Self.canonical(host)
        self.port = port
    }

    /// `HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT` (a `Host` header, an `allowed_hosts` entry; a bare IPv6
    /// address is all host), with `defaultPort` when none is given; nil for anything else.
    package init?(authority: String, defaultPort: Int) {
        let host: Substring
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return nil }
            port = rest.isEmpty ? nil : rest.dropFirst()
            guard Self.isIPv6(host) else { return nil }
        } else if authority.filter({ $0 == ":" }).count > 1 {
            host = authority[...]
            guard Self.isIPv6(host) else { return nil }
        } else {
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            port = parts.count == 2 ? parts[1] : nil
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
                return nil
            }
        }
        let number = port.map { Int($0) } ?? defaultPort
        guard let number, (1...65535).contains(number) else { return nil }
        self.init(host: String(host), port: number)
    }

    /// The host and port of an `Origin` or `Referer` URL (`http:` 80, `https:` 443 when it names none); nil for
    /// `null` (an opaque origin: a sandboxed frame, a `file:` page) and other schemes.
    package init?(url: String) {
        let defaultPorts = ["http": 80, "https": 443]
        guard let separator = url.range(of: "://"),
              let defaultPort = defaultPorts[url[..<separator.lowerBound].lowercased()]
        else { return nil }
        let rest = url[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return nil }
        self.init(authority: String(authority), defaultPort: defaultPort)
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func isIPv6(_ text: Substring) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, String(text), &address) == 1
    }

    /// IPv6 addresses as `inet_ntop` writes them (`0:0::1` is `::1`), names in lower case.
    private static func canonical(_ host: String) -> String {
        var address = in6_addr()
        guard inet_pton(AF_INET6, host, &address) == 1 else { return host.lowercased() }
        return InterfaceAddresses.text(of: &address, family: AF_INET6) ?? host.lowercased()
    }
}
