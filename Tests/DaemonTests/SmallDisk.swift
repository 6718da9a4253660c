import Foundation
import FramewiseTestSupport

/// A tmpfs of a few megabytes mounted on a directory: a file system a test can fill. Needs root (or
/// CAP_SYS_ADMIN); `isPermitted` says whether this process may mount one.
final class SmallDisk {
    let path: String
    private var mounted = true

    init(at path: String, megabytes: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try runCommand(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
        self.path = path
    }

    deinit { unmount() }

    /// Whether a tmpfs can be mounted here (tried once, on a directory of its own).
    static let isPermitted: Bool = {
        guard let directory = try? TemporaryDirectory(prefix: "framewise-mount"),
              let disk = try? SmallDisk(at: directory.path("disk"), megabytes: 1) else { return false }
        disk.unmount()
        return true
    }()

    /// Unmounts it (lazily: a process still holding a file there lets go when it exits).
    func unmount() {
        guard mounted else { return }
        mounted = false
        _ = try? runCommand(URL(fileURLWithPath: "/bin/umount"), ["-l", path], mustSucceed: false)
    }

    /// Writes a file of zeros until `free` bytes are left for unprivileged users.
    func fill(leaving free: Int64) throws {
        let available = try Self.available(at: path)
        guard available > free else { return }
        try Data(count: Int(available - free)).write(to: URL(fileURLWithPath: path + "/filler"))
    }

    /// Bytes free on the file system of `path` for unprivileged users (`f_bavail`, as the daemon's guard reads it).
    static func available(at path: String) throws -> Int64 {
        let attributes = try FileManager.default.attributesOfFileSystem(forPath: path)
        return (attributes[.systemFreeSize] as? NSNumber)?.int64Value ?? 0
    }
}
