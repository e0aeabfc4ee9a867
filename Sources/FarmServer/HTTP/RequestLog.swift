import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id (the caller's `X-Request-Id` when it is a
/// plain token, a new one otherwise), puts it on the request's logger and
/// the response, and logs one line when the response is ready: method,
/// path, route, status, duration and the build or worker the route names.
///
/// Secrets in the query string are redacted from that line. Tokens are only
/// ever read from the Authorization header; a client that puts one in the
/// URL (`?token=`, `?access_token=`) has leaked it to whatever logs URLs, so
/// the farm's own log at least does not keep it.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = Self.requestID(offered: request.headers[.xRequestId])
        var context = context
        context.logger[metadataKey: "request.id"] = .string(id)
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // Whatever escaped the envelope (a failure writing it) still gets an id and a line.
            response = try .failure(ErrorMiddleware<Context>.translate(error))
        }
        response.headers[.xRequestId] = id
        let route = context.endpointPath ?? "NotFound"
        var metadata: Logger.Metadata = [
            "http.method": .string(request.method.rawValue),
            "http.path": .string(Self.redacted(request.uri.description)),
            "http.route": .string(route),
            "http.status": .stringConvertible(response.status.code),
            "duration_ms": .stringConvertible(Self.milliseconds(ContinuousClock.now - start)),
        ]
        if let named = Self.namedResource(route: route), let id = context.parameters.get("id") {
            metadata[named] = .string(id)
        }
        context.logger.info("request", metadata: metadata)
        return response
    }

    /// The caller's id when it is 1 to 128 letters, digits, `.`, `_`, `:` or `-` (so it cannot forge log lines); else a new one.
    static func requestID(offered: String?) -> String {
        if let offered, (1...128).contains(offered.utf8.count),
           offered.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._:-".unicodeScalars.contains($0)) }) {
            return offered
        }
        return UUID().uuidString.lowercased()
    }

    /// The log field for a route's `{id}`: builds and workers, the ids operators grep for.
    static func namedResource(route: String) -> String? {
        if route.hasPrefix("/builds/") || route.hasPrefix("/ui/builds/") { return "build.id" }
        if route.hasPrefix("/workers/") { return "worker.id" }
        return nil
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return (milliseconds * 1000).rounded() / 1000
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

extension HTTPField.Name {
    static let xRequestId = Self("X-Request-Id")!
}
