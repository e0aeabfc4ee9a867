import Foundation

/// A slot of a system's A/B layout.
public enum KernelSlot: String, Codable, Sendable, CaseIterable {
    case a, b

    public var other: KernelSlot { self == .a ? .b : .a }
}

/// An agent's sign of life (`POST /systems/{id}/heartbeat`): what its
/// `current` link points at.
public struct AgentHeartbeat: Codable, Sendable, Equatable {
    @ExplicitNull public var activeSlot: KernelSlot?

    public init(activeSlot: KernelSlot?) {
        self.activeSlot = activeSlot
    }
}

/// What an agent reports about an order
/// (`POST /systems/{id}/deployments/{deploymentId}/report`). `started`
/// asks whether the order still stands before anything is touched;
/// `succeeded` and `failed` end it. `switches` lists every switch of
/// `current` the order made, in order, so the system's kernel history has
/// each one.
public struct AgentReport: Codable, Sendable, Equatable {
    public enum Phase: String, Codable, Sendable {
        case started, succeeded, failed
    }

    public struct Switch: Codable, Sendable, Equatable {
        public var action: DeploymentOrder.Action
        /// The slot `current` points at after the switch; null: none (a
        /// rollback to the system's own kernel, the farm never having installed one before).
        @ExplicitNull public var slot: KernelSlot?
        public var at: Date

        public init(action: DeploymentOrder.Action, slot: KernelSlot?, at: Date) {
            self.action = action
            self.slot = slot
            self.at = at
        }
    }

    public var action: DeploymentOrder.Action
    public var phase: Phase
    public var switches: [Switch]
    /// What happened, in a line or two (with the log tail when something failed).
    public var message: String?

    public init(action: DeploymentOrder.Action, phase: Phase, switches: [Switch] = [], message: String? = nil) {
        self.action = action
        self.phase = phase
        self.switches = switches
        self.message = message
    }

    public static let messageLimit = 8192
    /// How far ahead of the server's clock an agent's switch may be: a
    /// switch from the future would sort before every real one in the history.
    public static let clockSkew: TimeInterval = 300

    public func validate(now: Date = Date()) throws(ValidationError) {
        var validator = Validator()
        if switches.count > 4 { validator.fail("switches", "an order switches at most twice (install, then back)") }
        for (index, change) in switches.enumerated() where change.at > now.addingTimeInterval(Self.clockSkew) {
            validator.fail("switches[\(index)].at", "must not be more than \(Int(Self.clockSkew) / 60) minutes ahead of the server's clock")
        }
        if let message, message.utf8.count > Self.messageLimit {
            validator.fail("message", "must be at most \(Self.messageLimit) bytes")
        }
        try validator.finish()
    }
}
