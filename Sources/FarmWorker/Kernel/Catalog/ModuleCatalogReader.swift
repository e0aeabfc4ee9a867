import FarmModel
import Foundation

/// Reads a kernel series' module catalog from its tree: every object a
/// Kbuild Makefile builds under a Kconfig symbol (`obj-$(CONFIG_EXT4_FS) +=
/// ext4.o` in fs/ext4/Makefile is `ext4` at `fs/ext4`; `obj-$(CONFIG_DUMMY)
/// += dummy.o` in drivers/net/Makefile is `dummy` at `drivers/net/dummy`),
/// with the symbol's type, prompt and conditions from Kconfig and the
/// parameters its sources declare. Where two objects share a name as the
/// farm matches names (`ModuleResolution.key`: case, `-` and `_` alike;
/// netfilter's `xt_DSCP` and `xt_dscp`), a loadable (tristate) one wins,
/// then the shorter path.
public struct ModuleCatalogReader {
    public let tree: URL

    public init(tree: URL) {
        self.tree = tree
    }

    public func read(series: String) -> KernelModuleCatalog {
        let index = KconfigIndex(tree: tree, kernelArch: nil)
        var chosen: [String: KernelModuleInfo] = [:]
        for (directory, symbol, name) in builtObjects() {
            guard let entry = index[symbol], let type = entry.type, ["tristate", "bool"].contains(type) else { continue }
            let path = (directory as NSString).lastPathComponent == name ? directory : "\(directory)/\(name)"
            guard FieldRule.moduleName.problem(with: name) == nil, FieldRule.kernelPath.problem(with: path) == nil else { continue }
            let key = ModuleResolution.key(name)
            if let other = chosen[key], !Self.prefer(type: type, path: path, over: other) { continue }
            chosen[key] = KernelModuleInfo(name: name, path: path, symbol: symbol, type: type,
                                           prompt: entry.prompt.map { String($0.prefix(KernelModuleCatalog.maxText)) },
                                           dependsOn: entry.conditions.prefix(64).map { String($0.expression.prefix(KernelModuleCatalog.maxText)) },
                                           parameters: [])
        }
        var sources = ModuleSources(tree: tree)
        let modules = chosen.values.sorted { $0.name < $1.name }.map { module in
            var described = module
            described.parameters = Array(sources.parameters(at: module.path).prefix(KernelModuleCatalog.maxParameters))
            return described
        }
        return KernelModuleCatalog(series: series, modules: modules)
    }

    private static func prefer(type: String, path: String, over other: KernelModuleInfo) -> Bool {
        if (type == "tristate") != other.isLoadable { return type == "tristate" }
        return (path.count, path) < (other.path.count, other.path)
    }

    /// (directory, symbol, object stem) for each `obj-$(CONFIG_X) += name.o` in the tree's Makefiles and Kbuild files.
    private func builtObjects() -> [(String, String, String)] {
        let skipped = Set(["Documentation", "tools", "samples", "scripts", "LICENSES", "usr", "include"])
        let makefiles = KernelTreeFiles.files(in: tree, skipping: { $0.count == 1 && skipped.contains(String($0[0])) },
                                              where: { ["Makefile", "Kbuild"].contains($0.lastPathComponent) })
        var objects: [(String, String, String)] = []
        for url in makefiles {
            let directory = (String(url.path.dropFirst(tree.path.count + 1)) as NSString).deletingLastPathComponent
            guard !directory.isEmpty, let text = try? String(contentsOf: url, encoding: .isoLatin1) else { continue }
            for line in KbuildSymbols.logicalLines(text) {
                guard let (symbol, built) = KbuildSymbols.assignment(in: line) else { continue }
                for object in built where object.hasSuffix(".o") && !object.contains("$") && !object.contains("/") {
                    objects.append((directory, symbol, String(object.dropLast(2))))
                }
            }
        }
        return objects
    }
}
