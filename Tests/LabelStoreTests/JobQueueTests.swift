import Foundation
import FramewiseTestSupport
import Synchronization
import Testing
@testable import LabelStore

/// The job queue's contract on both databases: enqueueing an open job twice adds nothing, concurrent claims
/// never share a job, an expired lease is taken over and the old holder can change nothing any more.
@Suite(.serialized)
struct JobQueueTests {
    /// A fresh database of each kind (the PostgreSQL one on a server of its own, kept alive by the caller).
    private static func databases(in directory: TemporaryDirectory) throws -> [(LabelDatabaseLocation, PostgresServer?)] {
        var databases: [(LabelDatabaseLocation, PostgresServer?)] = [(.sqlite(path: directory.path("jobs.sqlite")), nil)]
        if PostgresServer.isUsable {
            let server = try PostgresServer()
            databases.append((try LabelDatabaseLocation(server.makeDatabase()), server))
        }
        return databases
    }

    private static func request(_ input: String, sampling: String = "every 5", decoding: String = "full") -> JobRequest {
        JobRequest(input: input, sampling: sampling, options: #"{"every":5}"#, decoding: decoding)
    }

    @Test func anOpenJobIsEnqueuedOnceAndPrioritiesComeFirst() throws {
        let directory = try TemporaryDirectory()
        for (location, server) in try Self.databases(in: directory) {
            defer { server?.stop() }
            let queue = try JobQueue(location: location)
            defer { queue.close() }
            guard case .added(let first) = try queue.enqueue(Self.request("/videos/a.mp4")) else {
                Issue.record("not added on \(location)"); continue
            }
            #expect(try queue.enqueue(Self.request("/videos/a.mp4")) == .alreadyOpen(first, decoding: "full"))
            // Another decoding of the same open job is not another job: the answer names the open one's decoding.
            #expect(try queue.enqueue(Self.request("/videos/a.mp4", decoding: "skip-loop-filter")) == .alreadyOpen(first, decoding: "full"))
            // Another sampling of the same file is another job.
            guard case .added = try queue.enqueue(Self.request("/videos/a.mp4", sampling: "fps 2.0", decoding: "skip-nonref")) else {
                Issue.record("another sampling not added on \(location)"); continue
            }
            let urgent = try queue.enqueue(JobRequest(input: "/videos/b.mp4", sampling: "all", options: "{}", priority: 5))
            #expect(try queue.claim(worker: "w", lease: 30).map { Enqueued.added($0.id) } == urgent)
            let next = try #require(try queue.claim(worker: "w", lease: 30))
            #expect(next.id == first && next.input == "/videos/a.mp4" && next.options == #"{"every":5}"# && next.attempts == 1)
            #expect(next.decoding == "full")
            #expect(try queue.claim(worker: "w", lease: 30)?.decoding == "skip-nonref")
            #expect(try queue.end(first, worker: "w", .completed))
            // Once completed it is no longer open: enqueueing it again adds a job.
            guard case .added = try queue.enqueue(Self.request("/videos/a.mp4")) else {
                Issue.record("a completed job's input not added again on \(location)"); continue
            }
            #expect(try queue.openJobCount() == 3)
        }
    }

    @Test func concurrentClaimsNeverShareAJob() throws {
        let directory = try TemporaryDirectory()
        for (location, server) in try Self.databases(in: directory) {
            defer { server?.stop() }
            let setup = try JobQueue(location: location)
            for index in 0..<40 { _ = try setup.enqueue(Self.request("/videos/\(index).mp4")) }
            setup.close()
            // Four workers, each with its own connection, claim until nothing is left.
            let claimed = Mutex<[JobID: [String]]>([:])
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                do {
                    let queue = try JobQueue(location: location)
                    defer { queue.close() }
                    while let job = try queue.claim(worker: "w\(worker)", lease: 30) {
                        claimed.withLock { $0[job.id, default: []].append("w\(worker)") }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
            let holders = claimed.withLock { $0 }
            #expect(holders.count == 40, "\(location)")
            #expect(holders.values.allSatisfy { $0.count == 1 }, "\(location)")
        }
    }

    @Test func anExpiredLeaseIsTakenOverAndTheOldHolderChangesNothing() throws {
        let directory = try TemporaryDirectory()
        for (location, server) in try Self.databases(in: directory) {
            defer { server?.stop() }
            let queue = try JobQueue(location: location)
            defer { queue.close() }
            _ = try queue.enqueue(Self.request("/videos/a.mp4"))
            let first = try #require(try queue.claim(worker: "dead", lease: 0.5))
            #expect(try queue.renew(first.id, worker: "dead", lease: 0.5))
            // Held: nobody else gets it.
            #expect(try queue.claim(worker: "late", lease: 30) == nil)
            Thread.sleep(forTimeInterval: 0.8)
            let takenOver = try #require(try queue.claim(worker: "late", lease: 30))
            #expect(takenOver.id == first.id && takenOver.attempts == 2)
            #expect(try !queue.renew(first.id, worker: "dead", lease: 30))
            #expect(try !queue.end(first.id, worker: "dead", .failed("too late")))
            #expect(try queue.end(first.id, worker: "late", .released("stopping")))
            // Released: queued again, claimable at once.
            #expect(try queue.claim(worker: "third", lease: 30)?.attempts == 3)
        }
    }
}
