import FarmModel
import FarmStore
import FarmWorker
import Foundation
import Testing

extension FarmTests {
    @Test func oneWorkerBuildsTheFixtureForEachArchitectureWithTheRealToolchains() async throws {
        try await TestFarm.run { farm in
            let settings = try await farm.workerSettings()
            let expected: [Architecture: (machine: UInt16, kernelArch: String)] =
                [.x86_64: (62, "x86"), .arm64: (183, "arm64"), .riscv64: (243, "riscv")]
            var submitted: [Architecture: UUID] = [:]
            for architecture in Architecture.allCases { submitted[architecture] = try await farm.submit(architecture) }
            let builds = submitted
            try await farm.withWorker(settings) {
                for (architecture, id) in builds {
                    let build = try await farm.finished(id)
                    #expect(build.status == .completed, "\(architecture): \(String(describing: build.failure))")
                    #expect(build.progress == 100 && build.attempt == 1 && build.currentStage == nil && build.claimedAt != nil)
                    #expect(build.stages.map(\.status) == Array(repeating: .completed, count: 5))
                    #expect(build.stages.allSatisfy { $0.startedAt != nil && $0.completedAt != nil })
                    let staging = settings.workDirectory.appendingPathComponent("\(id.lowercased)/attempt-1/staging")
                    for file in ["boot/vmlinux", "lib/modules/fixture/hello.ko"] {
                        let header = try #require(try ELFHeader.read(staging.appendingPathComponent(file)))
                        #expect(header.is64Bit && header.machine == expected[architecture]?.machine, "\(architecture) \(file)")
                    }
                    let log = try await farm.log(id)
                    #expect(log.map(\.number) == Array(1...log.count), "lines are numbered without gaps or repeats")
                    #expect(log.contains { $0.text == "  CC      init/main.o" })
                    let kernelArch = try #require(expected[architecture]?.kernelArch)
                    #expect(log.contains { $0.text.hasPrefix("$ make") && $0.text.contains(" ARCH=\(kernelArch) ") })
                }
            }
        }
    }

    @Test func buildsReachOnlyWorkersThatServeTheirArchitecture() async throws {
        try await TestFarm.run { farm in
            let armOnly = try await farm.workerSettings([.arm64])
            let arm = try await farm.submit(.arm64)
            let riscv = try await farm.submit(.riscv64)
            try await farm.withWorker(armOnly) {
                #expect(try await farm.finished(arm).status == .completed)
                try await Task.sleep(for: .seconds(1))
                let waiting = try await farm.store.builds.find(id: riscv)
                #expect(waiting?.status == .queued, "no riscv64 worker has joined")
            }
            let riscvOnly = try await farm.workerSettings([.riscv64])
            try await farm.withWorker(riscvOnly) {
                let build = try await farm.finished(riscv)
                #expect(build.status == .completed)
            }
            let workers = try await farm.store.client.query("""
                SELECT w.name FROM builds b JOIN workers w ON w.id = b.worker_id WHERE b.id = ANY(\([arm, riscv])) ORDER BY b.architecture
                """).collect().map { try $0.decode(String.self) }
            #expect(workers == [armOnly.name, riscvOnly.name])
        }
    }

    /// A build that names a compiler reaches only the workers with the
    /// toolchain the farm routed it to; one that names none only those with
    /// a gcc. A compiler no worker offers is refused, listing what is on offer.
    @Test func buildsReachOnlyWorkersWithTheirCompiler() async throws {
        try await TestFarm.run { farm in
            let gccOnly = try await farm.workerSettings([.x86_64], recipe: NoopRecipe(), toolchains: ["gcc-12"])
            let clangOnly = try await farm.workerSettings([.x86_64], recipe: NoopRecipe(), toolchains: ["clang-16"])
            let (configuration, developer) = try await farm.configuration(.x86_64)
            let version = configuration.versions[0].id
            let (clang, gcc) = try await farm.withWorker(gccOnly) {
                try await farm.withWorker(clangOnly) {
                    for _ in 0..<100 {
                        let joined = try await farm.store.client.query("""
                            SELECT count(*) FROM workers WHERE name = ANY(\([gccOnly.name, clangOnly.name]))
                            """).collect().first?.decode(Int.self)
                        if joined == 2 { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    var clang: [UUID] = [], gcc: [UUID] = []
                    for _ in 0..<4 {
                        clang.append(try await farm.submit(version, by: developer, request: ["options": ["compilerVersion": "clang-16"]]))
                        gcc.append(try await farm.submit(version, by: developer, request: [:]))
                    }
                    for id in clang + gcc { #expect(try await farm.finished(id).status == .completed) }
                    return (clang, gcc)
                }
            }
            let ranOn = Dictionary(uniqueKeysWithValues: try await farm.store.client.query("""
                SELECT b.id, w.name FROM builds b JOIN workers w ON w.id = b.worker_id WHERE b.id = ANY(\(clang + gcc))
                """).collect().map { try $0.decode((UUID, String).self) })
            #expect(clang.map { ranOn[$0] } == Array(repeating: clangOnly.name, count: 4))
            #expect(gcc.map { ranOn[$0] } == Array(repeating: gccOnly.name, count: 4))
            // The seed's own example asks for gcc-13.2.0, which this farm does not have.
            let (status, refused) = try await farm.call(.post, "/builds", as: developer, json: [
                "configVersionId": version.lowercased, "options": ["compilerVersion": "gcc-13.2.0"],
            ])
            #expect(status == .badRequest)
            let message = "\(refused)"
            #expect(message.contains("no worker offers gcc-13.2.0 for x86_64") && message.contains("clang-16.0.6")
                    && message.contains("gcc-12.2.0"), "\(message)")
        }
    }

    @Test func queuedBuildsStartInPriorityOrder() async throws {
        try await TestFarm.run { farm in
            // Submitted while no worker runs, lowest first.
            var submitted: [(BuildPriority, UUID)] = []
            for priority in [BuildPriority.low, .normal, .high, .critical] {
                submitted.append((priority, try await farm.submit(.x86_64, priority: priority)))
            }
            let builds = submitted
            try await Task.sleep(for: .milliseconds(500))
            try await farm.withWorker(try await farm.workerSettings([.x86_64], recipe: NoopRecipe())) {
                for (_, id) in builds { _ = try await farm.finished(id) }
            }
            let order = try await farm.store.client.query("""
                SELECT id FROM builds WHERE id = ANY(\(builds.map(\.1))) ORDER BY claimed_at
                """).collect().map { try $0.decode(UUID.self) }
            let priorities = order.map { id in builds.first { $0.1 == id }!.0 }
            #expect(priorities == [.critical, .high, .normal, .low])
        }
    }

    @Test func aCompilerErrorIsABuildFailureWithTheLogTail() async throws {
        try await TestFarm.run { farm in
            // The fixture tree honours KFARM_FIXTURE_CFLAGS; -DFIXTURE_BREAK stops init/main.c compiling.
            let settings = try await farm.workerSettings([.x86_64], environment: ["KFARM_FIXTURE_CFLAGS": "-DFIXTURE_BREAK"])
            let id = try await farm.submit(.x86_64)
            try await farm.withWorker(settings) {
                let build = try await farm.finished(id)
                #expect(build.status == .failed)
                let failure = try #require(build.failure)
                #expect(failure.kind == .build)
                #expect(failure.reason.hasPrefix("compiling_core: `make"), "\(failure.reason)")
                #expect(failure.logTail.contains { $0.contains("error:") }, "\(failure.logTail)")
                #expect(build.stages.map(\.status) == [.completed, .failed, .skipped, .skipped, .skipped])
                #expect(build.attempt == 1, "build failures are not retried")
            }
        }
    }

    @Test func anIdleWorkerKeepsItsPresenceUp() async throws {
        try await TestFarm.run { farm in
            let settings = try await farm.workerSettings([.x86_64])
            let admin = try await farm.fixtures.account(.admin)
            try await farm.withWorker(settings) {
                var worker: Worker?
                for _ in 0..<300 where worker == nil {
                    worker = try await farm.store.workers.list(page: try PageRequest(), visibleTo: admin.user).items.first { $0.name == settings.name }
                    try await Task.sleep(for: .milliseconds(100))
                }
                let joined = try #require(worker).lastHeartbeatAt
                // No build comes; the worker (heartbeat every second here) is still heard from.
                try await Task.sleep(for: .seconds(3))
                let workerID = try #require(worker).id
                let later = try #require(try await farm.store.workers.find(id: workerID))
                #expect(later.lastHeartbeatAt > joined.addingTimeInterval(1), "\(joined) → \(later.lastHeartbeatAt)")
                #expect(later.state == .idle)
            }
        }
    }
}
