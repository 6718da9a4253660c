import CFFmpeg
import Dispatch
import Synchronization

/// Stops a `FrameReader` from another thread: a blocked open or read returns at once and `next()` throws
/// `DecodingError` of kind `.cancelled`.
package final class ReaderCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    init() {}

    package func cancel() { flag.store(true, ordering: .releasing) }
    package var isCancelled: Bool { flag.load(ordering: .acquiring) }
}

/// The deadline FFmpeg's interrupt callback (`AVIOInterruptCB`) checks while it blocks in an open or a
/// read, so that no call waits forever. The owner arms it before each call; FFmpeg may call the callback
/// from inside any blocking I/O on the owner's thread, and `cancellation` may be set from any thread,
/// hence the atomics.
final class InterruptDeadline: Sendable {
    let cancellation: ReaderCancellation
    private let deadlineNanoseconds = Atomic<UInt64>(.max)
    private let what = Mutex("")

    init(cancellation: ReaderCancellation) { self.cancellation = cancellation }

    /// Allows the next blocking calls `seconds` in total; `reason` describes the limit in the error.
    func arm(seconds: Double, reason: String) {
        let nanoseconds = UInt64(max(0, seconds) * 1e9)
        deadlineNanoseconds.store(DispatchTime.now().uptimeNanoseconds &+ nanoseconds, ordering: .relaxed)
        what.withLock { $0 = reason }
    }

    var shouldInterrupt: Bool {
        cancellation.isCancelled || DispatchTime.now().uptimeNanoseconds > deadlineNanoseconds.load(ordering: .relaxed)
    }

    /// Why the deadline interrupts (or would), for the error message.
    var interruption: DecodingError.Interruption {
        cancellation.isCancelled ? .cancelled : .deadline(what.withLock { $0 })
    }

    /// The callback record to store in `AVFormatContext.interrupt_callback`. The context must not outlive
    /// `self` (the session that owns both keeps `self` alive).
    var callback: AVIOInterruptCB {
        AVIOInterruptCB(
            callback: { opaque in
                guard let opaque else { return 0 }
                return Unmanaged<InterruptDeadline>.fromOpaque(opaque).takeUnretainedValue().shouldInterrupt ? 1 : 0
            },
            opaque: Unmanaged.passUnretained(self).toOpaque()
        )
    }
}
