/// The compiler optimisation a build asks for (`options.optimizationLevel`),
/// as the contract writes it: a number, or `"s"` for size. The kernel
/// builds at `-O2` (Kconfig's CC_OPTIMIZE_FOR_PERFORMANCE), `-O3` (the same
/// with `KCFLAGS=-O3`, which comes after the kernel's own `-O2`) and `-Os`
/// (CC_OPTIMIZE_FOR_SIZE); it does not build without optimisation, so 0 and
/// 1 are refused at submit time.
public enum OptimizationLevel: Codable, Sendable, Hashable, CustomStringConvertible {
    case level(Int)
    case size

    public static let built: [OptimizationLevel] = [.level(2), .level(3), .size]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .level(number)
        } else if try container.decode(String.self) == "s" {
            self = .size
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be 2, 3 or \"s\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .level(let number): try container.encode(number)
        case .size: try container.encode("s")
        }
    }

    /// `2`, `3`, `s`: as the compiler's `-O` flag spells it.
    public var description: String {
        switch self {
        case .level(let number): String(number)
        case .size: "s"
        }
    }

    /// Why this level is not built; nil when it is.
    public var problem: String? {
        if Self.built.contains(self) { return nil }
        return "the kernel builds at 2 (-O2), 3 (-O3) or \"s\" (-Os); it does not build without optimisation (0, 1)"
    }
}
