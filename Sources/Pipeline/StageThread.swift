import Foundation

/// Starts the threads the stages own, named so that `top -H`, `/proc/PID/task/*/comm` and debuggers show
/// which stage is which (Foundation's `Thread.name` does not reach the OS thread here; names are cut to the
/// kernel's 15 bytes).
enum StageThread {
    /// Names of the stages' threads.
    static let input = "fw-input"
    static let sink = "fw-sink"
    static let thumbnails = "fw-thumbnails"
    static func worker(_ number: Int) -> String { "fw-worker-\(number)" }

    static func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        Thread {
            nameCurrentThread(name)
            body()
        }.start()
    }

    /// Names the calling thread (a worker's Dispatch queue names the thread it runs on for as long as it works),
    /// through Linux's `/proc/thread-self/comm` (Swift's Glibc module does not offer `pthread_setname_np`).
    static func nameCurrentThread(_ name: String) {
        guard let file = FileHandle(forWritingAtPath: "/proc/thread-self/comm") else { return }
        try? file.write(contentsOf: Data(name.utf8.prefix(15)))
        try? file.close()
    }
}
