import AMQP
import FarmBus
import FarmMachine
import FarmModel
import Foundation
import Logging

/// A build worker: joins the farm with its toolchains, consumes the build
/// queues of the architectures they serve, claims each build over HTTP
/// (fenced by attempt: one claim wins), renews the lease while the stages
/// run, streams events through its spool, and stops a build when told to.
/// Cancelling `run()` (SIGTERM) stops taking builds and reports the
/// running ones as infrastructure failures, so they are retried elsewhere at once.
public struct BuildWorker: Sendable {
    public let settings: WorkerSettings
    let logger: Logger
    let client: FarmClient
    let publisher: EventPublisher
    let running = RunningBuilds()

    public init(settings: WorkerSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        client = FarmClient(baseURL: settings.apiURL, token: settings.token)
        publisher = EventPublisher(logger: logger)
    }

    /// Probes the toolchains, registers, and works until cancelled.
    public func run() async throws {
        if let sandbox = settings.sandbox {
            try await sandbox.probe()
            logger.info("builds run sandboxed (bubblewrap)", metadata: ["uid": "\(sandbox.owner.uid)"])
        } else {
            logger.critical("NO SANDBOX (--no-sandbox): builds run as this worker's user with its files, token and network in reach; development only")
        }
        let targets = try ArchitectureSpec.load(from: settings.architectureFiles)
            .filter { settings.architectures?.contains($0.architecture) ?? true }
        let toolchains = await InstalledToolchain.probe(targets, try ToolchainSpec.load(from: settings.toolchainFiles)) { which, why in
            logger.warning("toolchain not offered", metadata: ["toolchain": "\(which)", "why": "\(why)"])
        }
        guard !toolchains.isEmpty else {
            throw MachineError.configuration("no toolchain in \(settings.toolchainFiles.path) has its compiler installed")
        }
        let registration = WorkerRegistration(
            name: settings.name, toolchains: toolchains.map(\.offer), cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryMb: Int(ProcessInfo.processInfo.physicalMemory / 1_048_576), kernelSeries: settings.recipe.kernelSeries)
        let worker = try await client.register(registration)
        var workerLogger = logger
        workerLogger[metadataKey: "worker"] = "\(worker.id.lowercased)"
        workerLogger.info("joined the farm", metadata: [
            "name": "\(worker.name)", "toolchains": "\(toolchains.map { "\($0.architecture.rawValue):\($0.compilerVersion)" })",
        ])
        // On the broker the worker is itself: its id, its token (the URL's account, if any, is not used).
        let broker = settings.broker.login(user: worker.id.lowercased, password: settings.token)
        let session = WorkerSession(worker: self, workerID: worker.id, broker: broker, toolchains: toolchains, logger: workerLogger)
        // The publisher outlives the stop request (an unstructured task does
        // not inherit cancellation): the stopped builds' results must still go out.
        let publishing = Task { [broker] in await publisher.run(on: broker) }
        let catalogLogger = workerLogger
        await withDiscardingTaskGroup { group in
            group.addTask { await session.followControl() }
            group.addTask { await publishCatalogs(logger: catalogLogger) }
            group.addTask { await stayListed(registration, logger: catalogLogger) }
            await session.consumeBuilds()
            group.cancelAll()
        }
        if !(await publisher.drain(timeout: .seconds(10))) {
            workerLogger.warning("stopped with unpublished events; the lease reaper will retry those builds")
        }
        publishing.cancel()
        await publishing.value
    }

    /// Registers again every heartbeat interval (the same token and name
    /// update the row): `GET /workers` shows an idle worker that is running
    /// as idle, not offline because it has not built for a while.
    private func stayListed(_ registration: WorkerRegistration, logger: Logger) async {
        while (try? await Task.sleep(for: settings.heartbeatInterval)) != nil {
            do {
                _ = try await client.register(registration)
            } catch {
                logger.warning("presence heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The module catalogs of the series this worker builds, so people can
    /// write modules by name; read from the trees (once per tree) while builds already run.
    private func publishCatalogs(logger: Logger) async {
        do {
            let start = ContinuousClock.now
            for catalog in try await settings.recipe.moduleCatalogs() {
                let changed = try await client.publish(catalog)
                logger.info("module catalog published", metadata: [
                    "series": "\(catalog.series)", "modules": "\(catalog.modules.count)", "changed": "\(changed)",
                    "seconds": "\((ContinuousClock.now - start).components.seconds)",
                ])
            }
        } catch {
            logger.warning("module catalog not published; names are resolved by each build instead", metadata: ["error": "\(error)"])
        }
    }
}
