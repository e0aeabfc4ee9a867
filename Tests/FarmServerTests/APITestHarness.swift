import FarmModel
import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A parsed API reply. JSON is kept as Foundation objects: tests read the
/// wire format exactly as a client would, not through the server's types.
struct Reply: @unchecked Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let json: Any?
    /// The body as sent.
    let body: Data

    var object: [String: Any] { json as? [String: Any] ?? [:] }
    /// The envelope's `data` object.
    var data: [String: Any] { object["data"] as? [String: Any] ?? [:] }
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String? { (object["error"] as? [String: Any])?["message"] as? String }
    var errorDetails: [String: Any] { (object["error"] as? [String: Any])?["details"] as? [String: Any] ?? [:] }
    /// VALIDATION_ERROR's field → message map.
    var invalidFields: [String: String] { errorDetails["fields"] as? [String: String] ?? [:] }
}

/// Sends requests the way a client does: method, path, bearer token, JSON text.
struct API: Sendable {
    let client: any TestClientProtocol

    func send(_ method: HTTPRequest.Method, _ path: String, as account: Fixtures.Account? = nil,
              json: String? = nil) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let account { headers[.authorization] = account.authorization }
        if json != nil { headers[.contentType] = "application/json" }
        return try await send(method, path, headers: headers, body: json)
    }

    func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: String? = nil) async throws -> Reply {
        let response = try await client.execute(
            uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let data = Data(buffer: response.body)
        let isJSON = response.headers[.contentType]?.hasPrefix("application/json") ?? false
        return Reply(status: response.status, headers: response.headers,
                     json: data.isEmpty || !isJSON ? nil : try JSONSerialization.jsonObject(with: data), body: data)
    }
}

/// Router tests have no peer address, so every request counts against one
/// address bucket: make it large enough never to matter, unless a test says.
let generousLimits = RateLimitPolicy(perUser: 10_000, perAddress: 1_000_000, windowSeconds: 60)

/// Runs `body` against the real router and a real, migrated PostgreSQL
/// (a database of its own with `freshDatabase`, for tests of farm-wide
/// background work such as starting every due deployment).
func withAPI(
    limits: RateLimitPolicy = generousLimits, _ test: TestingSetup = .router, shelf: ArtifactShelf? = nil,
    requestLimits: RequestLimits = RequestLimits(), freshDatabase: Bool = false, gitSources: GitAllowList = GitAllowList([]),
    _ body: @Sendable (API, Fixtures) async throws -> Void
) async throws {
    let shelf = try shelf ?? ArtifactShelf.forTests()
    let database: @Sendable (@Sendable (Store) async throws -> Void) async throws -> Void =
        freshDatabase ? TestDatabase.withFreshStore : TestDatabase.withStore
    try await database { store in
        let app = Application(
            router: buildRouter(store: store, shelf: shelf, rateLimits: limits, limits: requestLimits, gitSources: gitSources),
            server: requestLimits.server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: TestDatabase.logger)
        try await app.test(test) { client in
            try await body(API(client: client), Fixtures(store: store))
        }
    }
}

/// JSON text for a request body.
func json(_ object: [String: Any]) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

/// ISO 8601, UTC, whole seconds, `Z`: the seed's timestamp form.
func isSeedTimestamp(_ value: Any?) -> Bool {
    guard let text = value as? String else { return false }
    return text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/) != nil
}

func isLowercaseUUID(_ value: Any?) -> Bool {
    guard let text = value as? String, let id = UUID(uuidString: text) else { return false }
    return text == id.uuidString.lowercased()
}
