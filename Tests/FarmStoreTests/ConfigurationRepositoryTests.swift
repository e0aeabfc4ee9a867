import FarmModel
@testable import FarmStore
import FarmTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite struct ConfigurationRepositoryTests {
    @Test func concurrentVersionCreationsGetDistinctNumbers() async throws {
        try await TestDatabase.withStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let configuration = try await fixtures.configuration(
                in: project, by: developer, modules: [ModuleSpec(name: "ext4", isBuiltin: true)])
            let id = configuration.configuration.id

            let created = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await store.configurations.createVersion(NewConfigurationVersion(), of: id, by: developer.user.id)
                            .version.version
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(created).count == 12)
            let versions = try await store.configurations.detail(id: id).versions.map(\.version)
            #expect(versions == ["1.0.0"] + (1...12).map { "1.\($0).0" })
        }
    }

    @Test func newVersionCopiesModulesUnlessGiven() async throws {
        try await TestDatabase.withStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let modules = [ModuleSpec(name: "ext4", path: "fs/ext4", isBuiltin: true, isRequired: true,
                                      parameters: ["journal": .bool(true)])]
            let id = try await fixtures.configuration(in: project, by: developer, modules: modules).configuration.id

            let copied = try await store.configurations.createVersion(NewConfigurationVersion(), of: id, by: developer.user.id)
            #expect(copied.modules.map(\.name) == ["ext4"])
            #expect(copied.modules.first?.parameters == ["journal": .bool(true)])

            let replaced = try await store.configurations.createVersion(
                NewConfigurationVersion(version: "2.0.0", modules: [ModuleSpec(name: "xfs")]), of: id, by: developer.user.id)
            #expect(replaced.version.version == "2.0.0")
            #expect(replaced.modules.map(\.name) == ["xfs"])

            await #expect(throws: StoreError.self) {
                try await store.configurations.createVersion(
                    NewConfigurationVersion(version: "2.0.0"), of: id, by: developer.user.id)
            }
            await #expect(throws: StoreError.self) {
                try await store.configurations.createVersion(
                    NewConfigurationVersion(version: "1.5.0"), of: id, by: developer.user.id)
            }
        }
    }

    @Test func lockedVersionModulesCannotChangeEvenBySQL() async throws {
        try await TestDatabase.withStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let detail = try await fixtures.configuration(in: project, by: developer, modules: [ModuleSpec(name: "ext4")])
            let id = detail.configuration.id
            let versionID = try #require(detail.versions.first?.id)

            let locked = try await store.configurations.lock(versionID, of: id, by: nil)
            #expect(locked.version.isLocked)
            #expect(locked.version.lockedAt != nil)
            #expect(try await store.configurations.lock(versionID, of: id, by: nil).version.lockedAt == locked.version.lockedAt)

            await #expect(throws: StoreError.self) {
                try await store.configurations.update(ConfigurationChanges(modules: [ModuleSpec(name: "xfs")]), of: id, by: nil)
            }
            await #expect(throws: StoreError.self) {
                try await store.configurations.update(ConfigurationChanges(baseVersion: "6.2"), of: id, by: nil)
            }
            await #expect(throws: PSQLError.self) {
                try await store.client.query("UPDATE config_modules SET is_builtin = true WHERE version_id = \(versionID)")
            }
            let after = try await store.configurations.version(versionID, of: id)
            #expect(after.modules.map(\.name) == ["ext4"])
            #expect(after.modules.first?.isBuiltin == false)
            // Metadata is not a build input: it may still change.
            #expect(try await store.configurations.update(ConfigurationChanges(name: "renamed"), of: id, by: nil).configuration.name == "renamed")
        }
    }

    @Test func duplicateNameInProjectIsAConflictAndWritesNothing() async throws {
        try await TestDatabase.withStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let request = NewConfiguration(name: "same", baseVersion: "6.1", architecture: "arm64", projectId: project.id,
                                           modules: [ModuleSpec(name: "ext4")])
            _ = try await store.configurations.create(request, creator: developer.user.id)
            await #expect(throws: StoreError.self) { try await store.configurations.create(request, creator: developer.user.id) }
            let count = try await store.client.query("SELECT count(*) FROM configurations WHERE project_id = \(project.id)")
                .collect().map { try $0.decode(Int.self) }
            #expect(count == [1])
        }
    }

    @Test func filtersAndVisibility() async throws {
        try await TestDatabase.withStore { store in
            let fixtures = Fixtures(store: store)
            let member = try await fixtures.account()
            let outsider = try await fixtures.account()
            let project = try await fixtures.project(members: [(member, .viewer)])
            for arch in [Architecture.x86_64, .arm64, .arm64] {
                _ = try await fixtures.configuration(in: project, by: member, architecture: arch)
            }
            let all = try await store.configurations.list(.init(projectID: project.id), visibleTo: member.user,
                                                          page: try PageRequest())
            #expect(all.pagination.total == 3)
            let arm = try await store.configurations.list(.init(projectID: project.id, architecture: .arm64),
                                                          visibleTo: member.user, page: try PageRequest())
            #expect(arm.items.allSatisfy { $0.architecture == .arm64 })
            #expect(arm.pagination.total == 2)
            let hidden = try await store.configurations.list(.init(projectID: project.id), visibleTo: outsider.user,
                                                             page: try PageRequest())
            #expect(hidden.items.isEmpty && hidden.pagination.total == 0)
        }
    }
}
