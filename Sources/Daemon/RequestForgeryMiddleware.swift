import Hummingbird

/// Puts every request that may change state (all but GET and HEAD) through the `RequestForgeryGuard`: a forged
/// one gets 403 with one line and never reaches its route. Added to the whole router, so a new POST route is
/// behind it by being registered.
struct RequestForgeryMiddleware<Context: RequestContext>: RouterMiddleware {
    let forgery: RequestForgeryGuard

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head else { return try await next(request, context) }
        var request = request
        if let refusal = try await forgery.refusal(of: &request) { return .refusal(.forbidden, refusal) }
        return try await next(request, context)
    }
}
