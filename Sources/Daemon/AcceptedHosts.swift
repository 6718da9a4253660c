/// The names this daemon answers as, for the `Host` of every request and the `Origin`/`Referer` of every form
/// sent to it: the listen address itself; `localhost` when it listens on loopback or a wildcard address; on a
/// wildcard address (`0.0.0.0`, `::`) every address of the machine's interfaces (read again when a name is not
/// otherwise known, so a new address counts); and `allowed_hosts` (names of the machine, a proxy's name), each
/// at the listen port unless it gives its own. Anything else — a DNS-rebinding page's `evil.example` that
/// resolves to 127.0.0.1 — is foreign.
struct AcceptedHosts: Sendable {
    let listen: DaemonConfiguration.ListenAddress
    let named: Set<HostAndPort>

    init(listen: DaemonConfiguration.ListenAddress, allowed: [HostAndPort]) {
        self.listen = listen
        var named = Set(allowed)
        named.insert(HostAndPort(host: listen.host, port: listen.port))
        if listen.isLoopback || listen.isWildcard { named.insert(HostAndPort(host: "localhost", port: listen.port)) }
        self.named = named
    }

    func accepts(_ name: HostAndPort) -> Bool {
        if named.contains(name) { return true }
        return listen.isWildcard && name.port == listen.port && InterfaceAddresses.current().contains(name.host)
    }
}
