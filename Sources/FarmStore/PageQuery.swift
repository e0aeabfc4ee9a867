import FarmModel
import Foundation
import PostgresNIO

extension PostgresQuery {
    /// A listing's page in one statement that states the filter once: the
    /// rows `matching` selects, `columns` of the page's rows (`p`) in
    /// `order`, each with the total; when the page is empty an anchor row of
    /// nulls still carries the total. Only the static `columns` and `order`
    /// join the text; every value stays bound (the page's after `matching`'s).
    static func page(of matching: PostgresQuery, columns: StaticString = "p.id", orderedBy order: StaticString,
                     _ page: PageRequest) -> PostgresQuery {
        var binds = matching.binds
        binds.append(page.limit)
        binds.append(page.offset)
        return PostgresQuery(unsafeSQL: """
            WITH matching AS (\(matching.sql))
            SELECT (SELECT count(*) FROM matching), \(columns)
            FROM (SELECT 1) AS anchor
            LEFT JOIN (
                SELECT * FROM matching ORDER BY \(order) LIMIT $\(binds.count - 1) OFFSET $\(binds.count)
            ) AS p ON true
            ORDER BY \(order)
            """, binds: binds)
    }
}

extension AsyncSequence where Element == PostgresRow {
    /// Reads the `(total, id?)` rows of a `PostgresQuery.page(of:)` of ids.
    func pageOfIDs() async throws -> (total: Int, ids: [UUID]) {
        var total = 0
        var ids: [UUID] = []
        for try await row in self {
            let (count, id) = try row.decode((Int, UUID?).self)
            total = count
            if let id { ids.append(id) }
        }
        return (total, ids)
    }
}
