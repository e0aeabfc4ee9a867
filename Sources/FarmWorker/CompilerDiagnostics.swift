import FarmModel
import Foundation
import Synchronization

/// Counts the compiler's `warning:` and `error:` lines in a build's output,
/// for the artifact's metadata.json.
public final class CompilerDiagnostics: Sendable {
    private let counts = Mutex((warnings: 0, errors: 0))

    public init() {}

    public var warnings: Int { counts.withLock { $0.warnings } }
    public var errors: Int { counts.withLock { $0.errors } }

    /// gcc's form: `file.c:12:5: warning: …` (also `fatal error:`).
    public func observe(_ lines: [String]) {
        var warnings = 0, errors = 0
        for line in lines {
            if line.contains(": warning: ") {
                warnings += 1
            } else if line.contains(": error: ") || line.contains(": fatal error: ") {
                errors += 1
            }
        }
        if warnings + errors > 0 { counts.withLock { $0.warnings += warnings; $0.errors += errors } }
    }
}

/// ccache's per-build statistics log (`CCACHE_STATSLOG`): one block per
/// compilation, whose counters say whether it was a hit or a miss.
enum CcacheStatsLog {
    static func parse(_ text: String) -> ArtifactMetadata.CcacheStats {
        var hits = 0, misses = 0
        for line in text.split(separator: "\n") {
            switch line {
            case "direct_cache_hit", "preprocessed_cache_hit": hits += 1
            case "cache_miss": misses += 1
            default: break
            }
        }
        return ArtifactMetadata.CcacheStats(hits: hits, misses: misses)
    }
}
