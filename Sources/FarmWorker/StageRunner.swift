import FarmMachine
import FarmModel
import Foundation
import Synchronization

/// Runs a build attempt's five stages in order, reporting each transition,
/// every output line and the progress to the attempt's spool. The first
/// failing step fails its stage and ends the build; the failure says
/// whether the build itself is at fault or the machine it ran on. With a
/// delivery, the build cache is asked once `initialization` has settled the
/// inputs, and the packed artifact is uploaded once `testing` has passed.
public struct StageRunner: Sendable {
    public let recipe: any BuildRecipe
    public let delivery: ArtifactDelivery?
    /// Where step counts of earlier builds are kept, per configuration and
    /// architecture, for progress estimates; nil: none.
    public let progressHistory: URL?

    public init(recipe: any BuildRecipe, delivery: ArtifactDelivery? = nil, progressHistory: URL? = nil) {
        self.recipe = recipe
        self.delivery = delivery
        self.progressHistory = progressHistory
    }

    /// How an attempt ended.
    public enum Ending: Sendable, Equatable {
        /// Report this outcome.
        case outcome(BuildOutcome)
        /// The build cache completed the build with an earlier build's artifact: nothing to report.
        case reused(ArtifactRecord)
        /// The task was cancelled: nothing to report.
        case cancelled

        /// How the worker's metrics name it.
        var name: String {
            switch self {
            case .outcome(let outcome): outcome.status.rawValue
            case .reused: "reused"
            case .cancelled: "cancelled"
            }
        }
    }

    public func run(_ build: BuildRecord, plan: BuildPlan, in workspace: Workspace, spool: EventSpool) async -> Ending {
        let ending = await stages(build, plan: plan, in: workspace, spool: spool)
        WorkerMetrics.ended(build.architecture, ending.name)
        guard case .outcome(var outcome) = ending, let findings = recipe.findings(in: workspace), !findings.isEmpty else { return ending }
        outcome.findings = findings
        return .outcome(outcome)
    }

    private func stages(_ build: BuildRecord, plan: BuildPlan, in workspace: Workspace, spool: EventSpool) async -> Ending {
        let meter = ProgressMeter(spool: spool, history: progressHistory?.appendingPathComponent(
            "\(build.config.id.lowercased)-\(build.architecture.rawValue).json"))
        var keys = CacheKeys()
        do {
            keys.plan = try recipe.planKey(build: build, plan: plan, in: workspace)
        } catch {
            return .outcome(.failed(.infrastructure, "cannot hash the build's inputs: \(error)"))
        }
        if let reused = await reuse(keys.plan, of: build, spool: spool) { return .reused(reused) }
        for stage in BuildStage.allCases {
            spool.stage(stage, .in_progress)
            meter.begin(stage)
            let started = ContinuousClock.now
            for step in recipe.steps(for: stage, build: build, plan: plan, in: workspace) {
                if Task.isCancelled { return .cancelled }
                if let failure = await run(step, workspace: workspace, spool: spool, meter: meter) {
                    if Task.isCancelled { return .cancelled }
                    spool.stage(stage, .failed)
                    return .outcome(.failed(failure.kind, "\(stage.rawValue): \(failure.reason)"))
                }
            }
            if Task.isCancelled { return .cancelled }
            spool.stage(stage, .completed)
            meter.end(stage)
            WorkerMetrics.stage(build.architecture, stage, took: ContinuousClock.now - started)
            if stage == .initialization {
                do {
                    keys.input = try recipe.inputKey(build: build, plan: plan, in: workspace)
                } catch {
                    return .outcome(.failed(.infrastructure, "cannot hash the build's inputs: \(error)"))
                }
                if let reused = await reuse(keys.input, of: build, spool: spool) { return .reused(reused) }
            }
        }
        if let failure = await deliver(keys, from: workspace, spool: spool) {
            return .outcome(.failed(.infrastructure, failure))
        }
        meter.save()
        return .outcome(.completed)
    }

    /// The artifact of an earlier build of the same inputs, unless the build asked for `noCache`.
    private func reuse(_ inputKey: String?, of build: BuildRecord, spool: EventSpool) async -> ArtifactRecord? {
        guard let delivery, let inputKey else { return nil }
        guard !build.options.noCache else {
            spool.log(["build cache: skipped (options.noCache); key \(inputKey)"])
            return nil
        }
        do {
            guard let artifact = try await delivery.reuse(inputKey: inputKey) else {
                spool.log(["build cache: no artifact of key \(inputKey) yet"])
                return nil
            }
            spool.log(["build cache: key \(inputKey) was built by \(artifact.build.buildNumber): "
                       + "reusing artifact \(artifact.id.lowercased) (\(artifact.name))"])
            return artifact
        } catch {
            spool.log(["build cache: lookup failed (\(error))"])
            return nil
        }
    }

    /// Uploads the artifact packaging left, if any; the failure's reason otherwise.
    private func deliver(_ keys: CacheKeys, from workspace: Workspace, spool: EventSpool) async -> String? {
        let directory = workspace.artifactDirectory
        do {
            guard let delivery, let artifact = try PackagedArtifact.load(from: directory) else { return nil }
            spool.log(["uploading \(artifact.archiveName) (\(artifact.size) bytes, sha256 \(artifact.sha256))"])
            // Sent when it reads as a .config: the comparison of artifacts is a bonus, not worth failing a build over.
            let kconfig = (try? workspace.text(of: workspace.output.appendingPathComponent(".config")))
                .flatMap { StoredConfigRule.rule.problem(with: $0) == nil ? $0 : nil }
            let record = try await delivery.deliver(artifact, from: directory, keys: keys, kconfig: kconfig)
            spool.log(["artifact \(record.id.lowercased) stored and signed (key \(record.signature.keyId.prefix(16)))"])
            return nil
        } catch {
            spool.log(["artifact upload failed: \(error)"])
            return "artifact upload failed: \(error)"
        }
    }

    private func run(_ step: BuildStep, workspace: Workspace, spool: EventSpool, meter: ProgressMeter) async -> BuildFailure? {
        switch step {
        case .run(let command):
            spool.log(["$ \(command)"])
            let watch = MachineTroubleWatch(spool: spool)
            do {
                let status = try await CommandRunner.run(try workspace.sandboxed(command)) { lines in
                    watch.observe(lines)
                    workspace.diagnostics.observe(lines)
                    meter.observe(lines)
                }
                if status == 0 { return nil }
                if let trouble = watch.trouble { return BuildFailure(kind: .infrastructure, reason: trouble) }
                if status == 127 {
                    return BuildFailure(kind: .infrastructure, reason: "toolchain missing: \(command.executable) was not found")
                }
                return BuildFailure(kind: .build, reason: "`\(command)` exited with status \(status)")
            } catch {
                return BuildFailure(kind: .infrastructure, reason: "toolchain missing: \(error)")
            }
        case .check(let name, let body):
            spool.log(["check: \(name)"])
            return await checked(spool, body).failure
        case .note(let lines):
            spool.log(lines)
            return nil
        case .repeating(let name, let next):
            spool.log(["until settled: \(name)"])
            while true {
                let (answer, failure) = await checked(spool, next)
                if let failure { return failure }
                guard let steps = answer, !steps.isEmpty else { return nil }
                for step in steps {
                    if Task.isCancelled { return nil }
                    if let failure = await run(step, workspace: workspace, spool: spool, meter: meter) { return failure }
                }
            }
        }
    }

    /// What a check answers, or its failure as the build's (its description
    /// is the reason). Checks run on a thread of their own (`BlockingWork`):
    /// some read a whole kernel tree.
    private func checked<T: Sendable>(_ spool: EventSpool, _ body: @escaping @Sendable () throws -> T) async
        -> (value: T?, failure: BuildFailure?) {
        do {
            return (try await BlockingWork.run("check", body), nil)
        } catch {
            spool.log(["check failed: \(error)"])
            return (nil, BuildFailure(kind: .build, reason: "check failed: \(error)"))
        }
    }
}

/// Passes a command's output on to the log, noticing lines that say the
/// machine, not the build, is at fault (out of disk or memory).
final class MachineTroubleWatch: Sendable {
    static let signs = [
        "No space left on device": "out of disk space",
        "Cannot allocate memory": "out of memory",
        "Killed signal terminated program": "out of memory (the compiler was killed)",
    ]

    private let spool: EventSpool
    private let found = Mutex<String?>(nil)

    init(spool: EventSpool) {
        self.spool = spool
    }

    var trouble: String? { found.withLock { $0 } }

    @Sendable func observe(_ lines: [String]) {
        spool.log(lines)
        for line in lines {
            for (sign, meaning) in Self.signs where line.contains(sign) {
                found.withLock { $0 = $0 ?? meaning }
            }
        }
    }
}
