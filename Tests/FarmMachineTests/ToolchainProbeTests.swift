import FarmMachine
import Foundation
import Testing

/// The worker offers what its toolchain files name and this machine really
/// runs: Debian's gcc 12 for each architecture, with the compiler's own words.
@Suite struct ToolchainProbeTests {
    static let toolchains = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("workers/toolchains")

    @Test func eachInstalledCompilerIsOfferedWithItsVersionAndItsOwnWords() async throws {
        let specs = try ToolchainSpec.load(from: Self.toolchains)
        var skipped: [String] = []
        let installed = await InstalledToolchain.probe(specs) { spec, why in skipped.append("\(spec.architecture): \(why)") }
        #expect(skipped.isEmpty, "\(skipped)")
        for toolchain in installed {
            #expect(toolchain.compilerVersion.wholeMatch(of: /gcc-\d+\.\d+\.\d+/) != nil, "\(toolchain.compilerVersion)")
            let version = toolchain.compilerVersion.dropFirst("gcc-".count)
            #expect(toolchain.banner.hasPrefix(toolchain.spec.compilerExecutable) && toolchain.banner.hasSuffix(String(version)),
                    "\(toolchain.banner)")
        }
    }

    @Test func aCompilerThatIsNotThereIsSkippedSayingWhy() async throws {
        var spec = try #require(try ToolchainSpec.load(from: Self.toolchains).first)
        spec.crossCompile = "no-such-target-"
        var skipped: [String] = []
        let installed = await InstalledToolchain.probe([spec]) { _, why in skipped.append(why) }
        #expect(installed.isEmpty && skipped.count == 1)
    }
}
