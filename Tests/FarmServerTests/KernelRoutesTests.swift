import Crypto
import FarmModel
@testable import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

/// Module catalogs: workers publish them, people search them, and
/// configurations' module names resolve against them. Each test has a
/// database of its own: a worker building only its series would refuse
/// other tests' submits of other versions (KernelSeriesTests).
@Suite struct KernelRoutesTests {
    /// The sample catalog with a name spelled with `-` and a bool feature.
    private func catalog(_ series: String) -> KernelModuleCatalog {
        var catalog = KernelModuleCatalog.sample(series: series)
        catalog.modules += [
            KernelModuleInfo(name: "crc-ccitt", path: "lib", symbol: "CRC_CCITT", type: "tristate", prompt: "CRC-CCITT functions",
                             dependsOn: [], parameters: []),
            KernelModuleInfo(name: "proc", path: "fs/proc", symbol: "PROC_FS", type: "bool", prompt: "/proc file system support",
                             dependsOn: [], parameters: []),
        ]
        return catalog
    }

    private func body(_ catalog: KernelModuleCatalog) throws -> String {
        String(decoding: try JSONEncoder().encode(catalog), as: UTF8.self)
    }

    private func publish(_ api: API, _ series: String, body: String, secret: String) async throws -> Reply {
        try await api.send(.put, "/kernels/\(series)/catalog",
                           headers: [.authorization: "Bearer \(secret)", .contentType: "application/json"], body: body)
    }

    /// A new series built by a new riscv64 worker, its catalog published; the worker's token secret.
    private func publishedSeries(_ api: API, _ fixtures: Fixtures) async throws -> (series: String, secret: String) {
        let series = Fixtures.uniqueSeries()
        let (_, secret) = try await fixtures.worker([Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")], kernelSeries: [series])
        let reply = try await publish(api, series, body: try body(catalog(series)), secret: secret)
        #expect(reply.status == .ok, "\(reply.invalidFields)")
        return (series, secret)
    }

    @Test func publishingTheSameBodyChangesNothingAndAnotherReplacesTheModules() async throws {
        try await withAPI(freshDatabase: true) { api, fixtures in
            let series = Fixtures.uniqueSeries()
            let (_, secret) = try await fixtures.worker([Toolchain(architecture: .x86_64, compiler: "gcc-12.2.0")],
                                                        kernelSeries: [series])
            let viewer = try await fixtures.account()
            let text = try body(catalog(series))
            let first = try await publish(api, series, body: text, secret: secret)
            #expect(first.status == .ok)
            #expect(first.data["series"] as? String == series && first.data["modules"] as? Int == 5)
            #expect(first.data["sha256"] as? String == ContentHash.hex(SHA256.hash(data: Data(text.utf8))))
            #expect(first.data["changed"] as? Bool == true && isSeedTimestamp(first.data["publishedAt"]))
            let again = try await publish(api, series, body: text, secret: secret)
            #expect(again.data["changed"] as? Bool == false && again.data["publishedAt"] as? String == first.data["publishedAt"] as? String)

            var smaller = KernelModuleCatalog.sample(series: series)
            smaller.modules.removeAll { $0.name != "ext4" }
            let replaced = try await publish(api, series, body: try body(smaller), secret: secret)
            #expect(replaced.data["changed"] as? Bool == true && replaced.data["modules"] as? Int == 1)
            let listed = try await api.send(.get, "/kernels/\(series)/modules", as: viewer)
            #expect((listed.data["modules"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["ext4"])
        }
    }

    @Test func badCatalogsAndPublishersAreRefused() async throws {
        try await withAPI(freshDatabase: true) { api, fixtures in
            let series = Fixtures.uniqueSeries()
            let (_, secret) = try await fixtures.worker([Toolchain(architecture: .arm64, compiler: "gcc-12.2.0")], kernelSeries: [series])
            let (_, stranger) = try await fixtures.worker([Toolchain(architecture: .arm64, compiler: "gcc-12.2.0")], kernelSeries: ["6.1"])
            let mismatch = try await publish(api, series, body: try body(catalog("6.1")), secret: secret)
            #expect(mismatch.status == .badRequest && mismatch.invalidFields["series"]?.contains(series) == true)
            var badSymbol = catalog(series)
            badSymbol.modules[0].symbol = "EXT4 FS; reboot"
            #expect(try await publish(api, series, body: try body(badSymbol), secret: secret).invalidFields["modules[0].symbol"] != nil)
            let foreign = try await publish(api, series, body: try body(catalog(series)), secret: stranger)
            #expect(foreign.status == .badRequest && foreign.invalidFields["series"]?.contains("no worker") == true,
                    "a worker publishes only a series it registered")
            #expect(try await publish(api, "6.x", body: try body(catalog(series)), secret: secret).invalidFields["series"] != nil)
            // Past 16 MiB the body is refused before it is read as JSON.
            let huge = "{\"pad\": \"" + String(repeating: "x", count: KernelRoutes.maxCatalogSize) + "\"}"
            let tooLarge = try await publish(api, series, body: huge, secret: secret)
            #expect(tooLarge.status == .contentTooLarge && tooLarge.errorCode == "PAYLOAD_TOO_LARGE")
            let person = try await fixtures.account()
            let asPerson = try await api.send(.put, "/kernels/\(series)/catalog", as: person, json: try body(catalog(series)))
            #expect(asPerson.status == .forbidden)
            #expect(try await api.send(.get, "/kernels/\(series)/modules", as: person).status == .notFound, "nothing was stored")
        }
    }

    @Test func offersNameTheBuildersAndTheCatalogs() async throws {
        try await withAPI(freshDatabase: true) { api, fixtures in
            let viewer = try await fixtures.account()
            let (built, _) = try await publishedSeries(api, fixtures)
            _ = try await fixtures.worker([Toolchain(architecture: .x86_64, compiler: "gcc-13.1.0"),
                                           Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")], kernelSeries: [built])
            let unpublished = Fixtures.uniqueSeries()
            _ = try await fixtures.worker([Toolchain(architecture: .arm64, compiler: "gcc-12.2.0")], kernelSeries: [unpublished])
            // A series whose only worker went offline is still offered for its catalog.
            let (orphan, _) = try await publishedSeries(api, fixtures)
            try await fixtures.store.client.query("""
                UPDATE workers SET last_heartbeat_at = now() - interval '1 hour' WHERE \(orphan) = ANY(kernel_series)
                """)

            let reply = try await api.send(.get, "/kernels", as: viewer)
            #expect(reply.status == .ok)
            let offers = Dictionary((reply.object["data"] as? [[String: Any]] ?? []).map { ($0["series"] as? String ?? "", $0) },
                                    uniquingKeysWith: { first, _ in first })
            let offer = try #require(offers[built])
            #expect(offer["architectures"] as? [String] == ["x86_64", "riscv64"] && offer["workers"] as? Int == 2)
            #expect((offer["toolchains"] as? [[String: String]])?.count == 2, "one riscv64 compiler, listed once")
            #expect(offer["modules"] as? Int == 5 && isSeedTimestamp(offer["catalogPublishedAt"]))
            #expect(offers[unpublished]?["modules"] as? Int == 0 && offers[unpublished]?["catalogPublishedAt"] is NSNull)
            #expect(offers[orphan]?["workers"] as? Int == 0 && offers[orphan]?["architectures"] as? [String] == [])
            #expect(try await api.send(.get, "/kernels").status == .unauthorized)
        }
    }

    @Test func modulesAreSearchedPagedAndFoundByEitherSpelling() async throws {
        try await withAPI(freshDatabase: true) { api, fixtures in
            let viewer = try await fixtures.account()
            let (series, _) = try await publishedSeries(api, fixtures)
            func names(_ query: String) async throws -> [String] {
                let reply = try await api.send(.get, "/kernels/\(series)/modules?\(query)", as: viewer)
                return (reply.data["modules"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
            }
            let first = try await api.send(.get, "/kernels/\(series)/modules?limit=2", as: viewer)
            #expect(first.data["pagination"] as? [String: Int] == ["total": 5, "page": 1, "limit": 2, "pages": 3])
            #expect(try await names("limit=2") == ["btrfs", "crc-ccitt"])
            #expect(try await names("limit=2&page=3") == ["proc"])
            #expect(try await names("q=EXT4") == ["ext4"], "any case, the symbol too")
            #expect(try await names("q=drivers%2Fnet") == ["dummy"], "the path")
            #expect(try await names("q=filesystem") == ["btrfs", "ext4"], "the prompt")
            #expect(try await names("q=_fs") == ["btrfs", "ext4", "proc"], "'_' is no wildcard")
            #expect(try await names("q=%25").isEmpty, "'%' is no wildcard")
            #expect(try await api.send(.get, "/kernels/\(series)/modules?q=ext%00", as: viewer).invalidFields["q"] != nil,
                    "a NUL is refused, not passed to PostgreSQL")
            #expect(try await api.send(.get, "/kernels/\(Fixtures.uniqueSeries())/modules", as: viewer).status == .notFound)
            #expect(try await api.send(.get, "/kernels/6/modules", as: viewer).invalidFields["series"] != nil)

            let dummy = try await api.send(.get, "/kernels/\(series)/modules/dummy", as: viewer)
            #expect(dummy.data["path"] as? String == "drivers/net/dummy" && dummy.data["dependsOn"] as? [String] == ["NETDEVICES", "NET_CORE"])
            #expect((dummy.data["parameters"] as? [[String: Any]])?.first?["name"] as? String == "numdummies")
            let crc = try await api.send(.get, "/kernels/\(series)/modules/CRC_CCITT", as: viewer)
            #expect(crc.data["name"] as? String == "crc-ccitt", "'-' and '_' alike, any case")
            #expect(try await api.send(.get, "/kernels/\(series)/modules/ext5", as: viewer).status == .notFound)
        }
    }

    @Test func configurationsModuleNamesResolveAgainstTheCatalog() async throws {
        try await withAPI(freshDatabase: true) { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let (series, _) = try await publishedSeries(api, fixtures)
            func create(_ modules: [[String: Any]], baseVersion: String? = nil) async throws -> Reply {
                try await api.send(.post, "/configurations", as: developer, json: json([
                    "name": Fixtures.unique("c"), "baseVersion": baseVersion ?? "\(series).0", "architecture": "riscv64",
                    "projectId": project.id.lowercased, "modules": modules,
                ]))
            }
            func paths(_ reply: Reply) -> [String?] {
                (reply.data["modules"] as? [[String: Any]] ?? []).map { $0["path"] as? String }
            }
            // The contract's example, as written: names only, an optional module's undeclared parameter kept.
            let contract = try await create([
                ["name": "ext4", "isBuiltin": true, "isRequired": true],
                ["name": "btrfs", "isBuiltin": false, "isRequired": false, "parameters": ["raid_levels": [0, 1, 10]]],
                ["name": "unlisted", "path": "drivers/misc/unlisted"],
            ])
            #expect(contract.status == .created, "\(contract.invalidFields)")
            let id = contract.data["id"] as? String ?? ""
            let shown = try await api.send(.get, "/configurations/\(id)", as: developer)
            #expect(paths(shown) == ["fs/ext4", "fs/btrfs", "drivers/misc/unlisted"])
            let btrfs = (shown.data["modules"] as? [[String: Any]])?[1]["parameters"] as? [String: [Int]]
            #expect(btrfs == ["raid_levels": [0, 1, 10]])

            let refused: [([String: Any], String, String)] = [
                (["name": "ext5"], "modules[0].name", "closest: ext4"),
                (["name": "ext4", "path": "fs/ext3"], "modules[0].path", "fs/ext4"),
                (["name": "proc", "isBuiltin": false], "modules[0].isBuiltin", "PROC_FS"),
                (["name": "dummy", "isRequired": true, "parameters": ["numdevs": 2]], "modules[0].parameters.numdevs", "numdummies"),
                (["name": "ext4", "isRequired": true, "parameters": ["journal": true]], "modules[0].parameters.journal", "none"),
            ]
            for (module, field, hint) in refused {
                let reply = try await create([module])
                #expect(reply.status == .badRequest && reply.errorCode == "VALIDATION_ERROR")
                #expect(reply.invalidFields[field]?.contains(hint) == true, "\(field): \(reply.invalidFields)")
            }
            let unpublished = try await create([["name": "ext5"]], baseVersion: "\(Fixtures.uniqueSeries()).0")
            #expect(unpublished.status == .created && paths(unpublished) == [nil], "without a catalog the worker resolves")

            let patched = try await api.send(.patch, "/configurations/\(id)", as: developer,
                                             json: json(["modules": [["name": "crc_ccitt"], ["name": "dummy"]]]))
            #expect(paths(patched) == ["lib", "drivers/net/dummy"])
            let badPatch = try await api.send(.patch, "/configurations/\(id)", as: developer, json: json(["modules": [["name": "dumy"]]]))
            #expect(badPatch.invalidFields["modules[0].name"]?.contains("dummy") == true)
            let version = try await api.send(.post, "/configurations/\(id)/versions", as: developer,
                                             json: json(["modules": [["name": "btrfs"]]]))
            #expect(version.status == .created && paths(version) == ["fs/btrfs"])
            let badVersion = try await api.send(.post, "/configurations/\(id)/versions", as: developer,
                                                json: json(["modules": [["name": "btrfs", "path": "fs/xfs"]]]))
            #expect(badVersion.invalidFields["modules[0].path"] != nil)
        }
    }
}
