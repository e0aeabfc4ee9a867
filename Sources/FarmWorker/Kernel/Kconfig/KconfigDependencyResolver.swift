import FarmModel

/// Enables what the requested symbols need, with the kernel's own Kconfig
/// as the judge: after `olddefconfig`, each fragment entry that did not keep
/// its value has its unmet conditions read (`depends on BLOCK`, `if
/// NETDEVICES`), and the choosable symbols they name are added to the
/// fragment (`BLOCK=y for EXT4_FS`). The recipe merges and runs
/// `olddefconfig` again until a round adds nothing. A condition no choice
/// can meet — a symbol without a prompt (another architecture's `ARM_AMBA`),
/// a `!X` conflict, a macro — is reported as the reason instead.
struct KconfigDependencyResolver {
    let index: KconfigIndex

    /// What a condition needs to hold.
    enum Need: Equatable {
        case met
        case enable([String])
        case blocked(String)
    }

    /// One round: adds to `fragment` what the dropped entries' unmet
    /// conditions need, and answers what was added.
    func round(_ fragment: inout KconfigFragment, config: DotConfig) -> [BuildFindings.EnabledSymbol] {
        var enabled: [BuildFindings.EnabledSymbol] = []
        for entry in fragment.dropped(from: config) {
            guard let level = Self.level(entry.value), let symbol = index[entry.symbol] else { continue }
            for condition in conditions(of: symbol) {
                guard case .enable(let symbols) = need(condition, level: level, config: config) else { continue }
                for needed in symbols where fragment.enable(needed, for: entry) {
                    enabled.append(.init(symbol: needed, value: "y", neededBy: entry.symbol, origin: entry.origin))
                }
            }
        }
        return enabled
    }

    /// Why Kconfig dropped `entry`: each unmet condition, with what blocks it.
    func explain(_ entry: KconfigFragment.Entry, config: DotConfig) -> String {
        guard let symbol = index[entry.symbol] else { return "no such Kconfig symbol in this kernel" }
        let level = Self.level(entry.value) ?? 2
        let unmet = conditions(of: symbol).compactMap { condition -> String? in
            switch need(condition, level: level, config: config) {
            case .met: nil
            case .enable: condition.description
            case .blocked(let why): "\(condition) (\(why))"
            }
        }
        return unmet.isEmpty ? "no unmet `depends on`" : unmet.joined(separator: "; ")
    }

    /// The entry's conditions, and its prompt's own `if` when it has one.
    private func conditions(of symbol: KconfigIndex.Entry) -> [KconfigIndex.Condition] {
        symbol.conditions + (symbol.promptCondition.map { [KconfigIndex.Condition(kind: .ifBlock, expression: $0)] } ?? [])
    }

    private func need(_ condition: KconfigIndex.Condition, level: Int, config: DotConfig) -> Need {
        guard let expression = KconfigExpression(condition.expression) else {
            return .blocked("not an expression kfarm reads")
        }
        return need(expression, level: level, config: config)
    }

    /// What makes `expression` at least `level` (1: m, 2: y) in `config`.
    func need(_ expression: KconfigExpression, level: Int, config: DotConfig) -> Need {
        if expression.value(in: config) >= level { return .met }
        switch expression {
        case .symbol(let name):
            return choosable(name)
        case .and(let left, let right):
            let needs = [need(left, level: level, config: config), need(right, level: level, config: config)]
            if let blocked = needs.first(where: { if case .blocked = $0 { true } else { false } }) { return blocked }
            return .enable(needs.flatMap { need -> [String] in
                guard case .enable(let names) = need else { return [] }
                return names
            })
        case .or(let left, let right):
            let first = need(left, level: level, config: config)
            if case .enable = first { return first }
            let second = need(right, level: level, config: config)
            if case .enable = second { return second }
            return first
        case .compare(let name, let op, let value) where (op == "=" && ["y", "m"].contains(value)) || (op == "!=" && value == "n"):
            return choosable(name)
        case .not(let inner):
            return .blocked("conflicts with \(inner), which is set")
        case .compare:
            return .blocked("\(expression) does not hold")
        }
    }

    /// A symbol a fragment may enable: one with a prompt, and not COMPILE_TEST
    /// (which would build drivers for hardware this kernel cannot run on).
    private func choosable(_ name: String) -> Need {
        if ["n", "m", "y"].contains(name) { return .blocked("never holds here") }
        guard let symbol = index[name] else { return .blocked("\(name) is not a Kconfig symbol of this kernel and architecture") }
        guard symbol.isChoosable, name != "COMPILE_TEST", ["bool", "tristate"].contains(symbol.type ?? "") else {
            return .blocked("\(name) cannot be chosen: it has no prompt, only the architecture or other options select it")
        }
        return .enable([name])
    }

    private static func level(_ value: String) -> Int? {
        switch value {
        case "y": 2
        case "m": 1
        default: nil
        }
    }
}
