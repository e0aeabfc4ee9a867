/// A step of one of the farm's state machines: the statuses a row may take
/// it from and the status it leaves the row in. The store binds `from` into
/// its statements, so a row moves only along a transition named here.
public protocol StatusTransition: CaseIterable, Sendable {
    associatedtype Status: RawRepresentable & Equatable & Sendable where Status.RawValue == String

    /// The statuses the transition starts from; empty for the one that creates the row.
    var from: [Status] { get }
    var to: Status { get }
}

extension StatusTransition {
    /// Whether some transition moves a row from `status` to `next`.
    public static func allows(_ status: Status, to next: Status) -> Bool {
        allCases.contains { $0.to == next && $0.from.contains(status) }
    }
}
