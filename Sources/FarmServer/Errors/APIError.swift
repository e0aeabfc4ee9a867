import FarmModel
import Foundation
import Hummingbird

/// The one error type clients see, rendered as the seed's error envelope
/// `{"status":"error","error":{"code","message","details"}}`.
public struct APIError: Error, Sendable {
    public enum Code: String, Sendable {
        case unauthorized = "UNAUTHORIZED"
        case forbidden = "FORBIDDEN"
        case resourceNotFound = "RESOURCE_NOT_FOUND"
        case validationError = "VALIDATION_ERROR"
        case conflict = "CONFLICT"
        case payloadTooLarge = "PAYLOAD_TOO_LARGE"
        case methodNotAllowed = "METHOD_NOT_ALLOWED"
        case rateLimited = "RATE_LIMITED"
        case internalError = "INTERNAL_ERROR"
        case serviceUnavailable = "SERVICE_UNAVAILABLE"
    }

    public var status: HTTPResponse.Status
    public var code: Code
    public var message: String
    public var details: [String: ErrorDetail]
    /// Seconds to wait before trying again, sent as `Retry-After` (429, 503).
    public var retryAfter: Int?

    public init(status: HTTPResponse.Status, code: Code, message: String, details: [String: ErrorDetail] = [:],
                retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    static func unauthorized(_ message: String) -> APIError {
        APIError(status: .unauthorized, code: .unauthorized, message: message)
    }

    static func forbidden(_ message: String, details: [String: ErrorDetail] = [:]) -> APIError {
        APIError(status: .forbidden, code: .forbidden, message: message, details: details)
    }

    static func notFound(_ resourceType: String, _ resourceID: String) -> APIError {
        APIError(status: .notFound, code: .resourceNotFound, message: "The requested \(resourceType) could not be found",
                 details: ["resourceType": .string(resourceType), "resourceId": .string(resourceID)])
    }

    static func serviceUnavailable(retryAfter: Int) -> APIError {
        APIError(status: .serviceUnavailable, code: .serviceUnavailable,
                 message: "The database is unavailable; retry after \(retryAfter) s", retryAfter: retryAfter)
    }

    static let internalError = APIError(
        status: .internalServerError, code: .internalError, message: "An unexpected error occurred; it has been logged")
}
