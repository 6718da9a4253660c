import Foundation
import Hummingbird
import Pipeline

/// The daemon's HTTP endpoints: `/healthz` (the process's loops run), `/readyz` (model, database and every
/// live input up, else 503 with the reasons), `/metrics` (Prometheus text) and `/api/streams` (one JSON object
/// per input). With a token every endpoint but `/healthz` needs `Authorization: Bearer …`.
struct HTTPInterface: Sendable {
    let stages: LabellingStages
    let fleet: PipelineFleet
    let metrics: MetricsExporter
    let token: String?

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        if let token { router.add(middleware: BearerTokenMiddleware(token: token, openPaths: ["/healthz"])) }
        router.get("/healthz") { _, _ in
            Self.text("ok\n")
        }
        router.get("/readyz") { _, _ in
            let reasons = readinessProblems()
            return Self.json(Readiness(ready: reasons.isEmpty, reasons: reasons), status: reasons.isEmpty ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            Self.text(metrics.scrape(inputs: fleet.inputs, queueDepth: stages.queueDepth),
                      contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/api/streams") { _, _ in
            Self.json(fleet.inputs.map(StreamSummary.init))
        }
        return router
    }

    /// Why the daemon is not ready; empty when it is.
    func readinessProblems() -> [String] {
        var reasons: [String] = []
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
    struct Counters: Encodable {
        let decoded, sampled, labeled, dropped, droppedByStore, skipped, reconnects: Int
    }

    let pipeline: String
    let input: String
    let state: String
    let live: Bool?
    let counters: Counters
    let lastFrameAt: Date?
    let lastError: String?

    init(_ input: SupervisedInput) {
        let status = input.status
        let progress = status.progress
        pipeline = input.pipeline
        self.input = input.location.description
        state = status.state.rawValue
        live = status.isLive
        counters = Counters(
            decoded: progress.decoded, sampled: progress.sampled, labeled: progress.labeled, dropped: progress.dropped,
            droppedByStore: progress.droppedByStore, skipped: progress.skipped, reconnects: progress.reconnects)
        lastFrameAt = progress.lastLabelledAt
        lastError = status.lastError
    }
}

/// Refuses requests without `Authorization: Bearer <token>` (401), except for `openPaths`.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    let openPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              Self.equalInConstantTime(Array(header.utf8.dropFirst(7)), Array(token.utf8))
        else {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: "a bearer token is required\n")))
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so the time taken does not reveal the token.
    private static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
