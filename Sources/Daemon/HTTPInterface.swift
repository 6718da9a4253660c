import Foundation
import Hummingbird
import LabelStore
import NIOPosix
import Pipeline
import Report
import VideoDecoding

/// The daemon's HTTP endpoints: `/healthz` (the process's loops run), `/readyz` (model, database and every
/// live input up, else 503 with the reasons), `/metrics` (Prometheus text), `/api/streams` (one JSON object
/// per input), and the page: `/` (every source's label timeline and the streams, refreshing itself) and
/// `/sources/{id}`, rendered by `framewise report`'s renderer. `PageSecurity` stands before every route: the
/// `Host` check, the check of requests that change state and, with a token, `Authorization: Bearer …` or a
/// browser's login on every endpoint but `/healthz`. Pages are read on the server's own thread pool (NIO's) through a small
/// pool of read connections, so neither threads nor database connections grow with the requests.
struct HTTPInterface: Sendable {
    /// How often the page reloads itself.
    static let pageRefreshSeconds = 10
    /// Read connections the page holds at most (pages render one per connection; more would only queue for
    /// the same cores).
    static let readConnections = 2

    let stages: LabellingStages
    let fleet: PipelineFleet
    let keeper: DatabaseKeeper
    let metrics: MetricsExporter
    let security: PageSecurity
    /// The page's read-only connections to the daemon's database.
    let readers: ReadConnectionPool

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        security.install(on: router)
        router.get("/healthz") { _, _ in
            Self.text("ok\n")
        }
        router.get("/readyz") { _, _ in
            let reasons = readinessProblems()
            let vitals = keeper.vitals
            return Self.json(Readiness(ready: reasons.isEmpty, reasons: reasons, warnings: keeper.warnings().warnings,
                                       databaseCheck: vitals.check, databaseBytes: vitals.bytes, oldestFrameAt: vitals.oldestFrame.map(Date.init(timeIntervalSince1970:))),
                             status: reasons.isEmpty ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            Self.text(metrics.scrape(inputs: fleet.inputs, queueDepth: stages.queueDepth, database: keeper.vitals),
                      contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/api/streams") { _, _ in
            Self.json(fleet.inputs.map(StreamSummary.init))
        }
        router.get("/") { request, _ in
            await page(ReportRequest(), for: request)
        }
        router.get("/sources/{id}") { request, context in
            await page(ReportRequest(source: context.parameters.get("id") ?? ""), for: request)
        }
        HeadRoutes(workshop: HeadWorkshop(stages: stages), readers: readers,
                   hiddenFields: { [security] in [security.forgery.field(for: $0)] }).register(on: router)
        return router
    }

    /// The report page of `request` with the streams above it, the header's buttons and the example forms for
    /// `http`'s browser; a request the report refuses is a 404 with why.
    private func page(_ request: ReportRequest, for http: Request) async -> Response {
        let inputs = fleet.inputs
        let database = databaseLines()
        let buttons = security.headerButtons(for: http)
        let forms = ExampleForms(heads: (try? HeadWorkshop(stages: stages).heads().map(\.name)) ?? [],
                                 hiddenFields: [security.forgery.field(for: http)])
        let result: Result<String, any Error>
        do {
            result = try await NIOThreadPool.singleton.runIfActive { [readers] in
                Result { try readers.withReader { reader in
                    try Self.render(request, inputs: inputs, database: database, buttons: buttons, forms: forms, from: reader)
                } }
            }
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let html):
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
        case .failure(let error):
            return Response(status: error is ReportError ? .notFound : .serviceUnavailable,
                            headers: [.contentType: "text/plain; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: "\(error)\n")))
        }
    }

    /// The report page of `request` read through `reader`, with the streams of `inputs` on top.
    private static func render(_ request: ReportRequest, inputs: [SupervisedInput], database: [String], buttons: [PostButton],
                               forms: ExampleForms,
                               from reader: any ReadOnlyLabelDatabase) throws -> String
    {
        var renderer = ReportRenderer()
        renderer.exampleForms = forms
        renderer.title = "Framewise"
        renderer.refreshSeconds = Self.pageRefreshSeconds
        renderer.databaseNotes = database
        renderer.headerButtons = buttons
        renderer.liveStreams = inputs.map { input in
            let status = input.status
            return LiveStream(
                pipeline: input.pipeline, input: input.location.description, state: status.state.rawValue,
                labelled: status.progress.labeled, dropped: status.progress.dropped,
                lastFrameAt: status.progress.lastLabelledAt, latestFrameAge: status.progress.latestFrameAge,
                lastError: status.lastError, lastErrorAt: status.lastErrorAt, nextAttemptAt: status.nextAttemptAt,
                latestThumbnail: try? reader.latestThumbnail(ofSourceURI: input.location.description))
        }
        return renderer.html(try ReportLoader().load(request, from: reader))
    }

    /// The page's lines about the database: its size, oldest frame, free disk, the check at start, warnings.
    private func databaseLines() -> [String] {
        let vitals = keeper.vitals
        var facts: [String] = []
        if let bytes = vitals.bytes { facts.append("\(ByteSize.readable(bytes)) on disk") }
        if let oldest = vitals.oldestFrame { facts.append("oldest frame \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: oldest)))") }
        if let (free, _) = vitals.freeDisk { facts.append("\(ByteSize.readable(free)) free") }
        facts.append("\(vitals.framesPruned) frames pruned since start")
        if let check = vitals.check { facts.append(check) }
        let (warnings, critical) = keeper.warnings()
        return [facts.joined(separator: ", ")] + (critical + warnings).map { "warning: " + $0 }
    }

    /// Why the daemon is not ready; empty when it is.
    func readinessProblems() -> [String] {
        var reasons: [String] = keeper.warnings().critical
        if let failure = stages.failure { reasons.append("the workers stopped: \(failure)") }
        if let failure = stages.storeHealth.failure { reasons.append("the database refuses writes: \(failure)") }
        for input in fleet.inputs {
            let status = input.status
            guard status.isLive ?? input.location.isNetwork, status.state != .running else { continue }
            let why = status.lastError.map { ": \($0)" } ?? ""
            reasons.append("\(input.pipeline) \(input.location): \(status.state.rawValue)\(why)")
        }
        return reasons
    }

    private struct Readiness: Encodable {
        let ready: Bool
        let reasons: [String]
        /// What does not stop the daemon yet, but will (the disk filling).
        let warnings: [String]
        /// `quick_check` at start (SQLite).
        let databaseCheck: String?
        let databaseBytes: Int64?
        let oldestFrameAt: Date?
    }

    private static func text(_ body: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    private static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// One input as `/api/streams` shows it.
struct StreamSummary: Encodable {
    let pipeline: String
    let input: String
    let state: String
    let live: Bool?
    let counters: RunCounts
    let lastFrameAt: Date?
    /// Seconds from the latest stored frame's arrival to its storing (live inputs).
    let latestFrameAgeSeconds: Double?
    let lastError: String?
    let lastErrorAt: Date?
    /// When the next attempt to open the input is due, while it waits after a failure.
    let nextAttemptAt: Date?

    init(_ input: SupervisedInput) {
        let status = input.status
        let progress = status.progress
        pipeline = input.pipeline
        self.input = input.location.description
        state = status.state.rawValue
        live = status.isLive
        counters = progress.counts
        lastFrameAt = progress.lastLabelledAt
        latestFrameAgeSeconds = progress.latestFrameAge
        lastError = status.lastError
        lastErrorAt = status.lastErrorAt
        nextAttemptAt = status.nextAttemptAt
    }
}
