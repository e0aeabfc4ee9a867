import Crypto
import FarmMachine
import FarmModel
import FarmServer
import FarmTestSupport
import FarmWorker
import Foundation
import Synchronization
import Testing

/// The people's `kfarm` commands as a person runs them (the built binary,
/// its output piped), against a whole farm building the fixture tree.
extension FarmTests {
    @Test func theClientLogsInFollowsABuildAndFetchesAVerifiedKernel() async throws {
        try await TestFarm.run { farm in
            let (configuration, developer) = try await farm.configuration(.x86_64)
            let person = try ClientRun(farm: farm)
            let login = try await person.run(["login", "--url", farm.apiURL.absoluteString], stdin: developer.token + "\n")
            #expect(login.status == 0, "\(login)")
            let mode = try FileManager.default.attributesOfItem(atPath: person.config.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            try await farm.withWorker(try await farm.workerSettings([.x86_64])) {
                let version = "\(configuration.configuration.id.lowercased)@\(configuration.versions[0].version)"
                let followed = try await person.run(["build", version, "--priority", "high", "--follow"])
                #expect(followed.status == 0, "\(followed)")
                for stage in BuildStage.allCases {
                    #expect(followed.out.contains("  \(stage.rawValue): completed ("), "\(stage) in \(followed.out)")
                }
                let built = try #require(try await farm.store.builds.list(.init(), visibleTo: developer.user, page: .init())
                    .items.first)
                #expect(followed.out.contains("\(built.buildNumber) completed in "), "\(followed.out)")

                // Piped and with --json: only the final record, which parses.
                let again = try await person.run(["build", configuration.versions[0].id.lowercased, "--follow", "--json"])
                #expect(again.status == 0, "\(again)")
                let record = try JSONSerialization.jsonObject(with: Data(again.out.utf8)) as? [String: Any]
                #expect(record?["status"] as? String == "completed" && record?["id"] as? String != built.id.lowercased)

                let listed = try await person.run(["builds", "list", "--mine", "--json"])
                let builds = (try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as? [String: Any])?["items"]
                #expect((builds as? [[String: Any]])?.count == 2, "\(listed)")
                let log = try await person.run(["logs", built.id.lowercased])
                #expect(log.status == 0 && log.out.contains("  CC      init/main.o"), "\(log)")
                // Followed over the event stream: every line once, in order, ending with the attempt.
                let streamed = try await person.run(["logs", built.id.lowercased, "--follow"])
                let expected = try await farm.log(built.id).map(\.text)
                #expect(streamed.status == 0 && streamed.out == log.out, "\(streamed)")
                #expect(log.out == expected.map { $0 + "\n" }.joined())

                let workers = try await person.run(["workers"])
                #expect(workers.status == 0 && workers.out.contains("x86_64:gcc"), "\(workers)")
            }
            // The fixture recipe packs no kernel: a packed one, stored and signed by the farm, for the downloads.
            let artifact = try await Self.storedArtifact(farm, version: configuration.versions[0].id, by: developer,
                                                         release: "6.1.1")
            try await checkDownloads(artifact.id.lowercased, by: person, farm: farm)
        }
    }

    /// A verified download, a resumed one, and ones that must fail: altered bytes, another key.
    private func checkDownloads(_ artifact: String, by person: ClientRun, farm: TestFarm) async throws {
        let folder = person.home.appendingPathComponent("kernels")
        let fetched = try await person.run(["artifacts", "download", artifact, "-o", folder.path, "--verify"])
        #expect(fetched.status == 0, "\(fetched)")
        #expect(fetched.err.contains("pinned"), "the first verify pins the farm's key: \(fetched.err)")
        let artifactID = try #require(UUID(uuidString: artifact))
        let record = try #require(try await farm.store.artifacts.find(id: artifactID))
        let file = folder.appendingPathComponent(record.name)
        let bytes = try Data(contentsOf: file)
        #expect(ContentHash.hex(SHA256.hash(data: bytes)) == record.sha256)

        // A cut download: the first half is there as NAME.part; the rest comes with Range.
        let resumed = person.home.appendingPathComponent("resumed")
        try FileManager.default.createDirectory(at: resumed, withIntermediateDirectories: true)
        try bytes.prefix(bytes.count / 2).write(to: resumed.appendingPathComponent(record.name + ".part"))
        #expect(try await person.run(["artifacts", "download", artifact, "-o", resumed.path, "--verify"]).status == 0)
        #expect(try Data(contentsOf: resumed.appendingPathComponent(record.name)) == bytes)
        // A part that is not the artifact's start is continued, not replaced, so the result fails its sha256.
        var wrongStart = bytes.prefix(bytes.count / 2)
        wrongStart[wrongStart.startIndex] ^= 1
        try wrongStart.write(to: resumed.appendingPathComponent(record.name + ".part"))
        let mixed = try await person.run(["artifacts", "download", artifact, "-o", resumed.path])
        #expect(mixed.status == 3 && mixed.err.contains("verification failed"), "\(mixed)")

        let otherKey = person.home.appendingPathComponent("other-key")
        try Curve25519.Signing.PrivateKey().publicKey.rawRepresentation.base64EncodedString().write(
            to: otherKey, atomically: true, encoding: .utf8)
        let unsigned = try await person.run(["artifacts", "download", artifact, "-o", folder.path, "--verify",
                                             "--key", otherKey.path])
        #expect(unsigned.status == 3 && unsigned.err.contains("signature is not valid"), "\(unsigned)")

        // One flipped byte in the farm's store.
        let storage = try #require(farm.shelf.storage as? FileArtifactStorage)
        let stored = storage.root.appendingPathComponent("sha256/\(record.sha256.prefix(2))/\(record.sha256)")
        var altered = try Data(contentsOf: stored)
        altered[altered.startIndex + altered.count / 3] ^= 1
        try altered.write(to: stored)
        let tampered = try await person.run(["artifacts", "download", artifact, "-o", folder.path, "--verify"])
        #expect(tampered.status == 3 && tampered.err.contains("verification failed"), "\(tampered)")
    }

    @Test func aFailedBuildEndsTheFollowWithExitOneAndItsReason() async throws {
        try await TestFarm.run { farm in
            let (configuration, developer) = try await farm.configuration(.x86_64)
            let person = try ClientRun(farm: farm, token: developer.token)
            let settings = try await farm.workerSettings([.x86_64], environment: ["KFARM_FIXTURE_CFLAGS": "-DFIXTURE_BREAK"])
            try await farm.withWorker(settings) {
                let failed = try await person.run(["build", configuration.versions[0].id.lowercased, "--follow"])
                #expect(failed.status == 1, "\(failed)")
                #expect(failed.out.contains("build failure: compiling_core: `make"), "\(failed.out)")
                #expect(failed.out.contains("    | ") && failed.out.contains("error:"), "the log's end: \(failed.out)")
            }
            let usage = try await person.run(["build", "not-a-version"])
            #expect(usage.status == 3 && usage.err.contains("not a version id"), "\(usage)")
            let refused = try await person.run(["builds", "show", UUID().lowercased])
            #expect(refused.status == 3 && refused.err.contains("NOT_FOUND"), "\(refused)")
            let nobody = try await ClientRun(farm: farm).run(["builds", "list"])
            #expect(nobody.status == 3 && nobody.err.contains("not logged in"), "\(nobody)")
        }
    }
}

extension FarmTests {
    /// The live view as a person sees it: `kfarm build --follow` in a tmux
    /// pane, read with capture-pane while it runs and once it has ended.
    @Test func theLiveViewRedrawsOneScreenOnATerminal() async throws {
        try await TestFarm.run { farm in
            let (configuration, developer) = try await farm.configuration(.x86_64)
            let person = try ClientRun(farm: farm, token: developer.token)
            let tmux = ["tmux", "-L", "kfarm-\(UUID().lowercased.prefix(8))"]
            let version = configuration.versions[0].id.lowercased
            let command = "env TERM=xterm-256color KFARM_URL=\(farm.apiURL.absoluteString) KFARM_TOKEN=\(developer.token) "
                + "KFARM_CONFIG=\(person.config.path) \(try TestFarm.kfarmBinary().path) build "
                + "\(version) --no-cache --follow; echo \"exit $?\"; sleep 600"
            // Each of the core's five files takes a second, so the screen is read while a stage runs.
            let settings = try await farm.workerSettings([.x86_64], environment: ["KFARM_FIXTURE_STEP_DELAY": "1"])
            let (screens, workers) = try await farm.withWorker(settings) {
                // A first build, so the worker knows how many steps the core takes and its progress can move within it.
                let first = try await person.run(["build", version, "--follow"])
                #expect(first.status == 0, "\(first)")
                var screens: [String] = []
                var workers: ClientRun.Result?
                #expect(try await person.shell(tmux + ["new-session", "-d", "-x", "110", "-y", "30", command]).status == 0)
                let deadline = ContinuousClock.now + .seconds(300)
                while ContinuousClock.now < deadline {
                    let screen = try await person.shell(tmux + ["capture-pane", "-p"]).out
                    if screen != screens.last { screens.append(screen) }
                    if screen.contains("exit ") { break }
                    // While the core compiles, `kfarm workers` shows the worker at it.
                    if workers == nil, screen.split(separator: "\n").contains(where: Self.showsTheCoreRunning) {
                        workers = try await person.run(["workers"])
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return (screens, workers)
            }
            _ = try await person.shell(tmux + ["kill-server"])
            let last = try #require(screens.last)
            #expect(last.contains("exit 0"), "\(last)")
            for stage in BuildStage.allCases {
                #expect(last.contains("✔ \(stage.rawValue)"), "\(stage) on the final screen:\n\(last)")
            }
            let heads = last.split(separator: "\n").filter { $0.contains("  attempt ") }
            #expect(heads.count == 1, "the view is redrawn in place, not appended:\n\(last)")
            let buildNumber = try #require(heads.first?.split(separator: " ").first)
            let busy = try #require(workers?.out.split(separator: "\n").first { $0.contains(settings.name) }, "\(String(describing: workers))")
            #expect(busy.contains("busy") && busy.contains("\(buildNumber) compiling_core"), "\(busy)")
            // While the stage ran its line was redrawn with the time it has taken so far: the view is live.
            let running = Set(screens.flatMap { $0.split(separator: "\n") }.filter(Self.showsTheCoreRunning))
            #expect(running.count >= 2, "the running stage's line, with its bar, as it was redrawn: \(running)")
            // And the bar moved: it showed more than one percentage as the build went on.
            let percentages = Set(screens.flatMap { $0.matches(of: #/\] ([0-9]+)%/#).map { Int($0.output.1) } })
            #expect(percentages.count >= 2, "the progress bar's percentages: \(percentages)")
        }
    }

    /// The line of the compiling_core stage while it runs, with its progress bar.
    private static func showsTheCoreRunning(_ line: Substring) -> Bool {
        line.contains("compiling_core") && line.contains(#/\[[#-]{20}\] [0-9]+%/#)
    }
}

extension FarmTests {
    /// The contract's configuration example as a file, through `kfarm configs`; then an
    /// artifact's lineage and the .config difference between two artifacts.
    @Test func theClientWritesConfigurationsFromFilesAndTracesArtifacts() async throws {
        try await TestFarm.run { farm in
            let (existing, developer) = try await farm.configuration(.riscv64)
            let person = try ClientRun(farm: farm, token: developer.token)
            // The contract's request verbatim: its projectId is not a UUID, and the error names the field.
            let example = """
                {
                  "name": "RISC-V Server Config",
                  "description": "Server configuration for RISC-V architecture",
                  "baseVersion": "6.1.0",
                  "architecture": "riscv64",
                  "projectId": "c3d4e5f6-a7b8-9012-cdef-3456789012hi",
                  "modules": [
                    {"name": "ext4", "isBuiltin": true, "isRequired": true},
                    {"name": "btrfs", "isBuiltin": false, "isRequired": false, "parameters": {"raid_levels": [0, 1, 10]}}
                  ]
                }
                """
            let file = person.home.appendingPathComponent("riscv-server.json")
            try example.write(to: file, atomically: true, encoding: .utf8)
            let refused = try await person.run(["configs", "create", "-f", file.path])
            #expect(refused.status == 3 && refused.err.contains("VALIDATION_ERROR") && refused.err.contains("projectId"),
                    "\(refused)")
            try example.replacingOccurrences(of: "c3d4e5f6-a7b8-9012-cdef-3456789012hi",
                                              with: existing.configuration.project.id.lowercased)
                .write(to: file, atomically: true, encoding: .utf8)
            let created = try await person.run(["configs", "create", "-f", file.path, "--json"])
            #expect(created.status == 0, "\(created)")
            let detail = try JSONSerialization.jsonObject(with: Data(created.out.utf8)) as? [String: Any]
            let id = try #require(detail?["id"] as? String)
            let first = try #require((detail?["versions"] as? [[String: Any]])?.first?["id"] as? String)
            let shown = try await person.run(["configs", "show", id])
            #expect(shown.status == 0 && shown.out.contains("RISC-V Server Config") && shown.out.contains("btrfs"), "\(shown)")
            // In the person's editor: only the changed name is sent, so a locked version does not stand in the way
            // (sending its modules again would be refused).
            let (locked, _) = try await farm.call(.post, "/configurations/\(id)/versions/\(first)/lock", as: developer)
            #expect(locked == .ok)
            let edited = try await person.run(["configs", "edit", id],
                                              environment: ["VISUAL": "sed -i 's/RISC-V Server Config/RISC-V Edge Config/'"])
            #expect(edited.status == 0 && edited.out.contains("RISC-V Edge Config"), "\(edited)")
            let untouched = try await person.run(["configs", "edit", id], environment: ["VISUAL": "true"])
            #expect(untouched.status == 0 && untouched.out.contains("no changes"), "\(untouched)")

            let next = person.home.appendingPathComponent("v2.json")
            try #"{"version": "1.1.0", "modules": [{"name": "ext4", "isBuiltin": true, "isRequired": true}]}"#
                .write(to: next, atomically: true, encoding: .utf8)
            let versioned = try await person.run(["configs", "version", id, "-f", next.path, "--json"])
            let second = try #require((try JSONSerialization.jsonObject(with: Data(versioned.out.utf8)) as? [String: Any])?["id"]
                as? String, "\(versioned)")
            let diff = try await person.run(["configs", "diff", id, first, second])
            #expect(diff.status == 0 && diff.out.contains("1.0.0 → 1.1.0") && diff.out.contains("- btrfs"), "\(diff)")
            let listed = try await person.run(["configs", "list", "--arch", "riscv64"])
            #expect(listed.out.contains("RISC-V Edge Config") && listed.out.contains(existing.configuration.name), "\(listed)")

            let sign = farm.shelf.signer.sign
            let old = try await farm.fixtures.artifact(of: existing.versions[0].id, by: developer, sign: sign,
                                                       kconfig: "CONFIG_EXT4_FS=y\nCONFIG_BTRFS_FS=m\n")
            let new = try await farm.fixtures.artifact(of: existing.versions[0].id, by: developer, sign: sign,
                                                       kconfig: "CONFIG_EXT4_FS=y\nCONFIG_BTRFS_FS=y\n")
            let lineage = try await person.run(["lineage", new.id.lowercased])
            #expect(lineage.status == 0 && lineage.out.contains(existing.configuration.name)
                    && lineage.out.contains(new.build.buildNumber), "\(lineage)")
            let changed = try await person.run(["diff", old.id.lowercased, new.id.lowercased])
            #expect(changed.status == 0 && changed.out.contains("BTRFS_FS") && !changed.out.contains("EXT4_FS"), "\(changed)")

            // The module catalog a worker published for a series, searched by what a person remembers of it.
            let series = Fixtures.uniqueSeries()
            let missing = try await person.run(["modules", "search", "btrfs", "--series", series])
            #expect(missing.status == 3 && missing.err.contains("NOT_FOUND"), "no catalog yet: \(missing)")
            let (_, workerToken) = try await farm.fixtures.workerToken()
            _ = try await farm.store.workers.register(
                WorkerRegistration(name: Fixtures.unique("w"), toolchains: [Toolchain(architecture: .riscv64, compiler: "gcc-12.2.0")],
                                   cores: 2, memoryMb: 4096, kernelSeries: [series]), token: workerToken)
            _ = try await farm.store.kernels.publish(.sample(series: series), sha256: String(repeating: "0", count: 64),
                                                     token: workerToken)
            let found = try await person.run(["modules", "search", "btrfs", "--series", series])
            #expect(found.status == 0 && found.out.contains("fs/btrfs") && found.out.contains("BTRFS_FS")
                    && !found.out.contains("fs/ext4"), "\(found)")
            let byPrompt = try await person.run(["modules", "search", "NET DRIVER", "--series", series, "--json"])
            let items = (try JSONSerialization.jsonObject(with: Data(byPrompt.out.utf8)) as? [String: Any])?["items"]
            #expect((items as? [[String: Any]])?.map { $0["name"] as? String } == ["dummy"], "\(byPrompt)")
        }
    }
}

/// `kfarm` as a person runs it: its own home and config file, output piped.
struct ClientRun: Sendable {
    let home: URL
    let environment: [String: String]

    var config: URL { home.appendingPathComponent("config") }

    /// A person with no saved profile; with `token`, one who has KFARM_URL and KFARM_TOKEN set.
    init(farm: TestFarm, token: String? = nil) throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-client-\(UUID().lowercased)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["KFARM_CONFIG"] = home.appendingPathComponent("config").path
        environment["KFARM_URL"] = token == nil ? nil : farm.apiURL.absoluteString
        environment["KFARM_TOKEN"] = token
        self.environment = environment
    }

    struct Result: CustomStringConvertible {
        let status: Int32
        let out: String
        let err: String
        var description: String { "exit \(status)\nstdout:\n\(out)\nstderr:\n\(err)" }
    }

    /// Runs `kfarm arguments…` to its end (killed after `seconds`).
    func run(_ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:], seconds: Int = 300)
        async throws -> Result {
        try await execute(try TestFarm.kfarmBinary(), arguments, stdin: stdin, environment: extra, seconds: seconds)
    }

    /// Runs a program found on the PATH (tmux) to its end, its output as `out`. Through the
    /// farm's command runner, not Process: Foundation's Process takes a client that left a
    /// daemon behind (tmux's server) for running.
    func shell(_ arguments: [String]) async throws -> Result {
        let output = Mutex<[String]>([])
        let status = try await CommandRunner.run(Command(arguments[0], Array(arguments.dropFirst()))) { lines in
            output.withLock { $0 += lines }
        }
        return Result(status: status, out: output.withLock { $0.joined(separator: "\n") }, err: "")
    }

    private func execute(_ program: URL, _ arguments: [String], stdin: String?, environment extra: [String: String],
                         seconds: Int) async throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.environment = environment.merging(extra) { $1 }
        let run = home.appendingPathComponent(UUID().lowercased)
        let (out, err, input) = (run.appendingPathExtension("out"), run.appendingPathExtension("err"), run.appendingPathExtension("in"))
        for file in [out, err] { FileManager.default.createFile(atPath: file.path, contents: nil) }
        FileManager.default.createFile(atPath: input.path, contents: Data((stdin ?? "").utf8))
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = try FileHandle(forReadingFrom: input)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                Issue.record("\(program.lastPathComponent) \(arguments.joined(separator: " ")) ran over \(seconds) s")
                process.terminate()
                process.waitUntilExit()
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return Result(status: process.terminationStatus, out: try String(contentsOf: out, encoding: .utf8),
                      err: try String(contentsOf: err, encoding: .utf8))
    }
}
