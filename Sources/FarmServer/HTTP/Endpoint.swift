import FarmStore
import Hummingbird

/// One route of the API: method, path pattern (`:name` for parameters),
/// who may call it, and its handler. Route groups list their endpoints as
/// data, so the router, the authorization matrix and the 405 table all come
/// from one list.
struct Endpoint: Sendable {
    typealias Handler = @Sendable (Request, FarmRequestContext) async throws -> Response

    let method: HTTPRequest.Method
    let path: String
    let requirement: Requirement
    let handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, _ requirement: Requirement, _ handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.requirement = requirement
        self.handler = handler
    }

    /// The handler behind the caller check of its requirement; every
    /// endpoint but the open ones needs PostgreSQL, so waits for it only until
    /// `deadline` (nil: the caller already runs under one, as a dashboard page does).
    func authorizedHandler(deadline: DatabaseDeadline?) -> Handler {
        { [requirement, handler] request, context in
            var context = context
            try Authorizer.check(requirement, &context)
            guard requirement != .open, let deadline else { return try await handler(request, context) }
            return try await deadline.run { [context] in try await handler(request, context) }
        }
    }
}

/// Which methods each path pattern serves and what each requires, to
/// answer a known path with an unserved method by 405 and an `Allow`
/// header instead of 404, and to let the gatekeeper spot open endpoints.
struct RouteTable: Sendable {
    private struct Route: Sendable {
        let segments: [Substring]
        let method: HTTPRequest.Method
        let requirement: Requirement
    }

    private let routes: [Route]

    init(_ endpoints: [Endpoint]) {
        routes = endpoints.map { Route(segments: Self.segments($0.path), method: $0.method, requirement: $0.requirement) }
    }

    /// The methods served at `path` (HEAD wherever GET is), or nil when no pattern matches it.
    func allowedMethods(for path: String) -> [HTTPRequest.Method]? {
        let methods = routes(matching: path).flatMap { $0.method == .get ? [.get, .head] : [$0.method] }
        return methods.isEmpty ? nil : methods
    }

    /// What the endpoint for this method and path requires, if there is one
    /// (a HEAD, what its GET requires).
    func requirement(for method: HTTPRequest.Method, path: String) -> Requirement? {
        let served = method == .head ? .get : method
        return routes(matching: path).first { $0.method == served }?.requirement
    }

    private func routes(matching path: String) -> [Route] {
        let actual = Self.segments(path)
        let matching = routes.filter { route in
            route.segments.count == actual.count
                && zip(route.segments, actual).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }
        // A literal segment beats a parameter, as in the router (`/users/me` over `/users/:id`).
        let best = matching.map { $0.segments.filter { !$0.hasPrefix(":") }.count }.max()
        return matching.filter { $0.segments.filter { !$0.hasPrefix(":") }.count == best }
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/") } ?? []
    }
}
