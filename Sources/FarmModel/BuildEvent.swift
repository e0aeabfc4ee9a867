import Foundation

/// Something a worker reports about the build attempt it runs.
public enum BuildEventPayload: Codable, Sendable, Equatable {
    /// A stage started, completed or failed.
    case stage(name: BuildStage, status: StageStatus)
    /// Output lines; `first` is the attempt's line number of the first one
    /// (numbered from 1), so a replay stores each line once.
    case log(first: Int, lines: [String])
    /// Percent done, 0...100.
    case progress(percent: Int)
    /// How the attempt ended.
    case result(BuildOutcome)
}

/// How a worker's attempt ended: completed, or failed with the kind of failure.
public struct BuildOutcome: Codable, Sendable, Equatable {
    public var status: BuildStatus
    public var failure: BuildFailure?
    /// What the recipe enabled and warned about; absent when nothing.
    public var findings: BuildFindings?

    public static let completed = BuildOutcome(status: .completed, failure: nil)

    public static func failed(_ kind: BuildFailure.Kind, _ reason: String) -> BuildOutcome {
        BuildOutcome(status: .failed, failure: BuildFailure(kind: kind, reason: reason))
    }

    public init(status: BuildStatus, failure: BuildFailure?, findings: BuildFindings? = nil) {
        self.status = status
        self.failure = failure
        self.findings = findings
    }
}

/// The events a worker reports for one build attempt, published to
/// `kfarm.events` with routing key `build.<id>.events`. Events are batched
/// (one message may carry a whole no-op build, or thousands of log lines)
/// and numbered; the recorder applies them idempotently, so a message
/// published twice (a lost confirm, a reconnect) changes nothing the second time.
public struct BuildEventBatch: BusMessage, Equatable {
    public static let schema = "kfarm.build.events/1"

    public var schema: String
    @LowercaseUUID public var buildId: UUID
    public var attempt: Int
    @LowercaseUUID public var workerId: UUID
    public var events: [BuildEventPayload]
    /// When the worker sent the batch (seconds since 1970, its clock), for the recorder's lag; absent from older workers.
    public var sentAt: Double?

    public init(buildId: UUID, attempt: Int, workerId: UUID, events: [BuildEventPayload], sentAt: Double? = nil) {
        self.schema = Self.schema
        self.buildId = buildId
        self.attempt = attempt
        self.workerId = workerId
        self.events = events
        self.sentAt = sentAt
    }

    public var exchange: String { BusNames.eventsExchange }
    public var routingKey: String { BusNames.workerEventsPrefix(workerId.lowercased) + "build.\(buildId.lowercased).events" }

    /// Its numbers fit the database's integers (attempts, line numbers): a
    /// batch that does not is dead-lettered, never summed past `Int.max` or
    /// retried forever.
    public var isWellFormed: Bool {
        (1...1000).contains(attempt) && events.allSatisfy { event in
            switch event {
            case .log(let first, let lines):
                first >= 1 && first <= Int(Int32.max) - lines.count + 1 && lines.allSatisfy(Self.isStorable)
            case .result(let outcome):
                (outcome.findings?.isWellFormed ?? true) && (outcome.findings?.strings.allSatisfy(Self.isStorable) ?? true)
                    && ([outcome.failure?.reason].compactMap { $0 } + (outcome.failure?.logTail ?? [])).allSatisfy(Self.isStorable)
            default: true
            }
        }
    }

    /// PostgreSQL's text holds no NUL: one such string would fail the
    /// recorder's whole transaction, and then every redelivery of it.
    static func isStorable(_ text: String) -> Bool {
        !text.utf8.contains(0)
    }
}

/// One line of a build's log as `GET /builds/{id}/logs` returns it.
public struct LogLine: Codable, Sendable, Equatable {
    public var number: Int
    public var text: String

    public init(number: Int, text: String) {
        self.number = number
        self.text = text
    }
}

/// A page of a build attempt's log: lines after a line number.
public struct LogPage: Codable, Sendable, Equatable {
    public var attempt: Int
    public var lines: [LogLine]
    /// Pass as `after` to read on.
    public var nextAfter: Int
    /// True once the build has finished and every line it wrote is in this or an earlier page.
    public var finished: Bool

    public init(attempt: Int, lines: [LogLine], nextAfter: Int, finished: Bool) {
        self.attempt = attempt
        self.lines = lines
        self.nextAfter = nextAfter
        self.finished = finished
    }
}
