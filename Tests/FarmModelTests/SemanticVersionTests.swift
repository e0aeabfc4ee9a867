import FarmModel
import Testing

@Suite struct SemanticVersionTests {
    @Test(arguments: ["1.0.0", "0.0.1", "10.20.30", "1.10.0"])
    func parsesValidVersions(_ text: String) throws {
        let version = try #require(SemanticVersion(text))
        #expect(version.description == text)
    }

    @Test(arguments: ["", "1", "1.0", "1.0.0.0", "01.0.0", "1.02.0", "a.b.c", "1.0.0-rc1", "1..0", "-1.0.0", "1.0.0\n"])
    func rejectsInvalidVersions(_ text: String) {
        #expect(SemanticVersion(text) == nil)
    }

    @Test func ordersNumericallyNotLexically() throws {
        let versions = ["1.10.0", "1.2.0", "1.9.9", "2.0.0", "1.2.10"].compactMap(SemanticVersion.init)
        #expect(versions.sorted().map(\.description) == ["1.2.0", "1.2.10", "1.9.9", "1.10.0", "2.0.0"])
    }

    @Test func nextMinorResetsPatch() throws {
        #expect(try #require(SemanticVersion("1.4.7")).nextMinor().description == "1.5.0")
    }
}
