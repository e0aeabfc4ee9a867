import FarmMachine
import FarmModel
import Foundation

/// Debian's `linux-source-6.1` package: the tarball in /usr/src is unpacked
/// once into the cache (into a temporary directory, then renamed: builds
/// racing to unpack it agree on one tree) and reused read-only by every
/// build, which writes only to its own `O=` directory.
public struct DebianKernelSource: Sendable {
    public let tarballs: URL
    public let cache: URL

    public init(tarballs: URL = URL(fileURLWithPath: "/usr/src"), cache: URL) {
        self.tarballs = tarballs
        self.cache = cache
    }

    /// The kernel series it has a tarball of, e.g. `6.1`.
    public var series: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tarballs.path)) ?? []
        return names.compactMap { name -> String? in
            guard name.hasPrefix("linux-source-"), name.hasSuffix(".tar.xz") else { return nil }
            return String(name.dropFirst("linux-source-".count).dropLast(".tar.xz".count))
        }.sorted()
    }

    /// The tree of `baseVersion`'s series, unpacked first when it is not yet.
    public func checkout(_ baseVersion: String, log: @escaping @Sendable ([String]) -> Void) async throws -> CheckedOutSource {
        guard let tree = tree(for: baseVersion), let unpack = unpack(for: baseVersion) else {
            throw CheckFailed("this worker has no kernel source for \(baseVersion); it builds "
                              + series.map { "\($0).x" }.joined(separator: ", "))
        }
        if !FileManager.default.fileExists(atPath: tree.path) {
            log(["unpacking linux-source-\(KernelSeries.of(baseVersion)).tar.xz into the source cache"])
        }
        let status = try await CommandRunner.run(unpack, onLines: log)
        guard status == 0 else { throw CheckFailed("unpacking the \(KernelSeries.of(baseVersion)) source exited with status \(status)") }
        return CheckedOutSource(tree: tree, identity: try identity(for: baseVersion))
    }

    func tree(for baseVersion: String) -> URL? {
        let series = KernelSeries.of(baseVersion)
        guard self.series.contains(series) else { return nil }
        return cache.appendingPathComponent("linux-\(series)").appendingPathComponent("linux-source-\(series)")
    }

    /// Unpacks the tarball once (a no-op after).
    func unpack(for baseVersion: String) -> Command? {
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
        return Command("sh", ["-c", script, "kfarm-unpack", tarball.path, target.path])
    }

    /// `linux-source-6.1.tar.xz sha256:<hex>`; the hash is computed once per
    /// tarball and kept in the cache beside the tree (keyed by the tarball's
    /// size and modification time, so an upgraded package is hashed again).
    func identity(for baseVersion: String) throws -> String {
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
