import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Testing

@Suite struct BuildNumberTests {
    /// The seed's NNN is at least three digits: the thousandth build of a day
    /// is -1000, not a second -100 (lpad would cut it).
    @Test func numbersGrowPastThreeDigits() async throws {
        try await TestDatabase.withEmptyDatabase { settings in
            try await TestDatabase.withStoreUnmigrated(settings: settings) { store in
                try await store.migrator.migrate(try Migrator.bundled())
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
    }
}
