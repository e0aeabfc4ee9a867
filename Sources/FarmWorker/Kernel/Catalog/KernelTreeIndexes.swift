import FarmModel
import Foundation
import Synchronization

/// What the worker reads from a kernel tree once and keeps: the series'
/// module catalog (also on disk beside the tree, so a restarted worker does
/// not read the tree again) and each architecture's Kconfig index.
final class KernelTreeIndexes: Sendable {
    private let catalogs = Mutex<[String: KernelModuleCatalog]>([:])
    private let kconfigs = Mutex<[String: KconfigIndex]>([:])

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
        let key = "\(tree.path) \(kernelArch)"
        if let known = kconfigs.withLock({ $0[key] }) { return known }
        let index = KconfigIndex(tree: tree, kernelArch: kernelArch)
        kconfigs.withLock { $0[key] = index }
        return index
    }
}
