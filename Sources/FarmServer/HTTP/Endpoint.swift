import Hummingbird

/// One route of the API: method, path pattern (`:name` for parameters),
/// whether it is open without a token, and its handler. Route groups list
/// their endpoints as data so the router and the 405 table come from one list.
struct Endpoint: Sendable {
    typealias Handler = @Sendable (Request, FarmRequestContext) async throws -> Response

    let method: HTTPRequest.Method
    let path: String
    let isPublic: Bool
    let handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, isPublic: Bool = false, _ handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.isPublic = isPublic
        self.handler = handler
    }
}

/// Which methods each path pattern serves, to answer a known path with an
/// unserved method by 405 and an `Allow` header instead of 404.
struct RouteTable: Sendable {
    private let patterns: [(segments: [Substring], methods: [HTTPRequest.Method])]

    init(_ endpoints: [Endpoint]) {
        var grouped: [String: [HTTPRequest.Method]] = [:]
        var order: [String] = []
        for endpoint in endpoints {
            if grouped[endpoint.path] == nil { order.append(endpoint.path) }
            grouped[endpoint.path, default: []].append(endpoint.method)
        }
        patterns = order.map { (Self.segments($0), grouped[$0]!) }
    }

    /// The methods served at `path`, or nil when no pattern matches it.
    func allowedMethods(for path: String) -> [HTTPRequest.Method]? {
        let actual = Self.segments(path)
        return patterns.first { pattern in
            pattern.segments.count == actual.count
                && zip(pattern.segments, actual).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }?.methods
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/") } ?? []
    }
}
