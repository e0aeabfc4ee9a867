import FarmModel
import Foundation

/// The C files a module at `path` is built from: its composite object's
/// list (`ext4-y := balloc.o …`, `name-objs`) in the Makefile that builds
/// it, else every C file of its directory, else `<path>.c`. Each directory's
/// Makefile is read once (a catalog asks about thousands of modules).
struct ModuleSources {
    let tree: URL
    private var composites: [String: [String: [String]]] = [:]

    init(tree: URL) {
        self.tree = tree
    }

    mutating func files(at path: String) -> [URL] {
        let location = tree.appendingPathComponent(path)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: location.path, isDirectory: &isDirectory)
        let directory = exists && isDirectory.boolValue ? location : location.deletingLastPathComponent()
        let listed = (compositeObjects(in: directory)[location.lastPathComponent] ?? [])
            .map { directory.appendingPathComponent($0).appendingPathExtension("c") }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        if !listed.isEmpty { return listed }
        if exists && isDirectory.boolValue {
            return ((try? FileManager.default.contentsOfDirectory(at: location, includingPropertiesForKeys: nil)) ?? [])
                .filter { $0.pathExtension == "c" }.sorted { $0.path < $1.path }
        }
        let single = location.appendingPathExtension("c")
        return FileManager.default.fileExists(atPath: single.path) ? [single] : []
    }

    /// The C sources' parameter declarations (`ModuleParameterScanner`),
    /// decoding only the files that mention `module_param` at all.
    mutating func parameters(at path: String) -> [KernelModuleParameter] {
        var seen: Set<String> = []
        return files(at: path).flatMap { file -> [KernelModuleParameter] in
            guard let data = try? Data(contentsOf: file), data.range(of: Self.marker) != nil else { return [] }
            return ModuleParameterScanner.parameters(in: String(decoding: data, as: UTF8.self))
        }.filter { seen.insert($0.name).inserted }
    }

    private static let marker = Data("module_param".utf8)

    /// Object stems per composite name, from `name-y`, `name-objs` and `name-$(CONFIG_…)` lines of the directory's Makefile or Kbuild.
    private mutating func compositeObjects(in directory: URL) -> [String: [String]] {
        if let known = composites[directory.path] { return known }
        var objects: [String: [String]] = [:]
        for file in ["Makefile", "Kbuild"] {
            guard let text = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .isoLatin1) else { continue }
            for line in KbuildSymbols.logicalLines(text) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard let assignment = trimmed.range(of: "+=") ?? trimmed.range(of: ":=") ?? trimmed.range(of: "=") else { continue }
                let target = trimmed[..<assignment.lowerBound].trimmingCharacters(in: .whitespaces)
                let kinds = ["-y", "-objs"]
                guard let kind = kinds.first(where: target.hasSuffix) ?? (target.contains("-$(CONFIG_") ? "-$(CONFIG_" : nil),
                      let cut = target.range(of: kind, options: .backwards) else { continue }
                let name = String(target[..<cut.lowerBound])
                guard !name.isEmpty, !name.hasPrefix("obj"), !name.contains("$") else { continue }
                objects[name, default: []] += trimmed[assignment.upperBound...].split(whereSeparator: { $0 == " " || $0 == "\t" })
                    .filter { $0.hasSuffix(".o") }.map { String($0.dropLast(2)) }
            }
        }
        composites[directory.path] = objects
        return objects
    }
}
