import Foundation
import Hummingbird
import LabelStore
import NIOPosix
import Pipeline
import Report

/// The daemon's pages and actions for heads (your own classes): `/heads` (the list), `/heads/{name}` (report,
/// examples, train), `/similar?frame=ID&view=V` (the frames most like one; `/api/similar?frame=ID&view=V&top=K` the
/// same rows as JSON, as `framewise similar --format json` prints them), and the state-changing POSTs —
/// `/heads/examples` (a picture's frame into a head's class), `/heads/{name}/train`,
/// `/heads/{name}/examples/{id}/remove` — each answered by a redirect to the head's page, with what happened.
/// Reads go through the page's read connections, writes and training through the `HeadWorkshop`, all on NIO's
/// thread pool, never on the event loop.
struct HeadRoutes: Sendable {
    let workshop: HeadWorkshop
    let readers: ReadConnectionPool
    /// The hidden inputs every form carries (the token against forged requests), for a request.
    let hiddenFields: @Sendable (Request) -> [HiddenField]

    func register(on router: Router<BasicRequestContext>) {
        router.get("/heads") { request, _ in
            await html { HeadPages(hiddenFields: hiddenFields(request)).list(try workshop.heads()) }
        }
        router.get("/heads/{name}") { request, context in
            let name = context.parameters.get("name") ?? ""
            let message = request.uri.queryParameters.get("message")
            return await html {
                let (latest, examples) = try workshop.head(name)
                return HeadPages(hiddenFields: hiddenFields(request)).head(name, latest: latest, examples: examples, message: message)
            }
        }
        router.get("/similar") { request, _ in
            guard let frame = request.uri.queryParameters.get("frame").flatMap(Int64.init) else {
                return Self.plain(.badRequest, "give ?frame=ID (and &view=V)")
            }
            let view = request.uri.queryParameters.get("view") ?? "center"
            return await respond(contentType: "text/html; charset=utf-8") {
                try readers.withReader { reader in
                    let rows = try similar(to: frame, view: view, top: 24, in: reader)
                    return HeadPages(hiddenFields: hiddenFields(request))
                        .similar(to: frame, view: view, rows: rows, thumbnails: try reader.thumbnails(ofFrames: rows.compactMap { $0[0].int64 }),
                                 heads: try workshop.heads().map(\.name))
                }
            }
        }
        router.get("/api/similar") { request, _ in
            let parameters = request.uri.queryParameters
            guard let frame = parameters.get("frame").flatMap(Int64.init),
                  let top = parameters.get("top").map(Int.init) ?? 10, (1...10_000).contains(top)
            else { return Self.plain(.badRequest, "give ?frame=ID (and &view=V, &top=K of 1...10000)") }
            let view = parameters.get("view") ?? "center"
            return await respond(contentType: "application/json") {
                try readers.withReader { reader in
                    var json = ""
                    let printer = ResultPrinter(format: .json) { json += $0 }
                    printer.begin(columns: SimilarFrames.columns)
                    for row in try similar(to: frame, view: view, top: top, in: reader) { printer.write(row: row) }
                    printer.end()
                    return json
                }
            }
        }
        router.post("/heads/examples") { request, _ in
            var request = request
            guard let form = try await FormFields.read(&request), let frame = form["frame"].flatMap(Int64.init),
                  let view = form["view"], let head = form["head"], let className = form["class"], !head.isEmpty, !className.isEmpty
            else { return Self.plain(.badRequest, "the form needs frame, view, head and class") }
            return await action(head: head) { try workshop.addFrame(frame, view: view, to: head, as: className) }
        }
        router.post("/heads/{name}/train") { request, context in
            let name = context.parameters.get("name") ?? ""
            return await action(head: name) {
                let outcome = try workshop.train(name)
                return "version \(outcome.version.version) trained: " + String(format: "%.1f%%", outcome.version.accuracy * 100)
                    + " of held-out examples right (reload the daemon for its pipelines to apply it)"
            }
        }
        router.post("/heads/{name}/examples/{id}/remove") { request, context in
            let name = context.parameters.get("name") ?? ""
            let id = context.parameters.get("id").flatMap(Int64.init) ?? -1
            return await action(head: name) { try workshop.removeExample(id, of: name) ? "example \(id) removed" : "no example \(id)" }
        }
    }

    /// Runs `body` off the event loop and redirects to the head's page with its message (or the refusal).
    private func action(head: String, _ body: @escaping @Sendable () throws -> String) async -> Response {
        let message: String
        do {
            message = try await NIOThreadPool.singleton.runIfActive(body)
        } catch {
            message = "\(error)"
        }
        var target = URLComponents()
        target.path = "/heads/\(head)"
        target.queryItems = [URLQueryItem(name: "message", value: message)]
        return Response(status: .seeOther, headers: [.location: target.string ?? "/heads"])
    }

    /// A page rendered off the event loop; a refusal (no such head, no features) is a 404 with why.
    /// The `top` stored frames of `view` most like frame `frame`, as rows of `SimilarFrames.columns`.
    private func similar(to frame: Int64, view: String, top: Int, in reader: any ReadOnlyLabelDatabase) throws -> [[QueryValue]] {
        guard let query = try reader.storedVector(ofFrame: frame, view: view) else {
            throw LabelStoreError.invalidHead("frame \(frame) has no stored features of the view \(view)")
        }
        return try SimilarFrames.search(query, top: top, view: view, in: reader, at: readers.location)
    }

    private func html(_ render: @escaping @Sendable () throws -> String) async -> Response {
        await respond(contentType: "text/html; charset=utf-8", render)
    }

    /// What `render` makes on NIO's thread pool; a store's refusal is a 404 with why, anything else a 503.
    private func respond(contentType: String, _ render: @escaping @Sendable () throws -> String) async -> Response {
        do {
            let body = try await NIOThreadPool.singleton.runIfActive(render)
            return Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        } catch {
            return Self.plain(error is LabelStoreError ? .notFound : .serviceUnavailable, "\(error)")
        }
    }

    private static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}
