import Glibc

/// The addresses of this machine's network interfaces (`getifaddrs`), as text: what a browser may put in
/// `Host` to reach a daemon listening on a wildcard address.
enum InterfaceAddresses {
    /// Every IPv4 and IPv6 address of every interface now (IPv6 without a zone).
    static func current() -> Set<String> {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var addresses: Set<String> = []
        var next = first
        while let interface = next {
            next = interface.pointee.ifa_next
            guard let socketAddress = interface.pointee.ifa_addr else { continue }
            let family = Int32(socketAddress.pointee.sa_family)
            let text: String?
            switch family {
            case AF_INET:
                text = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                    var address = ipv4.pointee.sin_addr
                    return Self.text(of: &address, family: AF_INET)
                }
            case AF_INET6:
                text = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
                    var address = ipv6.pointee.sin6_addr
                    return Self.text(of: &address, family: AF_INET6)
                }
            default:
                text = nil
            }
            if let text { addresses.insert(text) }
        }
        return addresses
    }

    /// `inet_ntop`'s text of an `in_addr` or `in6_addr`.
    static func text(of address: UnsafeRawPointer, family: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, address, &buffer, socklen_t(INET6_ADDRSTRLEN)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
