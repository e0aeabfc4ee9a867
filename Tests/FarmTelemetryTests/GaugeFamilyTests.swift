import FarmTelemetry
import Foundation
import Testing

@Suite struct GaugeFamilyTests {
    private func exposition() -> String {
        String(decoding: MetricsRegistry.exposition(), as: UTF8.self)
    }

    @Test func labelSetsMissingFromANewCountGoToZero() {
        MetricsRegistry.bootstrap()
        let name = "kfarm_test_depth_\(UUID().uuidString.prefix(8).lowercased())"
        let family = GaugeFamily(name, dimensions: ["architecture", "priority"])
        family.set([["x86_64", "high"]: 3, ["arm64", "low"]: 1])
        #expect(exposition().contains(#"\#(name){architecture="x86_64",priority="high"} 3"#))
        #expect(exposition().contains(#"\#(name){architecture="arm64",priority="low"} 1"#))
        family.set([["arm64", "low"]: 2])
        #expect(exposition().contains(#"\#(name){architecture="x86_64",priority="high"} 0"#), "\(exposition())")
        #expect(exposition().contains(#"\#(name){architecture="arm64",priority="low"} 2"#))
    }

    @Test func labelSetsNamedAsZerosAreReportedWithoutACount() {
        MetricsRegistry.bootstrap()
        let name = "kfarm_test_status_\(UUID().uuidString.prefix(8).lowercased())"
        GaugeFamily(name, dimensions: ["status"]).set([["queued"]: 2], zeros: [["queued"], ["failed"]])
        #expect(exposition().contains(#"\#(name){status="queued"} 2"#))
        #expect(exposition().contains(#"\#(name){status="failed"} 0"#))
    }
}
