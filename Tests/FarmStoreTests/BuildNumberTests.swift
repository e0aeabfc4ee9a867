import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Testing

@Suite struct BuildNumberTests {
    /// The seed's NNN is at least three digits: the thousandth build of a day
    /// is -1000, not a second -100 (lpad would cut it).
    @Test func numbersGrowPastThreeDigits() async throws {
        try await TestDatabase.withFreshStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let configuration = try await fixtures.configuration(in: project, by: developer)
            try await store.client.query("""
                INSERT INTO build_day_counters (day, last) VALUES ((now() AT TIME ZONE 'UTC')::date, 998)
                """)
            var suffixes: [String] = []
            for _ in 0..<3 {
                let build = try await store.builds.submit(NewBuild(configVersionId: configuration.versions[0].id),
                                                          by: developer.user.id)
                suffixes.append(String(build.buildNumber.split(separator: "-").last ?? ""))
            }
            #expect(suffixes == ["999", "1000", "1001"])
        }
    }

    /// Submits that arrive together commit together: each accepted one gets
    /// its own consecutive number, stages, dispatch message and audit event;
    /// one that cannot be accepted fails alone and leaves nothing behind.
    @Test func concurrentSubmitsAreNumberedWithoutGapsAndFailAlone() async throws {
        try await TestDatabase.withFreshStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let configuration = try await fixtures.configuration(in: project, by: developer)
            let good = NewBuild(configVersionId: configuration.versions[0].id)
            let unknown = NewBuild(configVersionId: UUID())
            let unoffered = NewBuild(configVersionId: configuration.versions[0].id,
                                     options: BuildOptions(compilerVersion: "gcc-99.1.0"))
            let requests = Array(repeating: good, count: 30) + Array(repeating: unknown, count: 5)
                + Array(repeating: unoffered, count: 5)
            let results = await withTaskGroup(of: Result<BuildRecord, any Error>.self) { group in
                for request in requests.shuffled() {
                    group.addTask {
                        do { return .success(try await store.builds.submit(request, by: developer.user.id)) } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let built = results.compactMap { try? $0.get() }
            let errors = results.compactMap { result -> (any Error)? in
                if case .failure(let error) = result { return error } else { return nil }
            }
            #expect(built.count == 30)
            #expect(Set(built.map { Int($0.buildNumber.split(separator: "-").last!)! }) == Set(1...30))
            #expect(errors.filter { ($0 as? StoreError) == .notFound(resource: "configurationVersion",
                                                                    id: unknown.configVersionId.lowercased) }.count == 5)
            #expect(errors.filter { ($0 as? ValidationError)?.fields["options.compilerVersion"] != nil }.count == 5)
            var counts: [Int] = []
            for try await row in try await store.client.query("""
                SELECT (SELECT count(*) FROM builds), (SELECT count(*) FROM build_stages), (SELECT count(*) FROM outbox),
                       (SELECT count(*) FROM audit_events WHERE action = 'build.submit'),
                       (SELECT count(*) FROM audit_events WHERE action = 'configuration.version.lock')
                """).decode((Int, Int, Int, Int, Int).self) {
                counts = [row.0, row.1, row.2, row.3, row.4]
            }
            #expect(counts == [30, 150, 30, 30, 1])
            for build in built {
                let stored = try #require(try await store.builds.find(id: build.id))
                #expect(stored.buildNumber == build.buildNumber)
                #expect(stored.stages.map(\.status) == Array(repeating: .pending, count: 5))
            }
        }
    }
}
