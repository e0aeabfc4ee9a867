import FarmMachine
import FarmModel
import Foundation
import Testing

/// The worker offers what its data files name and this machine really
/// runs: gcc-12 and clang-16 for each architecture, gcc-11 where Debian
/// ships it, each with the compiler's own words.
@Suite struct ToolchainProbeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let architectures = root.appendingPathComponent("workers/architectures")
    static let toolchains = root.appendingPathComponent("workers/toolchains")

    @Test func eachInstalledCompilerIsOfferedForEachOfItsArchitecturesWithItsVersionAndItsOwnWords() async throws {
        var skipped: [String] = []
        let installed = await InstalledToolchain.probe(try ArchitectureSpec.load(from: Self.architectures),
                                                       try ToolchainSpec.load(from: Self.toolchains)) { which, why in
            skipped.append("\(which): \(why)")
        }
        #expect(skipped.isEmpty, "\(skipped)")
        let offers = Set(installed.map { "\($0.architecture.rawValue) \($0.compilerVersion.prefix { $0 != "." })" })
        #expect(offers == ["x86_64 gcc-12", "arm64 gcc-12", "riscv64 gcc-12", "x86_64 gcc-11", "arm64 gcc-11",
                           "x86_64 clang-16", "arm64 clang-16", "riscv64 clang-16"])
        for toolchain in installed {
            #expect(toolchain.compilerVersion.wholeMatch(of: /(gcc|clang)-\d+\.\d+\.\d+/) != nil, "\(toolchain.compilerVersion)")
            let version = String(toolchain.compilerVersion.drop { $0 != "-" }.dropFirst())
            #expect(toolchain.banner.contains(version), "\(toolchain.banner)")
            if toolchain.toolchain.compiler == "gcc" {
                #expect(toolchain.banner.hasPrefix(toolchain.compilerExecutable), "\(toolchain.banner)")
            }
        }
        // clang names its target through ARCH (LLVM=-16), gcc through its cross prefix.
        let clang = try #require(installed.first { $0.architecture == .arm64 && $0.toolchain.compiler == "clang" })
        #expect(clang.compilerExecutable == "clang-16" && clang.makeVariables == ["LLVM": "-16"])
        let gcc = try #require(installed.first { $0.architecture == .arm64 && $0.compilerVersion.hasPrefix("gcc-12") })
        #expect(gcc.compilerExecutable == "aarch64-linux-gnu-gcc-12" && gcc.makeVariables == ["CROSS_COMPILE": "aarch64-linux-gnu-"])
    }

    @Test func aCompilerThatIsNotThereIsSkippedSayingWhy() async throws {
        var target = try #require(try ArchitectureSpec.load(from: Self.architectures).first)
        target.crossCompile = "no-such-target-"
        let gcc = try #require(try ToolchainSpec.load(from: Self.toolchains).first { $0.executable.hasPrefix("{crossCompile}") })
        var skipped: [String] = []
        let installed = await InstalledToolchain.probe([target], [gcc]) { _, why in skipped.append(why) }
        #expect(installed.isEmpty && skipped.count == 1)
    }

    /// A build routed to a toolchain gets exactly it; one that names none gets the newest gcc.
    @Test func aDispatchedBuildRunsWithItsToolchainOrTheNewestGcc() throws {
        let target = try #require(try ArchitectureSpec.load(from: Self.architectures).first { $0.architecture == .x86_64 })
        let files = try ToolchainSpec.load(from: Self.toolchains)
        let installed = ["gcc-11.3.0", "clang-16.0.6", "gcc-12.2.0"].map { version in
            InstalledToolchain(target: target, toolchain: files.first { version.hasPrefix($0.compiler) }!, compilerVersion: version)
        }
        #expect(InstalledToolchain.pick(nil, for: .x86_64, among: installed)?.compilerVersion == "gcc-12.2.0")
        #expect(InstalledToolchain.pick("gcc-11.3.0", for: .x86_64, among: installed)?.compilerVersion == "gcc-11.3.0")
        #expect(InstalledToolchain.pick("clang-16.0.6", for: .x86_64, among: installed)?.compilerVersion == "clang-16.0.6")
        #expect(InstalledToolchain.pick("clang-17.0.1", for: .x86_64, among: installed) == nil)
        #expect(InstalledToolchain.pick(nil, for: .arm64, among: installed) == nil)
    }

    /// Adding an architecture is adding a file, but the farm's enum and the
    /// database's constraint must know its name: this fails when they and the data disagree.
    @Test func theDataFilesAndTheCodeAgreeOnTheArchitectures() throws {
        let files = Set(try ArchitectureSpec.load(from: Self.architectures).map(\.architecture))
        #expect(files == Set(Architecture.allCases))
        for toolchain in try ToolchainSpec.load(from: Self.toolchains) {
            #expect(Set(toolchain.architectures).isSubset(of: files), "\(toolchain.executable)")
        }
        let migration = try String(contentsOf: Self.root.appendingPathComponent("Sources/FarmStore/Migrations/0002_configurations.sql"),
                                   encoding: .utf8)
        let check = try #require(migration.firstMatch(of: /architecture\s+text NOT NULL CHECK \(architecture IN \(([^)]*)\)\)/))
        let allowed = Set(check.1.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " '")) })
        #expect(allowed == Set(Architecture.allCases.map(\.rawValue)))
    }

    @Test func aCompilerWhoseOtherProgramsAreMissingIsSkippedNamingThem() async throws {
        let targets = try ArchitectureSpec.load(from: Self.architectures).filter { $0.architecture == .riscv64 }
        var clang = try #require(try ToolchainSpec.load(from: Self.toolchains).first { $0.compiler == "clang" })
        clang.requires.append("ld.lld-99")
        var skipped: [String] = []
        let installed = await InstalledToolchain.probe(targets, [clang]) { _, why in skipped.append(why) }
        #expect(installed.isEmpty && skipped == ["needs ld.lld-99, not installed"], "\(skipped)")
    }

    /// A toolchain file may not hold another placeholder than {crossCompile},
    /// nor set what the worker sets itself (CC, ARCH, O): it would silently win.
    @Test(arguments: [
        (#"{"compiler": "gcc", "executable": "{prefix}gcc", "versionArguments": [], "make": {}, "requires": [], "architectures": []}"#,
         "the only placeholder is {crossCompile}"),
        (#"{"compiler": "gcc", "executable": "gcc", "versionArguments": [], "make": {"O": "/etc"}, "requires": [], "architectures": []}"#,
         "make variable O"),
        (#"{"compiler": "gcc", "executable": "gcc", "versionArguments": [], "make": {"-j1 X": "y"}, "requires": [], "architectures": []}"#,
         "make variable -j1 X"),
    ])
    func aToolchainFileThatBendsTheRulesIsRefused(file: String, reason: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kfarm-toolchains-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try file.write(to: folder.appendingPathComponent("bad.json"), atomically: true, encoding: .utf8)
        let error = #expect(throws: MachineError.self) { try ToolchainSpec.load(from: folder) }
        #expect(error.map { "\($0)" }?.contains(reason) == true, "\(String(describing: error))")
    }
}
