/// What a batch of a worker's events amounts to, so the recorder writes it
/// in a few statements rather than one per event: the log lines, each
/// stage's last status, the stage left running, the highest progress and
/// the result.
public struct BuildEventSummary: Sendable, Equatable {
    public struct LogRun: Sendable, Equatable {
        public var first: Int
        public var lines: [String]

        public init(first: Int, lines: [String]) {
            self.first = first
            self.lines = lines
        }
    }

    public var logs: [LogRun] = []
    /// Each stage that moved, with its last status, in the order they first moved.
    public var stages: [(stage: BuildStage, status: StageStatus)] = []
    public var highestProgress: Int?
    public var outcome: BuildOutcome?

    public init(_ events: [BuildEventPayload]) {
        for event in events {
            switch event {
            case .log(let first, let lines):
                if let last = logs.last, last.first + last.lines.count == first {
                    logs[logs.count - 1].lines += lines
                } else {
                    logs.append(LogRun(first: first, lines: lines))
                }
            case .stage(let name, let status):
                if let index = stages.firstIndex(where: { $0.stage == name }) {
                    stages[index].status = status
                } else {
                    stages.append((name, status))
                }
            case .progress(let percent):
                highestProgress = max(highestProgress ?? percent, percent)
            case .result(let outcome):
                self.outcome = outcome
            }
        }
    }

    /// Whether anything but log lines is in the batch.
    public var changesTheBuild: Bool { !stages.isEmpty || highestProgress != nil || outcome != nil }

    public static func == (left: Self, right: Self) -> Bool {
        left.logs == right.logs && left.highestProgress == right.highestProgress && left.outcome == right.outcome
            && left.stages.map(\.stage) == right.stages.map(\.stage) && left.stages.map(\.status) == right.stages.map(\.status)
    }
}
