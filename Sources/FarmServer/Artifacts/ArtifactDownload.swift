import Foundation
import Hummingbird
import Logging

/// The answer to `GET /artifacts/{id}/download` (and to a package's
/// `GET /artifacts/{id}/packages/{name}`): the file streamed from
/// the store, with its length, its sha256 as the ETag (a conditional GET
/// with a matching `If-None-Match` gets 304) and byte ranges (206, or 416
/// outside the content) so interrupted downloads resume.
struct ArtifactDownload {
    let artifactID: UUID
    let name: String
    let sha256: String
    let size: Int
    var contentType = "application/zstd"

    /// The response; a tarball missing from this store is a 404 before any header goes out.
    func response(to request: Request, from storage: any ArtifactStorage, logger: Logger) async throws -> Response {
        // Checked first: a stream cannot fail politely once it has begun.
        guard try await storage.size(of: sha256) == size else {
            logger.warning("artifact tarball missing from the store",
                           metadata: ["artifact": "\(artifactID.lowercased)", "sha256": "\(sha256)"])
            throw APIError.notFound("artifactContent", artifactID.lowercased)
        }
        let etag = "\"\(sha256)\""
        var headers: HTTPFields = [
            .eTag: etag, .acceptRanges: "bytes", .contentType: contentType,
            .contentDisposition: "attachment; filename=\"\(name)\"",
        ]
        if let match = request.headers[.ifNoneMatch], match == "*" || match.split(separator: ",").contains(where: {
            $0.trimmingCharacters(in: .whitespaces) == etag
        }) {
            return Response(status: .notModified, headers: headers)
        }
        // A Range for another version of the content (If-Range) gets the whole content.
        let rangeHeader = request.headers[.ifRange].map { $0 == etag } ?? true ? request.headers[.range] : nil
        switch ByteRange.answer(rangeHeader, size: size) {
        case .whole:
            headers[.contentLength] = String(size)
            if request.method != .head { ServerMetrics.served(artifactBytes: size) }
            return Response(status: .ok, headers: headers, body: size == 0 ? ResponseBody() : storage.read(sha256, range: 0...(size - 1)))
        case .part(let range):
            headers[.contentLength] = String(range.count)
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            if request.method != .head { ServerMetrics.served(artifactBytes: range.count) }
            return Response(status: .partialContent, headers: headers, body: storage.read(sha256, range: range))
        case .unsatisfiable:
            var response = try Response.failure(APIError(
                status: .rangeNotSatisfiable, code: .validationError,
                message: "The range lies outside the artifact's \(size) bytes",
                details: ["fields": .fields(["Range": "must name bytes within 0-\(max(size - 1, 0))"])]))
            response.headers[.contentRange] = "bytes */\(size)"
            return response
        }
    }
}
