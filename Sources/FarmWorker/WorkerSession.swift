import AMQP
import FarmBus
import FarmMachine
import FarmModel
import Foundation
import Logging

/// A registered worker at work: its build consumer, its control consumer,
/// and the attempts it runs.
struct WorkerSession: Sendable {
    let worker: BuildWorker
    let workerID: UUID
    /// The broker, logged in as this worker (its id, its token).
    let broker: AMQPConfiguration
    let toolchains: [InstalledToolchain]
    let logger: Logger

    private var settings: WorkerSettings { worker.settings }

    /// Takes builds from the queues of its toolchains and, for the
    /// architectures it has a gcc for, of the builds that name no compiler;
    /// at most `concurrentBuilds` at once, until cancelled. Builds run
    /// outside the broker session: a broker restart does not stop them.
    func consumeBuilds() async {
        let defaults = Set(toolchains.filter { CompilerRequest.farmDefault.matches($0.compilerVersion) }.map(\.architecture))
        let queues = Architecture.allCases.filter(defaults.contains).map { BusNames.buildQueue($0) }
            + toolchains.map { BusNames.buildQueue($0.architecture, toolchain: $0.compilerVersion) }
        let slots = BuildSlots(settings.concurrentBuilds)
        await withDiscardingTaskGroup { builds in
            // A toolchain's queue appears once the farm's relay has seen the registration; until then consuming it
            // fails and the session tries again.
            await BrokerSession.run(broker, declaresTopology: false, logger: logger) { _ in
                let consumer = try await AMQPConsumer(broker, queues: queues,
                                                      prefetch: UInt16(clamping: settings.concurrentBuilds))
                defer { consumer.stop() }
                for try await deliveries in consumer.batches {
                    for delivery in deliveries {
                        await slots.take()
                        builds.addTask {
                            await take(delivery, from: consumer)
                            await slots.giveBack()
                        }
                    }
                }
            }
        }
    }

    /// Claims the delivered build and runs it; unreadable messages go to the dead letters.
    private func take(_ delivery: AMQPDelivery, from consumer: AMQPConsumer) async {
        let toolchain = { (dispatch: BuildDispatch) in
            InstalledToolchain.pick(dispatch.toolchain, for: dispatch.architecture, among: toolchains)
        }
        guard let dispatch = consumer.take(delivery, as: BuildDispatch.self, logger: logger, meant: { toolchain($0) != nil }),
              let toolchain = toolchain(dispatch) else { return }
        let claimed: ClaimedBuild?
        do {
            claimed = try await worker.client.claim(dispatch.buildId, BuildClaim(workerId: workerID, attempt: dispatch.attempt))
        } catch {
            logger.warning("claim failed; the build goes back to the queue", metadata: ["error": "\(error)"])
            consumer.nack(delivery, requeue: true)
            try? await Task.sleep(for: .seconds(1))
            return
        }
        consumer.ack(delivery)
        guard let claimed else {
            logger.debug("build taken elsewhere or no longer queued", metadata: ["build": "\(dispatch.buildId.lowercased)"])
            return
        }
        await run(claimed.build, plan: claimed.plan, with: toolchain)
    }

    private func run(_ build: BuildRecord, plan: BuildPlan, with toolchain: InstalledToolchain) async {
        var logger = logger
        logger[metadataKey: "build"] = "\(build.id.lowercased)"
        logger[metadataKey: "attempt"] = "\(build.attempt)"
        logger.info("build started", metadata: ["number": "\(build.buildNumber)"])
        let spool = worker.publisher.open(buildId: build.id, attempt: build.attempt, workerId: workerID)
        if let asked = build.options.compilerVersion, CompilerRequest(asked)?.matches(toolchain.compilerVersion) != true {
            spool.result(.failed(.infrastructure,
                                 "toolchain missing: this worker has \(toolchain.compilerVersion), the build asks for \(asked)"))
            return
        }
        worker.running.add(build.id, attempt: build.attempt)
        defer { worker.running.remove(build.id) }
        let attempt = Task { await self.attempt(build, plan: plan, with: toolchain, spool: spool, logger: logger) }
        worker.running.attach(cancel: { attempt.cancel() }, to: build.id)
        let lease = Task { await keepLease(build) }
        let ending = await withTaskCancellationHandler { await attempt.value } onCancel: { attempt.cancel() }
        switch (ending, worker.running.stopReason(build.id)) {
        case (.outcome(let outcome), nil):
            spool.result(outcome)
            logger.info("build ended", metadata: ["status": "\(outcome.status.rawValue)", "lines": "\(spool.linesReported)"])
        case (.reused(let artifact), nil):
            spool.end()
            logger.info("build completed from the cache", metadata: ["artifact": "\(artifact.id.lowercased)",
                                                                    "cachedFrom": "\(artifact.build.buildNumber)"])
        case (_, let reason?):
            spool.end()
            logger.info("build stopped", metadata: ["reason": "\(reason)"])
        case (.cancelled, nil):
            spool.result(.failed(.infrastructure, "the worker was stopped"))
            logger.info("build interrupted: the worker is stopping")
        }
        if !settings.keepWorkspaces { try? FileManager.default.removeItem(at: root(of: build)) }
        // The farm knows the result once its recorder has written it; until then the build stays this worker's,
        // or a broker or recorder away for longer than a lease would have the farm retry a build that has ended
        // and drop this result as stale. So the lease is renewed until the farm says the attempt is over (the
        // slot is free once the broker has the result), within bounds: a result that never gets out, a worker
        // that stops, or a farm that never answers ends it.
        let patience = settings.heartbeatInterval * 30
        guard await spool.published(within: patience), !Task.isCancelled else {
            lease.cancel()
            return
        }
        Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await Task.sleep(for: patience) }
                group.addTask { await lease.value }
                await group.next()
                group.cancelAll()
            }
            lease.cancel()
        }
    }

    /// Checks the build's source out (reporting a git commit to the farm),
    /// prepares the workspace and runs the stages. A source the build names
    /// but cannot have (a ref that does not exist, a repository not allowed)
    /// fails the build; trouble of the machine's is the machine's.
    private func attempt(_ build: BuildRecord, plan: BuildPlan, with toolchain: InstalledToolchain, spool: EventSpool,
                         logger: Logger) async -> StageRunner.Ending {
        let claim = BuildClaim(workerId: workerID, attempt: build.attempt)
        let checkout: CheckedOutSource?
        do {
            checkout = try await settings.recipe.checkout(plan, log: spool.log)
        } catch {
            if Task.isCancelled { return .cancelled }
            return .outcome(.failed(error is CheckFailed ? .build : .infrastructure, "source: \(error)"))
        }
        if let source = checkout?.git {
            do {
                try await worker.client.reportSource(build.id, SourceReport(claim: claim, source: source))
            } catch {
                logger.warning("reporting the source failed", metadata: ["commit": "\(source.commit)", "error": "\(error)"])
            }
        }
        let workspace: Workspace
        do {
            workspace = try prepareWorkspace(for: build, source: checkout?.tree ?? settings.sourceTree, checkedOut: checkout,
                                             toolchain: toolchain)
        } catch {
            return .outcome(.failed(.infrastructure, "cannot prepare the workspace: \(error)"))
        }
        let runner = StageRunner(recipe: settings.recipe, delivery: ArtifactDelivery(client: worker.client, buildID: build.id, claim: claim),
                                 progressHistory: settings.workDirectory.appendingPathComponent("progress-history"))
        return await runner.run(build, plan: plan, in: workspace, spool: spool)
    }

    /// Renews the lease until cancelled; stops the build when the API says it is no longer this worker's.
    private func keepLease(_ build: BuildRecord) async {
        let claim = BuildClaim(workerId: workerID, attempt: build.attempt)
        while (try? await Task.sleep(for: settings.heartbeatInterval)) != nil {
            do {
                if try await !worker.client.heartbeat(build.id, claim) {
                    worker.running.stop(build.id, attempt: build.attempt, .leaseLost)
                    return
                }
            } catch {
                logger.warning("heartbeat failed", metadata: ["build": "\(build.id.lowercased)", "error": "\(error)"])
            }
        }
    }

    /// The attempt's directory, made by the worker (`Workspace.prepare`).
    /// ccache's directory is one per configuration: a build can write to
    /// it, so it is shared only by builds of the same configuration.
    private func prepareWorkspace(for build: BuildRecord, source: URL, checkedOut: CheckedOutSource?,
                                  toolchain: InstalledToolchain) throws -> Workspace {
        let root = root(of: build)
        try? FileManager.default.removeItem(at: root)
        let ccache = settings.compilerLauncher == nil ? nil
            : settings.workDirectory.appendingPathComponent("ccache").appendingPathComponent(build.config.id.lowercased)
        return try Workspace.prepare(at: root, source: source, checkedOut: checkedOut, toolchain: toolchain, jobs: settings.makeJobs,
                                     environment: settings.buildEnvironment, compilerLauncher: settings.compilerLauncher,
                                     ccacheDirectory: ccache,
                                     inputs: settings.recipe.dataDirectories + (checkedOut?.externalModules.map(\.tree) ?? []),
                                     sandbox: settings.sandbox)
    }

    private func root(of build: BuildRecord) -> URL {
        settings.workDirectory.appendingPathComponent(build.id.lowercased).appendingPathComponent("attempt-\(build.attempt)")
    }

    /// Stops running builds that are cancelled, until cancelled itself.
    func followControl() async {
        await BrokerSession.run(broker, declaresTopology: false, logger: logger) { connection in
            try await BusTopology.declareControlQueue(forWorker: workerID.lowercased, on: connection)
            let consumer = try await AMQPConsumer(broker, queues: [BusNames.workerControlQueue(workerID.lowercased)],
                                                  prefetch: 100)
            defer { consumer.stop() }
            for try await deliveries in consumer.batches {
                for delivery in deliveries {
                    guard let control = consumer.take(delivery, as: BuildControl.self, logger: logger) else { continue }
                    if control.action == .cancel, worker.running.stop(control.buildId, attempt: control.attempt, .cancelled) {
                        logger.info("cancelling build", metadata: ["build": "\(control.buildId.lowercased)"])
                    }
                    consumer.ack(delivery)
                }
            }
        }
    }
}
