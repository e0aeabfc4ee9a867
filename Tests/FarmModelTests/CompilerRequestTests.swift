import FarmModel
import Testing

@Suite struct CompilerRequestTests {
    let offers = ["gcc-11.3.0", "gcc-12.2.0", "clang-16.0.6"]

    @Test(arguments: [
        ("gcc", "gcc-12.2.0"), ("gcc-12", "gcc-12.2.0"), ("gcc-12.2", "gcc-12.2.0"), ("gcc-12.2.0", "gcc-12.2.0"),
        ("gcc-11", "gcc-11.3.0"), ("GCC-11", "gcc-11.3.0"), ("clang", "clang-16.0.6"), ("clang-16", "clang-16.0.6"),
        ("clang-16.0.6", "clang-16.0.6"),
    ])
    func theMostSpecificMatchWinsAndTheNewestAmongThem(asked: String, gets: String) throws {
        #expect(try #require(CompilerRequest(asked)).best(of: offers) == gets)
    }

    @Test(arguments: ["gcc-1", "gcc-12.2.1", "gcc-13", "clang-15", "icc", "gcc-12.2.0.1"])
    func versionsMatchByWholePartsOnly(asked: String) throws {
        #expect(try #require(CompilerRequest(asked)).best(of: offers) == nil)
    }

    @Test(arguments: ["", "gcc-", "gcc-12..2", "gcc-12.", "-12", "gcc 12", "gcc-12-2", "gcc; rm -rf /", "gcc-1234567890",
                      String(repeating: "g", count: 65)])
    func malformedRequestsAreRefused(text: String) {
        #expect(CompilerRequest(text) == nil)
    }

    @Test func aRequestPrintsAsItWasMeant() {
        #expect(CompilerRequest("GCC-012.2")?.description == "gcc-12.2")
    }
}
