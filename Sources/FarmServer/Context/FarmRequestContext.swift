import FarmModel
import Hummingbird

/// Per-request state: the core Hummingbird storage plus the authenticated user.
public struct FarmRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthenticationMiddleware` for every route behind it.
    public var user: User?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        user = nil
    }

    /// JSON bodies larger than this are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }

    /// The authenticated user; routes behind the authentication middleware always have one.
    func requireUser() throws -> User {
        guard let user else { throw APIError.unauthorized("authentication required") }
        return user
    }
}
