import FarmModel
import Foundation
import Hummingbird

/// The dashboard reads the farm through the API's own endpoints, with the
/// signed-in person as the caller: the same queries, filters, pages and
/// access rules (another project's build is a 404 here too).
struct APIView: Sendable {
    private let endpoints: [String: Endpoint.Handler]

    /// The API's endpoints behind their caller checks; the page calling one already waits for PostgreSQL under its own deadline.
    init(_ table: [Endpoint]) {
        endpoints = Dictionary(table.map { ("\($0.method) \($0.path)", $0.authorizedHandler(deadline: nil)) }) { first, _ in first }
    }

    /// The endpoint's response to this request (its path parameters and query), as the API would send it.
    func response(_ route: String, _ request: Request, _ context: FarmRequestContext) async throws -> Response {
        guard let handler = endpoints[route] else { preconditionFailure("no API endpoint \(route)") }
        return try await handler(request, context)
    }

    /// The envelope's `data`, as values a template renders.
    func data(_ route: String, _ request: Request, _ context: FarmRequestContext) async throws -> [String: Any] {
        let response = try await response(route, request, context)
        let collector = BodyCollector()
        try await response.body.write(collector.writer)
        let envelope = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: collector.buffer))
        return ((envelope.templateValue as? [String: Any])?["data"] as? [String: Any]) ?? [:]
    }
}

/// Gathers a response body in memory (the API's JSON answers and the
/// dashboard's pages are small and bounded by pages).
final class BodyCollector: @unchecked Sendable {
    var buffer = ByteBuffer()

    var writer: Writer { Writer(collector: self) }

    struct Writer: ResponseBodyWriter {
        let collector: BodyCollector

        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            collector.buffer.writeBuffer(&buffer)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
