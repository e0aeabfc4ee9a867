import FarmModel

/// A Kconfig dependency expression (`NET && (NETDEVICES || COMPILE_TEST)`,
/// `!X`, `A=y`), evaluated in Kconfig's three-valued logic against a
/// .config: n = 0, m = 1, y = 2.
indirect enum KconfigExpression: Equatable, CustomStringConvertible {
    case symbol(String)
    case not(KconfigExpression)
    case and(KconfigExpression, KconfigExpression)
    case or(KconfigExpression, KconfigExpression)
    /// `A = B`, `A != B` and the orderings, on the symbols' values or literals.
    case compare(String, String, String)

    /// Parses `text`; nil when it is not an expression this parser reads
    /// (macros such as `$(cc-option,…)` read as an unknown symbol).
    init?(_ text: String) {
        var parser = Parser(tokens: Self.tokens(text))
        guard let expression = parser.orExpression(), parser.index == parser.tokens.count else { return nil }
        self = expression
    }

    var description: String {
        switch self {
        case .symbol(let name): name
        case .not(let inner): "!\(inner.parenthesised)"
        case .and(let left, let right): "\(left.parenthesised) && \(right.parenthesised)"
        case .or(let left, let right): "\(left) || \(right)"
        case .compare(let left, let op, let right): "\(left)\(op)\(right)"
        }
    }

    private var parenthesised: String {
        if case .or = self { return "(\(self))" }
        return description
    }

    /// The expression's value against `config`.
    func value(in config: DotConfig) -> Int {
        switch self {
        case .symbol(let name): Self.tristate(name, config)
        case .not(let inner): 2 - inner.value(in: config)
        case .and(let left, let right): min(left.value(in: config), right.value(in: config))
        case .or(let left, let right): max(left.value(in: config), right.value(in: config))
        case .compare(let left, let op, let right):
            Self.compare(Self.text(left, config), op, Self.text(right, config)) ? 2 : 0
        }
    }

    static func tristate(_ name: String, _ config: DotConfig) -> Int {
        switch name == "y" || name == "m" || name == "n" ? name : config.value(of: name) {
        case "y": 2
        case "m": 1
        default: 0
        }
    }

    /// A symbol's value as text (`n` when unset), or the literal itself.
    private static func text(_ operand: String, _ config: DotConfig) -> String {
        if operand.hasPrefix("\"") { return String(operand.dropFirst().dropLast()) }
        guard KconfigAssignment.isSymbol(operand), !["y", "m", "n"].contains(operand), Int(operand) == nil else { return operand }
        let value = config.value(of: operand)
        return value.hasPrefix("\"") ? String(value.dropFirst().dropLast()) : value
    }

    private static func compare(_ left: String, _ op: String, _ right: String) -> Bool {
        switch op {
        case "=": return left == right
        case "!=": return left != right
        default:
            let order: (Int, Int)? = Int(left).flatMap { l in Int(right).map { (l, $0) } }
                ?? { let rank = ["n": 0, "m": 1, "y": 2]; return rank[left].flatMap { l in rank[right].map { (l, $0) } } }()
            guard let (l, r) = order else { return false }
            switch op {
            case "<": return l < r
            case "<=": return l <= r
            case ">": return l > r
            default: return l >= r
            }
        }
    }

    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var rest = Substring(text)
        while let first = rest.first {
            if first.isWhitespace {
                rest = rest.dropFirst()
            } else if first == "\"" {
                let end = rest.dropFirst().firstIndex(of: "\"") ?? rest.endIndex
                let token = rest[rest.startIndex..<min(rest.index(after: end), rest.endIndex)]
                tokens.append(String(token))
                rest = rest[token.endIndex...]
            } else if first == "$" {
                // A macro: one opaque token up to its matching parenthesis.
                var depth = 0
                var end = rest.startIndex
                for index in rest.indices {
                    end = rest.index(after: index)
                    if rest[index] == "(" { depth += 1 }
                    if rest[index] == ")" { depth -= 1; if depth == 0 { break } }
                }
                tokens.append(String(rest[rest.startIndex..<end]))
                rest = rest[end...]
            } else if let op = ["&&", "||", "!=", "<=", ">="].first(where: { rest.hasPrefix($0) }) {
                tokens.append(op)
                rest = rest.dropFirst(2)
            } else if "!()=<>".contains(first) {
                tokens.append(String(first))
                rest = rest.dropFirst()
            } else {
                let word = rest.prefix { !$0.isWhitespace && !"!()=<>&|\"".contains($0) }
                tokens.append(String(word.isEmpty ? rest.prefix(1) : word))
                rest = rest.dropFirst(max(word.count, 1))
            }
        }
        return tokens
    }

    private struct Parser {
        let tokens: [String]
        var index = 0

        mutating func orExpression() -> KconfigExpression? {
            guard var left = andExpression() else { return nil }
            while peek == "||" {
                index += 1
                guard let right = andExpression() else { return nil }
                left = .or(left, right)
            }
            return left
        }

        mutating func andExpression() -> KconfigExpression? {
            guard var left = unary() else { return nil }
            while peek == "&&" {
                index += 1
                guard let right = unary() else { return nil }
                left = .and(left, right)
            }
            return left
        }

        mutating func unary() -> KconfigExpression? {
            guard let token = peek else { return nil }
            index += 1
            if token == "!" { return unary().map(KconfigExpression.not) }
            if token == "(" {
                let inner = orExpression()
                guard peek == ")" else { return nil }
                index += 1
                return inner
            }
            guard !["&&", "||", ")", "=", "!=", "<", "<=", ">", ">="].contains(token) else { return nil }
            if let op = peek, ["=", "!=", "<", "<=", ">", ">="].contains(op), index + 1 < tokens.count {
                index += 2
                return .compare(token, op, tokens[index - 1])
            }
            return .symbol(token)
        }

        var peek: String? { index < tokens.count ? tokens[index] : nil }
    }
}
