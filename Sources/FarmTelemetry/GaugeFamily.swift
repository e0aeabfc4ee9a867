import Metrics
import Synchronization

/// Gauges of one name set together from a fresh count (builds by status,
/// queue depth by architecture and priority): a label set the count no
/// longer has goes to zero instead of keeping its last value.
public final class GaugeFamily: Sendable {
    let label: String
    let dimensionNames: [String]
    private let seen = Mutex<Set<[String]>>([])

    public init(_ label: String, dimensions: [String]) {
        self.label = label
        self.dimensionNames = dimensions
    }

    /// `values` by label values, in the order of `dimensions`; the label
    /// sets in `zeros` are reported at 0 when `values` lacks them.
    public func set(_ values: [[String]: Double], zeros: [[String]] = []) {
        let labelSets = seen.withLock { seen in
            seen.formUnion(values.keys)
            seen.formUnion(zeros)
            return seen
        }
        for labelValues in labelSets {
            Gauge(label: label, dimensions: Array(zip(dimensionNames, labelValues))).record(values[labelValues] ?? 0)
        }
    }
}
