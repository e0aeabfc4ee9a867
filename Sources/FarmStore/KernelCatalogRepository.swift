import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Each kernel series' module catalog as a worker publishes it, the series
/// on offer, and the lookups configurations' module names resolve with.
public struct KernelCatalogRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Stores the catalog as its series' one, its modules replaced in one
    /// transaction; the same body again (`sha256`) changes nothing. Only a
    /// worker registered with this token for the series publishes it.
    public func publish(_ catalog: KernelModuleCatalog, sha256: String, token tokenID: UUID) async throws -> CatalogPublication {
        try catalog.validate()
        let series = catalog.series
        let rows = String(decoding: try JSONEncoder().encode(catalog.modules.map(ModuleRow.init)), as: UTF8.self)
        return try await translatingConflicts(unique: "two modules of the catalog share a name apart from case, '-' and '_'") {
            try await client.transaction(logger: logger) { connection in
                let publisher = try await connection.query("""
                    SELECT id FROM workers WHERE token_id = \(tokenID) AND \(series) = ANY(kernel_series)
                    ORDER BY last_heartbeat_at DESC LIMIT 1
                    """, logger: logger).first { try $0.decode(UUID.self) }
                guard let publisher else {
                    throw ValidationError(field: "series", "no worker registered with this token builds \(series) (POST /workers with kernelSeries)")
                }
                // The row lock makes concurrent publishers of one series take turns.
                let stored = try await connection.query("""
                    SELECT sha256, module_count, published_at FROM kernel_catalogs WHERE series = \(series) FOR UPDATE
                    """, logger: logger).first { try $0.decode((String, Int, Date).self) }
                if let stored, stored.0 == sha256 {
                    return CatalogPublication(series: series, modules: stored.1, sha256: sha256, publishedAt: stored.2, changed: false)
                }
                let publishedAt = try await connection.query("""
                    INSERT INTO kernel_catalogs (series, sha256, module_count, published_by)
                    VALUES (\(series), \(sha256), \(catalog.modules.count), \(publisher))
                    ON CONFLICT (series) DO UPDATE SET sha256 = EXCLUDED.sha256, module_count = EXCLUDED.module_count,
                        published_at = now(), published_by = EXCLUDED.published_by
                    RETURNING published_at
                    """, logger: logger).first { try $0.decode(Date.self) }!
                try await connection.query("DELETE FROM kernel_modules WHERE series = \(series)", logger: logger)
                // One statement for thousands of modules: their rows travel as one JSON document.
                try await connection.query("""
                    INSERT INTO kernel_modules (series, name, canonical_name, path, symbol, type, prompt, depends_on, parameters)
                    SELECT \(series), m.name, m.key, m.path, m.symbol, m.type, m.prompt,
                           ARRAY(SELECT jsonb_array_elements_text(m."dependsOn")), m.parameters
                    FROM jsonb_to_recordset(\(rows)::jsonb) AS m(name text, key text, path text, symbol text, type text,
                                                                 prompt text, "dependsOn" jsonb, parameters jsonb)
                    """, logger: logger)
                return CatalogPublication(series: series, modules: catalog.modules.count, sha256: sha256,
                                          publishedAt: publishedAt, changed: true)
            }
        }
    }

    /// The series workers that are not offline build, with their architectures
    /// and compilers, and the series that have a catalog; oldest series first.
    public func offers() async throws -> [KernelSeriesOffer] {
        try await client.snapshot(logger: logger) { connection in
            let builders = try await connection.query("""
                SELECT s.series, w.architectures, w.toolchains FROM worker_view w, unnest(w.kernel_series) AS s(series)
                WHERE NOT w.offline
                """, logger: logger).all { try $0.decode((String, [String], String).self) }
            let catalogs = try await connection.query(
                "SELECT series, module_count, published_at FROM kernel_catalogs", logger: logger
            ).all { try $0.decode((String, Int, Date).self) }
            var offers: [String: KernelSeriesOffer] = [:]
            func offer(_ series: String) -> KernelSeriesOffer {
                offers[series] ?? KernelSeriesOffer(series: series, architectures: [], toolchains: [], workers: 0, modules: 0,
                                                    catalogPublishedAt: nil)
            }
            for (series, architectures, toolchains) in builders {
                var entry = offer(series)
                entry.workers += 1
                let served = Set(entry.architectures).union(architectures.compactMap(Architecture.init))
                entry.architectures = Architecture.allCases.filter(served.contains)
                for toolchain in try JSONDecoder().decode([Toolchain].self, from: Data(toolchains.utf8))
                where !entry.toolchains.contains(toolchain) {
                    entry.toolchains.append(toolchain)
                }
                offers[series] = entry
            }
            for (series, modules, publishedAt) in catalogs {
                var entry = offer(series)
                entry.modules = modules
                entry.catalogPublishedAt = publishedAt
                offers[series] = entry
            }
            return offers.values.sorted { Self.numbers($0.series).lexicographicallyPrecedes(Self.numbers($1.series)) }
        }
    }

    /// A page of the series' modules by name, those whose name, symbol, path
    /// or prompt contain `query` (any case) when given; not found without a catalog.
    public func modules(of series: String, matching query: String?, page: PageRequest) async throws -> Page<KernelModuleInfo> {
        let pattern = query.map { "%\(Self.escapingLike($0.lowercased()))%" }
        var published = false
        var total = 0
        var modules: [KernelModuleInfo] = []
        let rows = try await client.query("""
            WITH matching AS (
                SELECT canonical_name, module FROM kernel_module_view
                WHERE series = \(series) AND (\(pattern)::text IS NULL OR search_text LIKE \(pattern))
            )
            SELECT EXISTS (SELECT 1 FROM kernel_catalogs WHERE series = \(series)), (SELECT count(*) FROM matching), p.module
            FROM (SELECT 1) AS anchor
            LEFT JOIN (SELECT * FROM matching ORDER BY canonical_name LIMIT \(page.limit) OFFSET \(page.offset)) AS p ON true
            ORDER BY p.canonical_name
            """, logger: logger)
        for try await row in rows {
            let (exists, count, module) = try row.decode((Bool, Int, String?).self)
            (published, total) = (exists, count)
            if let module { modules.append(try Self.decodeModule(module)) }
        }
        guard published else { throw StoreError.notFound(resource: "kernelCatalog", id: series) }
        return Page(items: modules, pagination: Pagination(total: total, request: page))
    }

    /// The series' module known by `name` (any case, `-` and `_` alike).
    public func module(of series: String, named name: String) async throws -> KernelModuleInfo? {
        try await client.query("""
            SELECT module FROM kernel_module_view WHERE series = \(series) AND canonical_name = \(ModuleResolution.key(name))
            """, logger: logger).first { try Self.decodeModule(try $0.decode(String.self)) }
    }

    /// The modules with the paths the series' catalog gives them, or the
    /// catalog's objections; as given while the series has no catalog.
    static func resolve(_ modules: [ModuleSpec], field: String, series: String, on connection: PostgresConnection,
                        logger: Logger) async throws -> [ModuleSpec] {
        guard !modules.isEmpty else { return modules }
        let published = try await connection.query(
            "SELECT 1 FROM kernel_catalogs WHERE series = \(series)", logger: logger
        ).first { _ in true } ?? false
        guard published else { return modules }
        let keys = modules.map { ModuleResolution.key($0.name) }
        let entries = try await connection.query("""
            SELECT module FROM kernel_module_view WHERE series = \(series) AND canonical_name = ANY(\(keys))
            """, logger: logger).all { try decodeModule(try $0.decode(String.self)) }
        var resolution = ModuleResolution(series: series, entries: entries)
        if resolution.needsCatalogNames(for: modules) {
            resolution.catalogNames = try await connection.query(
                "SELECT name FROM kernel_modules WHERE series = \(series)", logger: logger
            ).all { try $0.decode(String.self) }
        }
        return try resolution.resolve(modules, field: field)
    }

    /// A module's row as `jsonb_to_recordset` reads it.
    private struct ModuleRow: Encodable {
        var name, key, path, symbol, type: String
        var prompt: String?
        var dependsOn: [String]
        var parameters: [KernelModuleParameter]

        init(_ module: KernelModuleInfo) {
            (name, key, path, symbol, type) = (module.name, ModuleResolution.key(module.name), module.path, module.symbol, module.type)
            (prompt, dependsOn, parameters) = (module.prompt, module.dependsOn, module.parameters)
        }
    }

    private static func decodeModule(_ json: String) throws -> KernelModuleInfo {
        try JSONDecoder().decode(KernelModuleInfo.self, from: Data(json.utf8))
    }

    /// `6.10` after `6.9`.
    private static func numbers(_ series: String) -> [Int] {
        series.split(separator: ".").map { Int($0) ?? 0 }
    }

    /// `q` matched literally: `%`, `_` and `\` are not LIKE's wildcards here.
    private static func escapingLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
