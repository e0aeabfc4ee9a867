import Foundation
import PostgresNIO

/// A statement every request (or every build) runs. PostgreSQL parses and
/// plans it once per pooled connection instead of on every call: under load,
/// parsing and planning the farm's small statements cost PostgreSQL more than
/// running them. Rows come back as `PostgresRow`, for the repositories'
/// usual decoding.
protocol PreparedQuery: PostgresPreparedStatement where Row == PostgresRow {}

extension PreparedQuery {
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// A prepared statement whose one parameter is an id.
protocol PreparedByID: PreparedQuery {
    var id: UUID { get }
}

extension PreparedByID {
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }
}
