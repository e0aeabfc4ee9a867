import Foundation
import Testing

/// `../shared/design/ARCHITECTURE.md`'s dependency rule, read from
/// `Package.swift`: FarmModel depends on nothing; workers and agents never
/// import FarmStore; FarmWorker and FarmAgent depend on FarmMachine, never
/// on each other; only FarmServer (and `kfarm migrate`) touch PostgreSQL.
/// "Depends" follows targets through other targets: a path counts as an edge.
@Suite struct DependencyRuleTests {
    static let machines = ["FarmMachine", "FarmWorker", "FarmAgent"]
    let targets: PackageTargets

    init() throws {
        targets = try PackageTargets.read()
    }

    @Test func farmModelDependsOnNothing() {
        #expect(targets.dependencies["FarmModel"] == [], "FarmModel → \(targets.dependencies["FarmModel"] ?? []): FarmModel depends on nothing")
    }

    @Test(arguments: machines, ["FarmStore", "FarmServer"])
    func machinesStayOffTheServer(machine: String, server: String) {
        #expect(targets.path(from: machine, to: server) == nil,
                "\(targets.describe(from: machine, to: server)): workers and agents never import the server's side")
    }

    @Test(arguments: [("FarmWorker", "FarmAgent"), ("FarmAgent", "FarmWorker")])
    func workerAndAgentStayApart(from: String, to: String) {
        #expect(targets.path(from: from, to: to) == nil,
                "\(targets.describe(from: from, to: to)): the build worker and the deployment agent share FarmMachine, not each other")
    }

    @Test(arguments: ["FarmWorker", "FarmAgent"])
    func machinesShareTheMachineLayer(machine: String) {
        #expect(targets.dependencies[machine]?.contains("FarmMachine") == true,
                "\(machine) does not depend on FarmMachine: both machines take the HTTP client, commands and toolchains from there")
    }

    /// Test targets may read the database; of the shipped targets only these do.
    @Test func onlyTheServerSideTouchesTheStore() {
        let allowed: Set = ["FarmStore", "FarmServer", "FarmTestSupport", "kfarm"]
        for target in targets.shipped.subtracting(allowed).sorted() {
            #expect(targets.path(from: target, to: "FarmStore") == nil,
                    "\(targets.describe(from: target, to: "FarmStore")): only FarmServer, FarmTestSupport and kfarm (migrate) touch PostgreSQL")
        }
    }
}

/// The targets `Package.swift` declares and the targets (not products) each depends on.
struct PackageTargets {
    var dependencies: [String: [String]] = [:]
    /// Targets that are not test targets.
    var shipped: Set<String> = []

    static func read() throws -> PackageTargets {
        let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Package.swift")
        return PackageTargets(manifest: try String(contentsOf: manifest, encoding: .utf8))
    }

    /// Each `.target(`, `.executableTarget(`, `.testTarget(` or `.systemLibrary(` call's
    /// `name:` and the quoted names in its `dependencies: [...]` outside `.product(...)`.
    init(manifest: String) {
        let declaration = /\.(target|executableTarget|testTarget|systemLibrary)\(/
        for match in manifest.matches(of: declaration) {
            let call = Self.balanced(manifest[match.range.upperBound...], open: "(", close: ")")
            guard let name = call.firstMatch(of: /name:\s*"([^"]+)"/)?.output.1 else { continue }
            var list = ""
            if let start = call.firstMatch(of: /dependencies:\s*\[/) {
                list = String(Self.balanced(call[start.range.upperBound...], open: "[", close: "]"))
                    .replacing(/\.product\([^)]*\)/, with: "")
            }
            dependencies[String(name)] = list.matches(of: /"([^"]+)"/).map { String($0.output.1) }
            if match.output.1 != "testTarget" { shipped.insert(String(name)) }
        }
    }

    /// The text up to the bracket that closes one already opened.
    private static func balanced(_ text: Substring, open: Character, close: Character) -> Substring {
        var depth = 1
        for index in text.indices {
            if text[index] == open { depth += 1 }
            if text[index] == close { depth -= 1 }
            if depth == 0 { return text[..<index] }
        }
        return text
    }

    /// The targets from `from` to `to` along dependencies, nil when `to` is out of reach.
    func path(from: String, to: String) -> [String]? {
        var paths = [from: [from]]
        var queue = [from]
        while !queue.isEmpty {
            let target = queue.removeFirst()
            for next in dependencies[target] ?? [] where paths[next] == nil {
                paths[next] = paths[target]! + [next]
                if next == to { return paths[next] }
                queue.append(next)
            }
        }
        return nil
    }

    /// The offending edge as `A → B → C`.
    func describe(from: String, to: String) -> String {
        (path(from: from, to: to) ?? [from, to]).joined(separator: " → ")
    }
}
