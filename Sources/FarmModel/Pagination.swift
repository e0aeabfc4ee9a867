/// Which page of a listing a client asks for. `page` counts from 1.
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 20
    public static let maxLimit = 100

    public let page: Int
    public let limit: Int

    public init(page: Int = 1, limit: Int = PageRequest.defaultLimit) throws(ValidationError) {
        var validator = Validator()
        if page < 1 || page > 1_000_000 { validator.fail("page", "must be between 1 and 1000000") }
        if limit < 1 || limit > Self.maxLimit { validator.fail("limit", "must be between 1 and \(Self.maxLimit)") }
        try validator.finish()
        self.page = page
        self.limit = limit
    }

    public var offset: Int { (page - 1) * limit }
}

/// The seed's `pagination` object. `pages` is 0 when there is nothing to list.
public struct Pagination: Codable, Sendable, Equatable {
    public var total: Int
    public var page: Int
    public var limit: Int
    public var pages: Int

    public init(total: Int, request: PageRequest) {
        self.total = total
        self.page = request.page
        self.limit = request.limit
        self.pages = (total + request.limit - 1) / request.limit
    }
}

/// One page of a listing with its position in the whole.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var pagination: Pagination

    public init(items: [Item], pagination: Pagination) {
        self.items = items
        self.pagination = pagination
    }
}
