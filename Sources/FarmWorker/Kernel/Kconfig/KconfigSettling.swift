import FarmModel
import Foundation
import Synchronization

/// One build's way from its fragment to a final .config: the fragment
/// grows by what the resolver enables, round after round of `olddefconfig`,
/// until nothing more can be enabled; then the required symbols must all
/// hold, and optional ones that do not become warnings. Shared by the
/// initialization steps of one attempt.
final class KconfigSettling: Sendable {
    /// Kconfig chains are short (EXT4_FS → BLOCK; DUMMY → NETDEVICES → NET_CORE); this only stops a loop.
    static let maxRounds = 10

    private struct State {
        var fragment = KconfigFragment()
        var enabled: [BuildFindings.EnabledSymbol] = []
        var warnings: [String] = []
        var rounds = 0
    }

    private let state = Mutex(State())

    var fragment: KconfigFragment { state.withLock { $0.fragment } }

    func start(_ fragment: KconfigFragment, warnings: [String]) {
        state.withLock { $0 = State(fragment: fragment, warnings: warnings) }
    }

    /// Adds what the dropped entries need; nothing once `maxRounds` have run.
    func nextRound(_ config: DotConfig, resolver: KconfigDependencyResolver) -> [BuildFindings.EnabledSymbol] {
        state.withLock { state in
            guard state.rounds < Self.maxRounds else { return [] }
            state.rounds += 1
            let added = resolver.round(&state.fragment, config: config)
            state.enabled += added
            return added
        }
    }

    /// Fails naming every required symbol Kconfig dropped and why; records
    /// the optional ones as warnings. Answers the findings.
    func verify(_ config: DotConfig, resolver: KconfigDependencyResolver) throws -> BuildFindings {
        try state.withLock { state in
            let dropped = state.fragment.dropped(from: config)
            let failures = dropped.filter(\.required).map { entry in
                "CONFIG_\(entry.symbol)=\(entry.value) (\(entry.origin)) was dropped by Kconfig: \(resolver.explain(entry, config: config))"
            }
            if !failures.isEmpty { throw CheckFailed(failures.joined(separator: "; ")) }
            for entry in dropped {
                state.warnings.append("optional \(entry.origin): CONFIG_\(entry.symbol)=\(entry.value) was dropped by Kconfig "
                                      + "(\(resolver.explain(entry, config: config))); the build goes on without it")
            }
            return BuildFindings(enabledDependencies: state.enabled, warnings: state.warnings)
        }
    }
}
