import FarmModel
import Foundation
import Hummingbird

/// The JSON conventions of the API: ISO 8601 UTC timestamps with `Z`.
enum JSONBody {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            guard let date = Timestamp.parse(try container.decode(String.self)) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be \(Timestamp.expected)")
            }
            return date
        }
        return decoder
    }

    /// Decodes a request body; a wrong type or a missing field names its path.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ValidationError(decoding: error)
        }
    }

    static func response(status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let data = try encoder().encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(data.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
