import FarmModel
import PostgresNIO

/// The one place the store puts the farm's state machines into SQL: a
/// statement that changes a status writes `SET status = \(to: transition)`
/// and moves only rows `WHERE status = ANY(\(from: transition))`, both bound
/// as parameters. No statement spells a status it moves a row to or from.
extension PostgresQuery.StringInterpolation {
    /// The statuses the transition starts from, as a `text[]` parameter.
    mutating func appendInterpolation<Transition: StatusTransition>(from transition: Transition) {
        appendInterpolation(transition.from.map(\.rawValue))
    }

    /// The status the transition leaves a row in, as a `text` parameter.
    mutating func appendInterpolation<Transition: StatusTransition>(to transition: Transition) {
        appendInterpolation(transition.to.rawValue)
    }
}

/// The same for a prepared statement's parameters.
extension PostgresBindings {
    mutating func append<Transition: StatusTransition>(from transition: Transition) {
        append(transition.from.map(\.rawValue))
    }

    mutating func append<Transition: StatusTransition>(to transition: Transition) {
        append(transition.to.rawValue)
    }
}
