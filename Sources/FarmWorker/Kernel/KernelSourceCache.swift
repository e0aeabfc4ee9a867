import FarmMachine
import FarmModel
import Foundation

/// Where kernel source trees come from. The Debian provider is the first;
/// a tarball or git provider implements the same two questions.
public protocol KernelSourceProvider: Sendable {
    /// The kernel series this provider can build, e.g. `6.1`.
    var series: [String] { get }
    /// The read-only tree for `baseVersion`, nil when this provider has none.
    func tree(for baseVersion: String) -> URL?
    /// The step that makes `tree(for:)` exist (unpacks it once; a no-op after).
    func prepare(for baseVersion: String) -> BuildStep?
    /// What names the exact source of `baseVersion`'s tree (e.g. the tarball's
    /// sha256), for the build cache's key: another source, another key.
    func identity(for baseVersion: String) throws -> String
}

/// Debian's `linux-source-6.1` package: the tarball in /usr/src is unpacked
/// once into the cache (into a temporary directory, then renamed: builds
/// racing to unpack it agree on one tree) and reused read-only by every
/// build, which writes only to its own `O=` directory.
public struct DebianKernelSource: KernelSourceProvider {
    public let tarballs: URL
    public let cache: URL

    public init(tarballs: URL = URL(fileURLWithPath: "/usr/src"), cache: URL) {
        self.tarballs = tarballs
        self.cache = cache
    }

    public var series: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tarballs.path)) ?? []
        return names.compactMap { name -> String? in
            guard name.hasPrefix("linux-source-"), name.hasSuffix(".tar.xz") else { return nil }
            return String(name.dropFirst("linux-source-".count).dropLast(".tar.xz".count))
        }.sorted()
    }

    public func tree(for baseVersion: String) -> URL? {
        let series = KernelSeries.of(baseVersion)
        guard self.series.contains(series) else { return nil }
        return cache.appendingPathComponent("linux-\(series)").appendingPathComponent("linux-source-\(series)")
    }

    public func prepare(for baseVersion: String) -> BuildStep? {
        guard let tree = tree(for: baseVersion) else { return nil }
        let series = KernelSeries.of(baseVersion)
        let tarball = tarballs.appendingPathComponent("linux-source-\(series).tar.xz")
        let target = tree.deletingLastPathComponent()
        // Arguments, not interpolation: paths never become shell code.
        let script = """
            set -e
            if [ ! -d "$2" ]; then
              mkdir -p "$(dirname "$2")"
              staging=$(mktemp -d "$2.unpacking.XXXXXX")
              tar -xJf "$1" -C "$staging"
              mv -T "$staging" "$2" 2>/dev/null || { [ -d "$2" ] && rm -rf "$staging"; }
            fi
            # mktemp made it private; sandboxed builds read it as another user.
            chmod 755 "$2"
            """
        return .trusted(Command("sh", ["-c", script, "kfarm-unpack", tarball.path, target.path]))
    }

    /// `linux-source-6.1.tar.xz sha256:<hex>`; the hash is computed once per
    /// tarball and kept in the cache beside the tree (keyed by the tarball's
    /// size and modification time, so an upgraded package is hashed again).
    public func identity(for baseVersion: String) throws -> String {
        let series = KernelSeries.of(baseVersion)
        let tarball = tarballs.appendingPathComponent("linux-source-\(series).tar.xz")
        let attributes = try FileManager.default.attributesOfItem(atPath: tarball.path)
        let stamp = "\((attributes[.size] as? Int) ?? 0)-\(Int((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0))"
        let memo = cache.appendingPathComponent("linux-\(series).\(stamp).sha256")
        if let known = try? String(contentsOf: memo, encoding: .utf8), known.count == 64 {
            return "\(tarball.lastPathComponent) sha256:\(known)"
        }
        let digest = try FileHash.sha256(of: tarball)
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try digest.write(to: memo, atomically: true, encoding: .utf8)
        return "\(tarball.lastPathComponent) sha256:\(digest)"
    }
}
