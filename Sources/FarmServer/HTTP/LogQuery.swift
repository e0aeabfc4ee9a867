import FarmModel
import Hummingbird

/// The query of `GET /builds/{id}/logs` and `/events`: `after` (a line
/// number, default 0), `limit` (1...5000 lines, default 1000; pages only),
/// `attempt` (default the build's current one).
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
        try validator.finish()
    }
}
