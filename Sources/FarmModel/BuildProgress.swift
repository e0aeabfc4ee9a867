/// Where a build stands, as its event stream reports it besides the log:
/// the status and attempt, the progress, and each stage's status.
public struct BuildProgress: Sendable, Equatable {
    public struct Stage: Codable, Sendable, Equatable {
        public var name: BuildStage
        public var status: StageStatus

        public init(name: BuildStage, status: StageStatus) {
            self.name = name
            self.status = status
        }
    }

    public struct Status: Codable, Sendable, Equatable {
        public var status: BuildStatus
        public var attempt: Int
    }

    public var status: Status
    public var percent: Int
    public var stages: [Stage]

    public init(status: BuildStatus, attempt: Int, percent: Int, stages: [Stage]) {
        self.status = Status(status: status, attempt: attempt)
        self.percent = percent
        self.stages = stages
    }

    /// The stream's typed events that tell a follower who saw `earlier` what changed since (all of it after nothing).
    public func events(since earlier: BuildProgress?) -> [Event] {
        var events: [Event] = []
        if earlier?.status != status { events.append(.status(status)) }
        if earlier?.percent != percent { events.append(.progress(percent: percent)) }
        for stage in stages where !(earlier?.stages.contains(stage) ?? false) { events.append(.stage(stage)) }
        return events
    }

    /// One typed event: its type is the SSE event name, and it encodes as its data.
    public enum Event: Encodable, Sendable, Equatable {
        case status(Status)
        case progress(percent: Int)
        case stage(Stage)

        public var type: String {
            switch self {
            case .status: "status"
            case .progress: "progress"
            case .stage: "stage"
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .status(let status): try container.encode(status)
            case .progress(let percent): try container.encode(["percent": percent])
            case .stage(let stage): try container.encode(stage)
            }
        }
    }
}
