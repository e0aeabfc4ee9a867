import Crypto
import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// The kernel series on offer and their module catalogs: workers publish a
/// series' catalog from the tree they build; people search it while
/// choosing modules, and configurations' module names resolve against it.
struct KernelRoutes {
    let store: Store

    /// Linux 6.1's catalog is 2 to 4 MB of JSON: more than the 1 MiB other bodies get.
    static let maxCatalogSize = 16 << 20
    /// The longest `q` searched for.
    static let maxQueryLength = 100

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/kernels", .user) { _, _ in
                try Response.success(try await store.kernels.offers())
            },
            Endpoint(.get, "/kernels/:series/modules", .user) { request, context in
                let series = try Self.series(context)
                // PostgreSQL's text takes no NUL, so control characters are refused here, not by the database.
                let query = try request.query("q", expected: "at most \(Self.maxQueryLength) characters, none of them control characters") {
                    $0.unicodeScalars.count <= Self.maxQueryLength
                        && !$0.unicodeScalars.contains { $0.properties.generalCategory == .control } ? $0 : nil
                }
                let page = try await store.kernels.modules(of: series, matching: query, page: try request.pageRequest())
                return try Response.success(Listing(key: "modules", page: page))
            },
            Endpoint(.get, "/kernels/:series/modules/:name", .user) { _, context in
                let series = try Self.series(context)
                let name = context.parameters.get("name") ?? ""
                var validator = Validator()
                validator.check("name", name, .moduleName)
                try validator.finish()
                guard let module = try await store.kernels.module(of: series, named: name) else {
                    throw APIError.notFound("kernelModule", "\(series)/\(name)")
                }
                return try Response.success(module)
            },
            // The sha256 is of the bytes sent, so the same body published again is recognised without reading the modules.
            Endpoint(.put, "/kernels/:series/catalog", .worker) { request, context in
                let series = try Self.series(context)
                let body = try await request.collectBody(context: context, limit: Self.maxCatalogSize)
                let catalog = try JSONBody.decode(KernelModuleCatalog.self, from: body)
                if catalog.series != series { throw ValidationError(field: "series", "must be the series in the path, \(series)") }
                let publication = try await store.kernels.publish(
                    catalog, sha256: ContentHash.hex(SHA256.hash(data: body)), token: try context.requireWorkerToken())
                return try Response.success(publication)
            },
        ]
    }

    /// The `:series` path parameter: major and minor, `6.1`.
    private static func series(_ context: FarmRequestContext) throws -> String {
        guard let series = context.parameters.get("series"), KernelSeries.isValid(series) else {
            throw ValidationError(field: "series", "must be a kernel series such as 6.1")
        }
        return series
    }
}
