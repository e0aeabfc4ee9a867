import FarmModel
import HTTPTypes
import Hummingbird

/// The query of `GET /builds/{id}/logs` and `/events`: `after` (a line
/// number, default 0), `limit` (1...5000 lines, default 1000; pages only),
/// `attempt` (default the build's current one). A `Last-Event-ID` header
/// (what an EventSource sends when it reconnects: the last line it got)
/// stands for `after` when it is further on.
struct LogQuery {
    var after: Int
    var limit: Int
    var attempt: Int?

    static let maxLimit = 5000

    init(_ request: Request) throws {
        var validator = Validator()
        after = request.integer("after", in: 0...Int(Int32.max), default: 0, into: &validator)
        limit = request.integer("limit", in: 1...Self.maxLimit, default: 1000, into: &validator)
        attempt = request.uri.queryParameters.get("attempt") == nil
            ? nil : request.integer("attempt", in: 1...1000, default: 1, into: &validator)
        if let header = request.headers[.lastEventID] {
            guard let line = Int(header), (0...Int(Int32.max)).contains(line) else {
                validator.fail("Last-Event-ID", "must be a line number from 0 to \(Int32.max)")
                try validator.finish()
                return
            }
            after = max(after, line)
        }
        try validator.finish()
    }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
