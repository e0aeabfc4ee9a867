import FarmModel
import Foundation
import Synchronization

/// What the worker reads from a kernel tree once and keeps: the series'
/// module catalog (also on disk beside the tree, so a restarted worker does
/// not read the tree again), each architecture's Kconfig index and its
/// device-tree platforms.
final class KernelTreeIndexes: Sendable {
    private let catalogs = Mutex<[String: KernelModuleCatalog]>([:])
    private let kconfigs = Mutex<[String: KconfigIndex]>([:])
    private let deviceTrees = Mutex<[String: DeviceTreePlatforms]>([:])

    /// Bump with the reader: an older file beside the tree is read again.
    static let catalogFile = "kfarm-module-catalog-2.json"

    func catalog(of tree: URL, series: String) -> KernelModuleCatalog {
        if let known = catalogs.withLock({ $0[tree.path] }) { return known }
        let file = tree.deletingLastPathComponent().appendingPathComponent(Self.catalogFile)
        let catalog = (try? Data(contentsOf: file)).flatMap { try? JSONDecoder().decode(KernelModuleCatalog.self, from: $0) }
            .flatMap { $0.series == series ? $0 : nil }
            ?? {
                let read = ModuleCatalogReader(tree: tree).read(series: series)
                try? JSONEncoder().encode(read).write(to: file, options: .atomic)
                return read
            }()
        catalogs.withLock { $0[tree.path] = catalog }
        return catalog
    }

    func kconfig(of tree: URL, kernelArch: String) -> KconfigIndex {
        Self.kept(in: kconfigs, "\(tree.path) \(kernelArch)") { KconfigIndex(tree: tree, kernelArch: kernelArch) }
    }

    func deviceTrees(of tree: URL, kernelArch: String) -> DeviceTreePlatforms {
        Self.kept(in: deviceTrees, "\(tree.path) \(kernelArch)") { DeviceTreePlatforms(tree: tree, kernelArch: kernelArch) }
    }

    /// What `memo` holds for `key`, made by `read` the first time (outside the lock: reading a tree takes seconds).
    private static func kept<Value: Sendable>(in memo: borrowing Mutex<[String: Value]>, _ key: String, _ read: () -> Value) -> Value {
        if let known = memo.withLock({ $0[key] }) { return known }
        let value = read()
        memo.withLock { $0[key] = value }
        return value
    }
}
