import ArgumentParser
import FarmModel
import Foundation

/// A page of a listing as the API sends it: `{"<items>": [...], "pagination": {...}}`.
struct Listing<Item: Decodable & Encodable>: Codable {
    var items: [Item]
    var pagination: Pagination

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        pagination = try container.decode(Pagination.self, forKey: Key(stringValue: "pagination"))
        guard let key = container.allKeys.first(where: { $0.stringValue != "pagination" }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "a listing without items"))
        }
        items = try container.decode([Item].self, forKey: key)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: Key(stringValue: "items"))
        try container.encode(pagination, forKey: Key(stringValue: "pagination"))
    }
}

extension Listing {
    /// The page as a table, and where it stands in the whole listing.
    func show(_ header: [String], noun: String, row: (Item) -> [String]) {
        Output.table(header, items.map(row))
        Output.line("page \(pagination.page) of \(pagination.pages) (\(pagination.total) \(noun))")
    }
}

/// A listing's query: the page, and the filters that were given.
struct ListQuery {
    private var parameters: [String]

    init(page: Int, limit: Int) {
        parameters = ["page=\(page)", "limit=\(limit)"]
    }

    mutating func add(_ name: String, _ value: String?) {
        guard let value, let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) else { return }
        parameters.append("\(name)=\(encoded)")
    }

    var text: String { "?" + parameters.joined(separator: "&") }
}

/// Which page of a listing to show.
struct PageOptions: ParsableArguments {
    @Option(help: "The page (from 1).") var page = 1
    @Option(help: "Items per page (up to 100).") var limit = 20

    var query: ListQuery { ListQuery(page: page, limit: limit) }
}
