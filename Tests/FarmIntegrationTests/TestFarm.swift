import AMQP
import FarmBus
import FarmMachine
import FarmModel
import FarmServer
import FarmStore
import FarmTestSupport
import FarmWorker
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A whole farm in the test process, on real services: the API with its
/// relay, recorder and reaper on a live port over a fresh database, the
/// test RabbitMQ, and workers (in-process agents or `kfarm worker`
/// processes) building the fixture tree with the real toolchains.
struct TestFarm: Sendable {
    let store: Store
    let fixtures: Fixtures
    let client: any TestClientProtocol
    let broker: AMQPConfiguration
    let apiURL: URL
    let shelf: ArtifactShelf

    /// The package's root, for the toolchain files, the fixture tree and scripts.
    static let root = MachineData.root

    static func broker() throws -> AMQPConfiguration {
        guard let url = ProcessInfo.processInfo.environment["KFARM_TEST_AMQP_URL"] else {
            throw AMQPError.invalidConfiguration(
                "KFARM_TEST_AMQP_URL is not set: run the tests with scripts/test.sh, which starts RabbitMQ")
        }
        return try AMQPConfiguration(url: url)
    }

    /// Where the test broker asks who a machine is (scripts/test.sh configures both).
    static func brokerAuthPort() throws -> Int {
        guard let port = ProcessInfo.processInfo.environment["KFARM_TEST_BROKER_AUTH_PORT"].flatMap(Int.init) else {
            throw AMQPError.invalidConfiguration("KFARM_TEST_BROKER_AUTH_PORT is not set: run the tests with scripts/test.sh")
        }
        return port
    }

    static let logger: Logger = {
        var logger = Logger(label: "kfarm.farm-test")
        logger.logLevel = ProcessInfo.processInfo.environment["KFARM_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .error
        return logger
    }()

    /// Runs `body` against a fresh farm. The broker's farm queues are
    /// emptied first, so no message of an earlier test reaches this one.
    static func run(lease: TimeInterval = 60, maxAttempts: Int = 3, agentSilence: TimeInterval = 90,
                    redispatchAfter: TimeInterval = ServerSettings.defaultRedispatchAfter, gitSources: GitAllowList = GitAllowList([]),
                    _ body: @Sendable (TestFarm) async throws -> Void) async throws {
        let broker = try broker()
        try TestPorts.requireFree(try brokerAuthPort(), for: "the broker's questions about machines")
        try await purgeQueues(broker)
        try await TestDatabase.withEmptyDatabase { settings in
            try await TestDatabase.withStoreUnmigrated(settings: settings) { store in
                try await store.migrator.migrate(try Migrator.bundled())
            }
            let store = Store(settings: settings, logger: logger)
            let shelf = try ArtifactShelf.forTests()
            var serverSettings = ServerSettings(
                host: "127.0.0.1", port: 0, rateLimits: RateLimitPolicy(perUser: 100_000, perAddress: 1_000_000, windowSeconds: 60),
                broker: broker, maxAttempts: maxAttempts, lease: lease, agentSilence: agentSilence,
                // The test client keeps one connection through minutes-long kernel
                // builds and does not reconnect, as real clients do after an idle close.
                limits: RequestLimits(idleTimeout: .seconds(3600)), brokerAuth: ("127.0.0.1", try brokerAuthPort()))
            // Revoked machines' broker connections are closed within a second or two here.
            serverSettings.brokerManagementURL = ProcessInfo.processInfo.environment["KFARM_TEST_BROKER_MANAGEMENT_URL"]
            serverSettings.machineSweepInterval = .seconds(1)
            serverSettings.redispatchAfter = redispatchAfter
            serverSettings.gitSources = gitSources
            let app = buildApplication(settings: serverSettings, store: store, shelf: shelf, logger: logger)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                try await body(TestFarm(store: store, fixtures: Fixtures(store: store), client: client, broker: broker,
                                        apiURL: URL(string: "http://127.0.0.1:\(port)")!, shelf: shelf))
            }
        }
    }

    private static func purgeQueues(_ broker: AMQPConfiguration) async throws {
        let connection = try await AMQPConnection.connect(broker)
        // The toolchain queues of this machine's compilers too: a test's workers declare them.
        let installed = await InstalledToolchain.probe(try ArchitectureSpec.load(from: MachineData.architectureFiles),
                                                       try ToolchainSpec.load(from: MachineData.toolchainFiles)) { _, _ in }
        let queues = Architecture.allCases.map { BusNames.buildQueue($0) }
            + installed.map { BusNames.buildQueue($0.architecture, toolchain: $0.compilerVersion) } + [BusNames.recorderQueue, BusNames.deadQueue]
        for queue in queues { try await connection.deleteQueue(queue) }
        try await BusTopology.declare(on: connection)
        await connection.close()
    }

    // MARK: - Workers

    /// A folder holding only the named files of `source` (`<name>.json`).
    static func dataFiles(_ names: [String], of source: URL) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-data-\(UUID().lowercased)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in names {
            try FileManager.default.copyItem(at: source.appendingPathComponent("\(name).json"),
                                             to: folder.appendingPathComponent("\(name).json"))
        }
        return folder
    }

    /// A worker for `architectures` with the toolchain files named (nil: all of them).
    func workerSettings(_ architectures: [Architecture] = Architecture.allCases, builds: Int = 1,
                        recipe: any BuildRecipe = FixtureRecipe(), environment: [String: String] = [:],
                        toolchains: [String]? = nil) async throws
        -> WorkerSettings {
        let token = try await fixtures.workerToken().secret
        let name = Fixtures.unique("worker")
        return WorkerSettings(
            name: name, apiURL: apiURL, token: token, broker: broker,
            architectureFiles: try Self.dataFiles(architectures.map(\.rawValue), of: MachineData.architectureFiles),
            toolchainFiles: try toolchains.map { try Self.dataFiles($0, of: MachineData.toolchainFiles) } ?? MachineData.toolchainFiles,
            sourceTree: Self.root.appendingPathComponent("fixtures/kernel-tree"),
            workDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-\(name)"),
            concurrentBuilds: builds, makeJobs: 2, recipe: recipe, keepWorkspaces: true,
            heartbeatInterval: .seconds(1), buildEnvironment: environment)
    }

    /// Runs `body` while an in-process worker with `settings` works.
    func withWorker<T: Sendable>(_ settings: WorkerSettings, _ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await BuildWorker(settings: settings, logger: Self.logger).run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    // MARK: - Builds

    /// A configuration of `architecture` in a new project, and a developer of it.
    func configuration(_ architecture: Architecture) async throws -> (ConfigurationDetail, Fixtures.Account) {
        let developer = try await fixtures.account()
        let project = try await fixtures.project(members: [(developer, .developer)])
        return (try await fixtures.configuration(in: project, by: developer, architecture: architecture), developer)
    }

    /// Submits a build of `architecture`'s configuration over HTTP.
    func submit(_ architecture: Architecture, priority: BuildPriority = .normal) async throws -> UUID {
        let (configuration, developer) = try await configuration(architecture)
        return try await submit(configuration, by: developer, priority: priority)
    }

    func submit(_ configuration: ConfigurationDetail, by developer: Fixtures.Account, priority: BuildPriority = .normal)
        async throws -> UUID {
        try await submit(configuration.versions[0].id, by: developer, request: ["priority": priority.rawValue])
    }

    /// `POST /builds` of `version` with the rest of the request as given.
    func submit(_ version: UUID, by developer: Fixtures.Account, request: [String: Any]) async throws -> UUID {
        var body = request
        body["configVersionId"] = version.lowercased
        let (status, data) = try await call(.post, "/builds", as: developer, json: body)
        #expect(status == .created, "\(data)")
        return try #require((data["id"] as? String).flatMap(UUID.init(uuidString:)))
    }

    /// A JSON call through the API as `account`: the status and the envelope's `data` object.
    func call(_ method: HTTPRequest.Method, _ uri: String, as account: Fixtures.Account, json: [String: Any]? = nil)
        async throws -> (HTTPResponse.Status, [String: Any]) {
        let response = try await client.execute(
            uri: uri, method: method, headers: [.authorization: account.authorization, .contentType: "application/json"],
            body: try json.map { ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: $0))) })
        let reply = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        return (response.status, (reply?["data"] as? [String: Any]) ?? reply ?? [:])
    }

    /// Waits until a worker has published `series`' module catalog (`GET /kernels`).
    func catalogPublished(_ series: String, as account: Fixtures.Account, within seconds: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let (_, reply) = try await call(.get, "/kernels", as: account)
            let offers = (reply["data"] as? [[String: Any]]) ?? []
            if offers.contains(where: { $0["series"] as? String == series && ($0["modules"] as? Int ?? 0) > 0 }) { return }
            try await Task.sleep(for: .seconds(1))
        }
        Issue.record("no worker published the \(series) module catalog within \(seconds) s")
    }

    /// Waits until a registered worker offers `compiler` (e.g. `clang`) for `architecture`.
    func waitForOffer(_ compiler: String, for architecture: Architecture, within seconds: Int = 30) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let offered = try await store.client.query("""
                SELECT t->>'compiler' FROM workers w, jsonb_array_elements(w.toolchains) t WHERE t->>'architecture' = \(architecture.rawValue)
                """).collect().map { try $0.decode(String.self) }
            if CompilerRequest(compiler)?.best(of: offered) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no worker offered \(compiler) for \(architecture.rawValue) within \(seconds) s")
    }

    /// Waits until `condition` holds for the build, or fails after `seconds`.
    @discardableResult
    func waitFor(_ id: UUID, within seconds: Int = 60, _ condition: (BuildRecord) -> Bool) async throws -> BuildRecord {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let build = try #require(try await store.builds.find(id: id))
            if condition(build) { return build }
            if ContinuousClock.now > deadline {
                Issue.record("build \(id.lowercased) did not get there in \(seconds) s: \(build.status), \(build.stages)")
                return build
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func finished(_ id: UUID, within seconds: Int = 60) async throws -> BuildRecord {
        try await waitFor(id, within: seconds) { $0.status.isFinished }
    }

    /// Every log line of the build's attempt, through the API's pages.
    func log(_ id: UUID, attempt: Int? = nil) async throws -> [LogLine] {
        var lines: [LogLine] = []
        while true {
            let page = try #require(try await store.logs.page(of: id, attempt: attempt, after: lines.last?.number ?? 0, limit: 1000))
            lines += page.lines
            if page.lines.isEmpty { return lines }
        }
    }
}

extension TestFarm {
    /// The `kfarm` binary beside the test bundle.
    static func kfarmBinary() throws -> URL {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kfarm")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw MachineError.configuration("\(binary.path) is missing: build with `swift build --build-tests`")
        }
        return binary
    }

    /// The test broker's URL, for processes.
    var brokerURL: String { "amqp://\(broker.user):\(broker.password)@\(broker.host):\(broker.port)/" }

    /// `kfarm worker` as a process of its own (to be killed), with `settings` and any further `arguments`.
    func startWorkerProcess(_ settings: WorkerSettings, environment: [String: String], arguments: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = try Self.kfarmBinary()
        process.arguments = [
            "worker", "--api-url", apiURL.absoluteString, "--name", settings.name,
            "--architecture-files", settings.architectureFiles.path, "--toolchains", settings.toolchainFiles.path,
            "--source-tree", settings.sourceTree.path,
            "--work-dir", settings.workDirectory.path, "--recipe", "fixture", "--heartbeat-seconds", "1", "--make-jobs", "2",
        ] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.merging([
            "KFARM_WORKER_TOKEN": settings.token,
            "KFARM_AMQP_URL": brokerURL,
        ]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}

extension TestFarm {
    /// `kfarm agent` for `system` as a process of its own (to be killed),
    /// its output in a log file beside its root for when a test fails.
    func startAgentProcess(system: UUID, root: URL, token: String, arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = try Self.kfarmBinary()
        process.arguments = ["agent", "--system", system.lowercased, "--root", root.path, "--api-url", apiURL.absoluteString,
                             "--heartbeat-seconds", "1"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging([
            "KFARM_SYSTEM_TOKEN": token, "KFARM_AMQP_URL": brokerURL,
        ]) { $1 }
        let log = root.appendingPathExtension("log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Waits until the system's agent has reported in (its order queue is declared by then).
    func waitOnline(_ system: UUID, within seconds: Int = 30) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while try await store.systems.find(id: system)?.status != .online {
            guard ContinuousClock.now < deadline else {
                Issue.record("the agent of system \(system.lowercased) never came online")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The deployment once it has ended, or as it is after `seconds` (recorded as a failure).
    func deploymentEnded(_ id: UUID, within seconds: Int = 90) async throws -> DeploymentRecord {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let deployment = try #require(try await store.deployments.find(id: id))
            if !deployment.status.isActive { return deployment }
            if ContinuousClock.now > deadline {
                Issue.record("deployment still \(deployment.status) after \(seconds) s: \(deployment.targetSystems)")
                return deployment
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
