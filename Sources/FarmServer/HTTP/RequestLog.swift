import Hummingbird
import Logging

/// Logs each request's method and path like Hummingbird's request log, but
/// with secrets in the query string redacted. Tokens are only ever read from
/// the Authorization header; a client that puts one in the URL (`?token=`,
/// `?access_token=`) has leaked it to whatever logs URLs, so the farm's own
/// log at least does not keep it. The request itself is answered as if the
/// parameter were not there.
struct RedactedLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.logger.info("Request", metadata: [
            "hb.request.path": .string(Self.redacted(request.uri.description)),
            "hb.request.method": .string(request.method.rawValue),
        ])
        return try await next(request, context)
    }

    /// The URI with the value of every query parameter that names a token,
    /// key, secret or password, or holds a kfarm token, replaced by `REDACTED`.
    static func redacted(_ uri: String) -> String {
        let parts = uri.split(separator: "?", maxSplits: 1)
        guard parts.count == 2 else { return uri }
        let (path, query) = (parts[0], parts[1])
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].lowercased()
            let value = parts.count > 1 ? parts[1] : ""
            let secret = ["token", "key", "secret", "password", "auth"].contains { name.contains($0) }
                || value.lowercased().contains("kfarm_")
            return secret ? "\(parts[0])=REDACTED" : String(parameter)
        }
        return path + "?" + parameters.joined(separator: "&")
    }
}
