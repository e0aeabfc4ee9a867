import AsyncHTTPClient
import FarmModel
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import _NIOFileSystem

/// The farm's HTTP API as its clients call it (build workers with worker
/// tokens, deployment agents with system tokens, people's `kfarm` commands
/// with their own), over AsyncHTTPClient (non-blocking, pooled keep-alive
/// connections).
public struct FarmClient: Sendable {
    public let baseURL: URL
    let token: String
    let http: HTTPClient

    public init(baseURL: URL, token: String, http: HTTPClient = .shared) {
        self.baseURL = baseURL
        self.token = token
        self.http = http
    }

    public func register(_ registration: WorkerRegistration) async throws -> Worker {
        try await send(.POST, "/workers", registration)
    }

    /// Publishes a kernel series' module catalog (`PUT /kernels/{series}/catalog`): whether the farm's copy changed.
    public func publish(_ catalog: KernelModuleCatalog) async throws -> Bool {
        struct Publication: Decodable { var changed: Bool }
        let answer: Publication = try await send(.PUT, "/kernels/\(catalog.series)/catalog", catalog)
        return answer.changed
    }

    /// The build, or nil when another worker won it or it is no longer
    /// queued as this attempt (a 409 or 404 from the API).
    public func claim(_ buildID: UUID, _ claim: BuildClaim) async throws -> ClaimedBuild? {
        do {
            return try await send(.POST, "/builds/\(buildID.lowercased)/claim", claim)
        } catch let error as FarmClientError where error.status == 409 || error.status == 404 {
            return nil
        }
    }

    /// Renews the lease; false when the worker no longer holds the build (cancelled, re-dispatched).
    public func heartbeat(_ buildID: UUID, _ claim: BuildClaim) async throws -> Bool {
        struct Lease: Decodable { var leaseExpiresAt: Date }
        do {
            let _: Lease = try await send(.POST, "/builds/\(buildID.lowercased)/heartbeat", claim)
            return true
        } catch let error as FarmClientError where error.status == 409 || error.status == 404 {
            return false
        }
    }

    /// Tells the farm which commit the build's git source is (`GET /builds/{id}` shows it).
    public func reportSource(_ buildID: UUID, _ report: SourceReport) async throws {
        let _: [String: BuildSource] = try await send(.POST, "/builds/\(buildID.lowercased)/source", report)
    }

    /// Streams a tarball to the artifact store under its sha256 (the server
    /// checks it), for the build attempt this worker holds: the server takes
    /// uploads only from a worker holding a running attempt.
    public func uploadBlob(_ file: URL, sha256: String, size: Int, for held: (build: UUID, claim: BuildClaim)) async throws {
        let holder = "?build=\(held.build.lowercased)&workerId=\(held.claim.workerId.lowercased)&attempt=\(held.claim.attempt)"
        var request = HTTPClientRequest(url: baseURL.absoluteString + "/artifact-blobs/\(sha256)" + holder)
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        let response = try await FileSystem.shared.withFileHandle(forReadingAt: .init(file.path)) { handle in
            request.body = .stream(handle.readChunks(chunkLength: .kibibytes(256)), length: .known(Int64(size)))
            return try await http.execute(request, timeout: .minutes(30))
        }
        let _: StoredBlob = try await answer(response, "PUT /artifact-blobs/\(sha256)")
    }

    /// Records the uploaded tarball as the artifact of the build attempt this worker holds.
    public func recordArtifact(_ buildID: UUID, _ upload: ArtifactUpload) async throws -> ArtifactRecord {
        try await send(.POST, "/builds/\(buildID.lowercased)/artifact", upload)
    }

    /// The artifact of the same inputs, with which the build has just completed; nil: build it.
    public func reuse(_ buildID: UUID, _ lookup: CacheLookup) async throws -> ArtifactRecord? {
        do {
            return try await send(.POST, "/builds/\(buildID.lowercased)/cache-hit", lookup)
        } catch let error as FarmClientError where error.status == 404 {
            return nil
        }
    }

    /// The farm's signing key (`GET /signing-key`) and its raw 32 bytes, for a machine or person to pin.
    public func signingKey() async throws -> (key: SigningKey, raw: Data) {
        let key: SigningKey = try await get("/signing-key")
        guard let raw = SigningKeyText.rawKey(key.publicKey) else {
            throw MachineError.configuration("GET /signing-key answered no Ed25519 public key")
        }
        return (key, raw)
    }

    /// What `GET path` answers (JSON).
    public func get<Answer: Decodable>(_ path: String) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL.absoluteString + path)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        return try await answer(try await http.execute(request, timeout: .seconds(30)), "GET \(path)")
    }

    /// Streams what `GET path` answers into `file`, in chunks; returns the
    /// file's size. With `resume`, a partial `file` is continued from where
    /// it ends (`Range`), unless the server sends the whole body again.
    public func download(_ path: String, to file: URL, resume: Bool = false) async throws -> Int {
        let existing = resume ? ((try? FileManager.default.attributesOfItem(atPath: file.path)[.size]) as? Int ?? 0) : 0
        let response = try await open(path, headers: existing > 0 ? ["Range": "bytes=\(existing)-"] : [:],
                                      timeout: .minutes(30))
        // A 206 continues the file only if it starts where the file ends (`Content-Range: bytes N-…`).
        let range = response.headers.first(name: "Content-Range") ?? ""
        let continuing = existing > 0 && response.status == .partialContent && range.hasPrefix("bytes \(existing)-")
        if response.status == .partialContent && !continuing {
            throw FarmClientError(status: 206, "GET \(path): a range that does not continue the download (\(range))")
        }
        if !continuing { try? FileManager.default.removeItem(at: file) }
        return try await FileSystem.shared.withFileHandle(
            forWritingAt: .init(file.path), options: .modifyFile(createIfNecessary: true)) { handle in
            var offset = continuing ? Int64(existing) : 0
            for try await chunk in response.body {
                try await handle.write(contentsOf: chunk, toAbsoluteOffset: offset)
                offset += Int64(chunk.readableBytes)
            }
            return Int(offset)
        }
    }

    /// The response to `GET path` with the token and `headers`, its body
    /// still to be read (downloads, event streams); the API's error for any
    /// status but 200 and 206.
    public func open(_ path: String, headers: [String: String] = [:], timeout: TimeAmount) async throws
        -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL.absoluteString + path)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await http.execute(request, timeout: timeout)
        guard response.status == .ok || response.status == .partialContent else {
            throw await failure(response, "GET \(path)")
        }
        return response
    }

    /// A JSON call with the machine's token; the envelope's data, or the API's error as `FarmClientError`.
    public func send<Body: Encodable, Answer: Decodable>(_ method: HTTPMethod, _ path: String, _ body: Body) async throws
        -> Answer {
        var request = HTTPClientRequest(url: baseURL.absoluteString + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder.request.encode(body)))
        return try await answer(try await http.execute(request, timeout: .seconds(30)), "\(method) \(path)")
    }

    /// The envelope's data, or the API's error as `FarmClientError`.
    private func answer<Answer: Decodable>(_ response: HTTPClientResponse, _ call: String) async throws -> Answer {
        let data = Data(buffer: try await response.body.collect(upTo: 16 << 20))
        let envelope = try? JSONDecoder.iso8601.decode(APIEnvelope<Answer>.self, from: data)
        if (200..<300).contains(Int(response.status.code)), let answer = envelope?.data { return answer }
        throw Self.problem(response, data, envelope?.error, call)
    }

    /// The API's error in a response that is not the expected one.
    private func failure(_ response: HTTPClientResponse, _ call: String) async -> FarmClientError {
        let data = (try? await response.body.collect(upTo: 1 << 20)).map { Data(buffer: $0) } ?? Data()
        let envelope = try? JSONDecoder.iso8601.decode(APIEnvelope<Never>.self, from: data)
        return Self.problem(response, data, envelope?.error, call)
    }

    private static func problem(_ response: HTTPClientResponse, _ data: Data, _ error: APIProblem?, _ call: String) -> FarmClientError {
        let problem = error.map { "\($0.code): \($0.message)" + Self.fields($0.details) }
            ?? String(decoding: data.prefix(200), as: UTF8.self)
        return FarmClientError(status: Int(response.status.code), "\(call): \(problem)")
    }

    /// The fields a validation error names, each with what is wrong with it.
    private static func fields(_ details: [String: ErrorDetail]) -> String {
        let named = details.values.flatMap { detail -> [String] in
            guard case .fields(let fields) = detail else { return [] }
            return fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        }
        return named.isEmpty ? "" : " (" + named.joined(separator: "; ") + ")"
    }
}
