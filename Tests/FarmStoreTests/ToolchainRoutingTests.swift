import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import Testing

/// A build that names a compiler is routed, when it is submitted, to the
/// newest toolchain a registered worker offers that matches it; a build
/// that names none goes to its architecture's queue, which needs a gcc.
@Suite(.serialized) struct ToolchainRoutingTests {
    @Test func aBuildIsDispatchedToTheQueueOfTheToolchainItAsksFor() async throws {
        try await TestDatabase.withFreshStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let configuration = try await fixtures.configuration(in: project, by: developer)
            let architecture = Architecture.x86_64
            _ = try await fixtures.worker(["gcc-11.3.0", "gcc-12.2.0", "clang-16.0.6"].map {
                Toolchain(architecture: architecture, compiler: $0)
            })
            var keys: [String] = [], toolchains: [String?] = []
            for compiler in [nil, "gcc", "gcc-11", "clang", "clang-16.0.6"] {
                let build = try await store.builds.submit(NewBuild(configVersionId: configuration.versions[0].id,
                                                                   options: BuildOptions(compilerVersion: compiler)),
                                                          by: developer.user.id)
                #expect(build.options.compilerVersion == compiler, "what was asked is kept as asked")
                #expect(try await store.builds.find(id: build.id)?.toolchain == build.toolchain)
                toolchains.append(build.toolchain)
                for try await key in try await store.client.query("""
                    SELECT o.routing_key FROM outbox o, builds b
                    WHERE b.id = \(build.id) AND o.body::jsonb->>'buildId' = b.id::text
                    """).decode(String.self) {
                    keys.append(key)
                }
            }
            let arch = architecture.rawValue
            #expect(keys == [arch, "\(arch).gcc-12.2.0", "\(arch).gcc-11.3.0", "\(arch).clang-16.0.6", "\(arch).clang-16.0.6"])
            #expect(toolchains == [nil, "gcc-12.2.0", "gcc-11.3.0", "clang-16.0.6", "clang-16.0.6"])
        }
    }

    @Test func aBuildNamingNoCompilerIsRefusedWhenTheArchitecturesWorkersHaveNoGcc() async throws {
        try await TestDatabase.withFreshStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let configuration = try await fixtures.configuration(in: project, by: developer)
            _ = try await fixtures.worker([Toolchain(architecture: .x86_64, compiler: "clang-16.0.6")])
            let error = await #expect(throws: ValidationError.self) {
                try await store.builds.submit(NewBuild(configVersionId: configuration.versions[0].id), by: developer.user.id)
            }
            #expect(error?.fields["options"]?.contains("available: clang-16.0.6") == true, "\(String(describing: error))")
        }
    }
}

/// A toolchain's queue is the farm's to declare (workers may only read it):
/// the first worker offering it puts it on the relay's list, and only a
/// worker that offers a build's toolchain can claim the build.
@Suite(.serialized) struct ToolchainQueueTests {
    @Test func aNewOfferIsListedForTheRelayAndOnlyItsWorkersClaimItsBuilds() async throws {
        try await TestDatabase.withFreshStore { store in
            let fixtures = Fixtures(store: store)
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let configuration = try await fixtures.configuration(in: project, by: developer)
            let (_, gccToken) = try await fixtures.workerToken()
            let gcc = try await store.workers.register(WorkerRegistration(
                name: Fixtures.unique("gcc"), toolchains: [Toolchain(architecture: .x86_64, compiler: "gcc-012.2.0")],
                cores: 2, memoryMb: 4096), token: gccToken)
            #expect(gcc.toolchains.map(\.compiler) == ["gcc-12.2.0"], "one spelling per offer: offers name queues")
            let (_, clangToken) = try await fixtures.workerToken()
            let clang = try await store.workers.register(WorkerRegistration(
                name: Fixtures.unique("clang"), toolchains: [Toolchain(architecture: .x86_64, compiler: "clang-16.0.6")],
                cores: 2, memoryMb: 4096), token: clangToken)
            let pending = try await store.workers.toolchainQueues(undeclaredOnly: true).map { "\($0.architecture.rawValue) \($0.compiler)" }
            #expect(pending == ["x86_64 clang-16.0.6", "x86_64 gcc-12.2.0"])
            try await store.workers.toolchainQueuesDeclared(try await store.workers.toolchainQueues(undeclaredOnly: true))
            #expect(try await store.workers.toolchainQueues(undeclaredOnly: true).isEmpty)
            #expect(try await store.workers.toolchainQueues(undeclaredOnly: false).count == 2, "all again after a reconnect")

            let build = try await store.builds.submit(NewBuild(configVersionId: configuration.versions[0].id,
                                                               options: BuildOptions(compilerVersion: "clang")), by: developer.user.id)
            #expect(build.toolchain == "clang-16.0.6")
            await #expect(throws: StoreError.self) {
                try await store.workers.claim(build.id, BuildClaim(workerId: gcc.id, attempt: 1), token: gccToken, lease: 60)
            }
            let claimed = try await store.workers.claim(build.id, BuildClaim(workerId: clang.id, attempt: 1), token: clangToken, lease: 60)
            #expect(claimed.build.toolchain == "clang-16.0.6")
        }
    }
}
