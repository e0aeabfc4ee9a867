/// The CPU architectures the farm builds kernels for.
public enum Architecture: String, CaseIterable, Codable, Sendable {
    case x86_64
    case arm64
    case riscv64

    public static var allowedValues: [String] { allCases.map(\.rawValue) }
}
