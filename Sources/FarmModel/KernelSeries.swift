/// A kernel series: major and minor, e.g. `6.1`. Workers build series;
/// configurations name a full version (`6.1.0`, `6.1.192`) within one.
public enum KernelSeries {
    /// The series of `baseVersion`: `6.1.0` → `6.1`.
    public static func of(_ baseVersion: String) -> String {
        baseVersion.split(separator: ".").prefix(2).joined(separator: ".")
    }

    /// `6.1`: major and minor, nothing else.
    public static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { (1...4).contains($0.count) && $0.allSatisfy(\.isASCIIDigit) }
    }
}
