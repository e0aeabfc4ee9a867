import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Testing

/// A build of a kernel version no registered worker builds is refused at
/// submit time, naming what the farm builds; before any worker of the
/// architecture has registered, or with one that takes any version, it waits.
@Suite struct KernelSeriesTests {
    @Test func versionsNoWorkerBuildsAreRefusedAtSubmit() async throws {
        try await TestDatabase.withFreshStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            func configuration(_ baseVersion: String) async throws -> NewBuild {
                let created = try await store.configurations.create(
                    NewConfiguration(name: Fixtures.unique("c"), baseVersion: baseVersion, architecture: "riscv64",
                                     projectId: project.id),
                    creator: developer.user.id)
                return NewBuild(configVersionId: created.versions[0].id)
            }
            let old = try await configuration("5.15.0")
            let current = try await configuration("6.1.42")
            // No riscv64 worker yet: the farm cannot know; the build waits.
            _ = try await store.builds.submit(old, by: developer.user.id)

            let tokenID = try await fixtures.workerToken().id
            let worker = try await store.workers.register(
                WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096, kernelSeries: ["6.1"]), token: tokenID)
            #expect(worker.kernelSeries == ["6.1"])
            do {
                _ = try await store.builds.submit(old, by: developer.user.id)
                Issue.record("a 5.15 build was accepted by a farm that builds 6.1")
            } catch let error as ValidationError {
                let message = try #require(error.fields["configVersionId"])
                #expect(message.contains("baseVersion 5.15.0") && message.contains("riscv64 workers build 6.1.x"), "\(message)")
            }
            #expect(try await store.builds.submit(current, by: developer.user.id).status == .queued)

            // A worker whose builds take any version accepts every version.
            _ = try await store.workers.register(
                WorkerRegistration(name: Fixtures.unique("any"), toolchains: [Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096), token: tokenID)
            #expect(try await store.builds.submit(old, by: developer.user.id).status == .queued)
            #expect(throws: ValidationError.self) {
                try WorkerRegistration(name: "w", toolchains: [Toolchain(architecture: .x86_64, compiler: "gcc-12.2.0")],
                                       cores: 2, memoryMb: 4096, kernelSeries: ["6.1; rm"]).validate()
            }
        }
    }
}
