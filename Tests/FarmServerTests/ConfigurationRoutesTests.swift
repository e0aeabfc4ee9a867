import Crypto
import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Hummingbird
import Testing

@Suite struct ConfigurationRoutesTests {
    /// The seed's `POST /configurations` example, in the given project.
    static func seedRequest(project: String, name: String = "RISC-V Server Config") -> [String: Any] {
        [
            "name": name,
            "description": "Server configuration for RISC-V architecture",
            "baseVersion": "6.1.0",
            "architecture": "riscv64",
            "projectId": project,
            "modules": [
                ["name": "ext4", "isBuiltin": true, "isRequired": true],
                ["name": "btrfs", "isBuiltin": false, "isRequired": false, "parameters": ["raid_levels": [0, 1, 10]]],
            ],
        ]
    }

    private func countConfigurations(in project: Project, _ fixtures: Fixtures) async throws -> Int {
        try await fixtures.store.client.query("SELECT count(*) FROM configurations WHERE project_id = \(project.id)")
            .collect().map { try $0.decode(Int.self) }.first ?? -1
    }

    @Test func createReproducesTheSeedExample() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let reply = try await api.send(.post, "/configurations", as: developer,
                                           json: json(Self.seedRequest(project: project.id.lowercased)))
            #expect(reply.status == .created)
            #expect(reply.object["status"] as? String == "success")
            let data = reply.data
            #expect(isLowercaseUUID(data["id"]))
            #expect(data["name"] as? String == "RISC-V Server Config")
            #expect(data["description"] as? String == "Server configuration for RISC-V architecture")
            #expect(data["baseVersion"] as? String == "6.1.0")
            #expect(data["architecture"] as? String == "riscv64")
            #expect(isSeedTimestamp(data["createdAt"]) && isSeedTimestamp(data["updatedAt"]))
            #expect(data["creator"] as? [String: String] == ["id": developer.user.id.lowercased, "username": developer.user.username])
            #expect(data["project"] as? [String: String] == ["id": project.id.lowercased, "name": project.name])
            let versions = try #require(data["versions"] as? [[String: Any]])
            #expect(versions.count == 1)
            #expect(versions[0]["version"] as? String == "1.0.0")
            #expect(versions[0]["isLocked"] as? Bool == false)
            #expect(isSeedTimestamp(versions[0]["createdAt"]))
            let modules = try #require(data["modules"] as? [[String: Any]])
            #expect(modules.map { $0["name"] as? String } == ["ext4", "btrfs"])
            #expect(modules[0]["isBuiltin"] as? Bool == true && modules[0]["isRequired"] as? Bool == true)
            #expect((modules[1]["parameters"] as? [String: Any])?["raid_levels"] as? [Int] == [0, 1, 10])
        }
    }

    @Test func createNeedsDeveloperAndHidesForeignProjects() async throws {
        try await withAPI { api, fixtures in
            let viewer = try await fixtures.account()
            let outsider = try await fixtures.account()
            let project = try await fixtures.project(members: [(viewer, .viewer)])
            let body = json(Self.seedRequest(project: project.id.lowercased))

            let forbidden = try await api.send(.post, "/configurations", as: viewer, json: body)
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.errorDetails["requiredRole"] as? String == "developer")
            #expect(forbidden.errorDetails["yourRole"] as? String == "viewer")

            let hidden = try await api.send(.post, "/configurations", as: outsider, json: body)
            #expect(hidden.status == .notFound)
            let unknown = try await api.send(.post, "/configurations", as: outsider,
                                             json: json(Self.seedRequest(project: UUID().lowercased)))
            #expect(unknown.status == .notFound)
            #expect(unknown.errorMessage == hidden.errorMessage)
            #expect(try await countConfigurations(in: project, fixtures) == 0)

            // Farm admins see every project, but still only projects that exist.
            let admin = try await fixtures.account(.admin)
            let missing = try await api.send(.post, "/configurations", as: admin,
                                             json: json(Self.seedRequest(project: UUID().lowercased)))
            #expect(missing.status == .notFound)
            #expect(missing.errorDetails["resourceType"] as? String == "project")
        }
    }

    @Test func badInputNamesTheFieldAndWritesNothing() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let valid = Self.seedRequest(project: project.id.lowercased)
            func with(_ key: String, _ value: Any) -> String {
                var body = valid
                body[key] = value
                return json(body)
            }
            let cases: [(String, String)] = [
                ("{\"name\": ", "body"),
                ("[1, 2]", "body"),
                (with("architecture", "sparc64"), "architecture"),
                (with("projectId", "not-a-uuid"), "projectId"),
                (with("name", ""), "name"),
                (with("name", String(repeating: "n", count: 129)), "name"),
                (with("name", 42), "name"),
                (with("baseVersion", "latest"), "baseVersion"),
                (with("modules", "ext4"), "modules"),
                (with("modules", [["name": "ext4", "isBuiltin": "yes"]]), "modules[0].isBuiltin"),
                (with("modules", [["isBuiltin": true]]), "modules[0].name"),
                (with("modules", [["name": "xfs", "path": "../../etc/passwd"]]), "modules[0].path"),
                (with("modules", [["name": "xfs", "path": "fs/xfs\nCONFIG_EVIL=y"]]), "modules[0].path"),
                (with("modules", [["name": "xfs", "path": "fs/$(reboot)"]]), "modules[0].path"),
                (with("modules", [["name": "x;rm -rf"]]), "modules[0].name"),
                (with("modules", [["name": "a"], ["name": "a"]]), "modules[1].name"),
                (with("modules", [["name": "a", "parameters": ["k": ["nested": 1]]]]), "modules[0].parameters.k"),
            ]
            for (body, field) in cases {
                let reply = try await api.send(.post, "/configurations", as: developer, json: body)
                #expect(reply.status == .badRequest, "\(field): \(body.prefix(80))")
                #expect(reply.errorCode == "VALIDATION_ERROR")
                #expect(reply.invalidFields[field] != nil, "expected \(field) in \(reply.invalidFields)")
            }
            let missing = try await api.send(.post, "/configurations", as: developer, json: json(["name": "x"]))
            #expect(missing.status == .badRequest)
            #expect(try await countConfigurations(in: project, fixtures) == 0)

            _ = try await api.send(.post, "/configurations", as: developer, json: json(valid))
            let duplicate = try await api.send(.post, "/configurations", as: developer, json: json(valid))
            #expect(duplicate.status == .conflict)
            #expect(try await countConfigurations(in: project, fixtures) == 1)
        }
    }

    @Test func listingPaginatesAndFilters() async throws {
        try await withAPI { api, fixtures in
            let viewer = try await fixtures.account()
            let project = try await fixtures.project(members: [(viewer, .viewer)])
            let other = try await fixtures.project(members: [(viewer, .viewer)])
            for arch in [Architecture.x86_64, .arm64, .riscv64, .arm64, .x86_64] {
                _ = try await fixtures.configuration(in: project, by: viewer, architecture: arch)
            }
            _ = try await fixtures.configuration(in: other, by: viewer, architecture: .arm64)
            let base = "/configurations?project_id=\(project.id.lowercased)"

            func page(_ query: String) async throws -> ([[String: Any]], [String: Int]) {
                let reply = try await api.send(.get, base + query, as: viewer)
                #expect(reply.status == .ok, "\(query)")
                return (reply.data["configurations"] as? [[String: Any]] ?? [],
                        reply.data["pagination"] as? [String: Int] ?? [:])
            }

            let (first, firstMeta) = try await page("&limit=2")
            #expect(first.count == 2)
            #expect(firstMeta == ["total": 5, "page": 1, "limit": 2, "pages": 3])
            let (last, lastMeta) = try await page("&limit=2&page=3")
            #expect(last.count == 1 && lastMeta["page"] == 3)
            let (beyond, beyondMeta) = try await page("&limit=2&page=4")
            #expect(beyond.isEmpty && beyondMeta["total"] == 5)
            let (all, _) = try await page("&limit=100")
            #expect(Set(all.compactMap { $0["id"] as? String }).count == 5)
            #expect(all.allSatisfy { $0["versions"] == nil && isSeedTimestamp($0["createdAt"]) })
            let (arm, armMeta) = try await page("&architecture=arm64")
            #expect(arm.count == 2 && armMeta["total"] == 2)
            #expect(arm.allSatisfy { $0["architecture"] as? String == "arm64" })
            let (_, defaults) = try await page("")
            #expect(defaults["page"] == 1 && defaults["limit"] == 20)

            let everywhere = try await api.send(.get, "/configurations?architecture=arm64&limit=100", as: viewer)
            #expect((everywhere.data["pagination"] as? [String: Int])?["total"] == 3)

            let empty = try await fixtures.project(members: [(viewer, .viewer)])
            let nothing = try await api.send(.get, "/configurations?project_id=\(empty.id.lowercased)", as: viewer)
            #expect(nothing.data["pagination"] as? [String: Int] == ["total": 0, "page": 1, "limit": 20, "pages": 0])

            for (query, field) in [("limit=0", "limit"), ("limit=101", "limit"), ("page=0", "page"), ("page=abc", "page"),
                                   ("architecture=mips", "architecture"), ("project_id=123", "project_id"),
                                   ("project_id=%27%20OR%201=1--", "project_id")] {
                let reply = try await api.send(.get, "/configurations?\(query)", as: viewer)
                #expect(reply.status == .badRequest, "\(query)")
                #expect(reply.invalidFields[field] != nil, "\(query)")
            }
        }
    }

    @Test func detailShowsVersionsAndLatestModulesToMembersOnly() async throws {
        try await withAPI { api, fixtures in
            let viewer = try await fixtures.account()
            let outsider = try await fixtures.account()
            let project = try await fixtures.project(members: [(viewer, .viewer)])
            let created = try await fixtures.configuration(
                in: project, by: viewer, modules: [ModuleSpec(name: "ext4", path: "fs/ext4", isBuiltin: true)])
            let id = created.configuration.id.lowercased
            _ = try await fixtures.store.configurations.createVersion(
                NewConfigurationVersion(modules: [ModuleSpec(name: "xfs", path: "fs/xfs")]),
                of: created.configuration.id, by: viewer.user.id)

            let reply = try await api.send(.get, "/configurations/\(id)", as: viewer)
            #expect(reply.status == .ok)
            #expect((reply.data["versions"] as? [[String: Any]])?.compactMap { $0["version"] as? String } == ["1.0.0", "1.1.0"])
            let modules = reply.data["modules"] as? [[String: Any]]
            #expect(modules?.count == 1)
            #expect(modules?.first?["path"] as? String == "fs/xfs")

            let hidden = try await api.send(.get, "/configurations/\(id)", as: outsider)
            #expect(hidden.status == .notFound)
            #expect(hidden.errorDetails["resourceType"] as? String == "configuration")
            #expect(hidden.errorDetails["resourceId"] as? String == id)
            let unknown = try await api.send(.get, "/configurations/\(UUID().lowercased)", as: viewer)
            #expect(unknown.status == .notFound)
            let malformed = try await api.send(.get, "/configurations/42", as: viewer)
            #expect(malformed.status == .badRequest && malformed.invalidFields["id"] == "must be a UUID")
        }
    }

    @Test func patchChangesMetadataAndUnlockedModulesOnly() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let viewer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer), (viewer, .viewer)])
            let created = try await fixtures.configuration(in: project, by: developer, modules: [ModuleSpec(name: "ext4")])
            let path = "/configurations/\(created.configuration.id.lowercased)"

            let renamed = try await api.send(.patch, path, as: developer,
                                             json: json(["name": "Renamed", "modules": [["name": "xfs", "isBuiltin": true]]]))
            #expect(renamed.status == .ok)
            #expect(renamed.data["name"] as? String == "Renamed")
            #expect((renamed.data["modules"] as? [[String: Any]])?.first?["name"] as? String == "xfs")
            #expect((renamed.data["updatedAt"] as? String).map { $0 >= (renamed.data["createdAt"] as? String ?? "") } == true)

            #expect(try await api.send(.patch, path, as: viewer, json: json(["name": "no"])).status == .forbidden)
            #expect(try await api.send(.patch, path, as: developer, json: "{}").invalidFields["body"] != nil)
            #expect(try await api.send(.patch, path, as: developer, json: json(["architecture": "arm64"]))
                .invalidFields["architecture"] != nil)

            let versionID = try #require(created.versions.first?.id.lowercased)
            let locked = try await api.send(.post, "\(path)/versions/\(versionID)/lock", as: developer)
            #expect(locked.status == .ok && locked.data["isLocked"] as? Bool == true)
            #expect(isSeedTimestamp(locked.data["lockedAt"]))

            let conflict = try await api.send(.patch, path, as: developer, json: json(["modules": [["name": "btrfs"]]]))
            #expect(conflict.status == .conflict)
            #expect(conflict.errorCode == "CONFLICT")
            #expect(conflict.errorDetails["versionId"] as? String == versionID)
            let baseConflict = try await api.send(.patch, path, as: developer, json: json(["baseVersion": "6.2"]))
            #expect(baseConflict.status == .conflict)
            let still = try await api.send(.get, "\(path)/versions/\(versionID)", as: viewer)
            #expect((still.data["modules"] as? [[String: Any]])?.map { $0["name"] as? String } == ["xfs"])
            #expect(try await api.send(.patch, path, as: developer, json: json(["description": "ok"])).status == .ok)
        }
    }

    /// defconfig, or a stored .config (shown by its sha256), and neither changes once a version is locked.
    @Test func aConfigurationStartsFromTinyconfigDefconfigOrAStoredConfig() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            var request = Self.seedRequest(project: project.id.lowercased, name: Fixtures.unique("base"))
            #expect(try await api.send(.post, "/configurations", as: developer, json: json(request)).data["baseConfig"] as? String
                    == "tinyconfig")
            request["name"] = Fixtures.unique("base")
            request["baseConfig"] = "defconfig"
            let defconfig = try await api.send(.post, "/configurations", as: developer, json: json(request))
            #expect(defconfig.status == .created && defconfig.data["baseConfig"] as? String == "defconfig")
            #expect(defconfig.data["storedConfigSha256"] is NSNull)

            let stored = "CONFIG_64BIT=y\n# CONFIG_EXT4_FS is not set\n"
            request["name"] = Fixtures.unique("base")
            request["baseConfig"] = "stored"
            request["storedConfig"] = stored
            let created = try await api.send(.post, "/configurations", as: developer, json: json(request))
            #expect(created.data["baseConfig"] as? String == "stored")
            #expect(created.data["storedConfigSha256"] as? String
                    == SHA256.hash(data: Data(stored.utf8)).map { String(format: "%02x", $0) }.joined())
            let id = try #require(created.data["id"] as? String)

            let back = try await api.send(.patch, "/configurations/\(id)", as: developer, json: json(["baseConfig": "tinyconfig"]))
            #expect(back.data["baseConfig"] as? String == "tinyconfig" && back.data["storedConfigSha256"] is NSNull)
            let version = try #require((back.data["versions"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await api.send(.post, "/configurations/\(id)/versions/\(version)/lock", as: developer).status == .ok)
            let locked = try await api.send(.patch, "/configurations/\(id)", as: developer, json: json(["baseConfig": "defconfig"]))
            #expect(locked.status == .conflict)
            request["name"] = Fixtures.unique("base")
            request["storedConfig"] = "CONFIG_A=$(reboot)"
            #expect(try await api.send(.post, "/configurations", as: developer, json: json(request)).invalidFields["storedConfig"] != nil)
        }
    }

    @Test func versionsAreCreatedReadAndLocked() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let viewer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer), (viewer, .viewer)])
            let created = try await fixtures.configuration(in: project, by: developer, modules: [ModuleSpec(name: "ext4")])
            let path = "/configurations/\(created.configuration.id.lowercased)/versions"

            let next = try await api.send(.post, path, as: developer, json: "{}")
            #expect(next.status == .created)
            #expect(next.data["version"] as? String == "1.1.0")
            #expect(next.data["configurationId"] as? String == created.configuration.id.lowercased)
            #expect((next.data["modules"] as? [[String: Any]])?.first?["name"] as? String == "ext4")

            let major = try await api.send(.post, path, as: developer, json: json(["version": "2.0.0", "modules": []]))
            #expect(major.status == .created && (major.data["modules"] as? [Any])?.isEmpty == true)
            #expect(try await api.send(.post, path, as: developer, json: json(["version": "2.0.0"])).status == .conflict)
            let older = try await api.send(.post, path, as: developer, json: json(["version": "1.9.0"]))
            #expect(older.status == .conflict)
            #expect(older.errorDetails["latestVersion"] as? String == "2.0.0")
            #expect(try await api.send(.post, path, as: developer, json: json(["version": "2.1"])).invalidFields["version"] != nil)
            #expect(try await api.send(.post, path, as: viewer, json: "{}").status == .forbidden)

            let id = try #require(major.data["id"] as? String)
            let read = try await api.send(.get, "\(path)/\(id)", as: viewer)
            #expect(read.status == .ok && read.data["version"] as? String == "2.0.0" && read.data["isLocked"] as? Bool == false)
            #expect(try await api.send(.post, "\(path)/\(id)/lock", as: viewer).status == .forbidden)
            #expect(try await api.send(.get, "\(path)/\(UUID().lowercased)", as: viewer).status == .notFound)
            #expect(try await api.send(.post, "\(path)/\(UUID().lowercased)/lock", as: developer).status == .notFound)
        }
    }
}
