import FarmModel
import FarmStore
import Hummingbird
import NIOCore
import NIOHTTP1

/// Maps every error a route throws to the seed's envelope, once, at the edge.
/// Anything unexpected is logged with the request id and reaches the client
/// only as INTERNAL_ERROR: no SQL, no stack traces.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Tells a wrong method on a known path (405) from an unknown path (404).
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let allowed = routes.allowedMethods(for: request.uri.path) else {
                return try .failure(Self.translate(error))
            }
            let list = allowed.map(\.rawValue).joined(separator: ", ")
            var response = try Response.failure(APIError(
                status: .methodNotAllowed, code: .methodNotAllowed,
                message: "\(request.method) is not served here; allowed: \(list)"))
            response.headers[.allow] = list
            return response
        } catch {
            let apiError = Self.translate(error)
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            return try .failure(apiError)
        }
    }

    static func translate(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ValidationError:
            return APIError(status: .badRequest, code: .validationError, message: "Request data failed validation",
                            details: ["fields": .fields(error.fields)])
        case let error as StoreError:
            return translate(error)
        case let error as HTTPParserError:
            // Broken framing (a bad chunk size, say) is the client's fault, not the server's.
            return APIError(status: .badRequest, code: .validationError, message: "Malformed HTTP request: \(error)")
        case is NIOTooManyBytesError:
            return APIError(status: .contentTooLarge, code: .payloadTooLarge, message: "Request body is too large")
        case let error as HTTPError:
            return translate(error)
        default:
            return StoreError.lostConnection(error).map(translate) ?? .internalError
        }
    }

    private static func translate(_ error: StoreError) -> APIError {
        switch error {
        case .notFound(let resource, let id):
            return .notFound(resource, id)
        case .conflict(let message, let details):
            return APIError(status: .conflict, code: .conflict, message: message, details: details.mapValues(ErrorDetail.string))
        case .unreachable:
            return .serviceUnavailable(retryAfter: DatabaseDeadline.retryAfter)
        case .invalidSettings, .unavailable:
            return .internalError
        }
    }

    /// Hummingbird's own errors: no route, wrong method, oversized or unreadable body.
    private static func translate(_ error: HTTPError) -> APIError {
        switch error.status {
        case .notFound:
            return APIError(status: .notFound, code: .resourceNotFound, message: "No such endpoint")
        case .methodNotAllowed:
            return APIError(status: .methodNotAllowed, code: .methodNotAllowed, message: "Method not allowed on this endpoint")
        case .contentTooLarge:
            return APIError(status: .contentTooLarge, code: .payloadTooLarge, message: "Request body is too large")
        case .badRequest:
            return APIError(status: .badRequest, code: .validationError, message: error.body ?? "Bad request")
        default:
            return .internalError
        }
    }
}
