import AsyncHTTPClient
import FarmModel
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The benchmark's side of the HTTP API, as a user with a token.
struct BenchClient: Sendable {
    let baseURL: URL
    let token: String
    let http: HTTPClient = .shared

    /// Sends a request and returns the envelope's `data`.
    func send(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: baseURL.absoluteString + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
        let status = Int(response.status.code)
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard (200..<300).contains(status), let answer = object?["data"] as? [String: Any] else {
            throw BenchError("\(method) \(path) answered \(status): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return answer
    }

    /// A configuration of `architecture` in `project`; returns its first version's id.
    func configuration(in project: String, architecture: Architecture, name: String) async throws -> (id: String, version: String) {
        let created = try await send(.POST, "/configurations", [
            "name": name, "baseVersion": "6.1.0", "architecture": architecture.rawValue, "projectId": project,
            "modules": [["name": "ext4", "path": "fs/ext4", "isBuiltin": true]],
        ])
        guard let id = created["id"] as? String, let version = (created["versions"] as? [[String: Any]])?.first?["id"] as? String
        else { throw BenchError("unexpected configuration: \(created)") }
        return (id, version)
    }

    func submit(version: String) async throws -> String {
        guard let id = try await send(.POST, "/builds", ["configVersionId": version, "priority": "normal"])["id"] as? String
        else { throw BenchError("a build without an id") }
        return id
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
