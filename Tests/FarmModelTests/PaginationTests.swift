import FarmModel
import Foundation
import Testing

@Suite struct PaginationTests {
    @Test func pagesRoundUp() throws {
        #expect(Pagination(total: 42, request: try PageRequest(page: 1, limit: 10)).pages == 5)
        #expect(Pagination(total: 40, request: try PageRequest(page: 1, limit: 10)).pages == 4)
        #expect(Pagination(total: 0, request: try PageRequest(page: 1, limit: 10)).pages == 0)
        #expect(try PageRequest(page: 3, limit: 10).offset == 20)
    }

    @Test(arguments: [(0, 10), (-1, 10), (1, 0), (1, PageRequest.maxLimit + 1)])
    func rejectsOutOfRange(page: Int, limit: Int) {
        #expect(throws: ValidationError.self) { try PageRequest(page: page, limit: limit) }
    }

    @Test func lowercaseUUIDEncodesLowercase() throws {
        let id = UUID()
        let data = try JSONEncoder().encode(UserRef(id: id, username: "a"))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(id.uuidString.lowercased()))
        #expect(!text.contains(id.uuidString))
        #expect(try JSONDecoder().decode(UserRef.self, from: data).id == id)
    }

    @Test func rolesAreOrdered() {
        #expect(ProjectRole.viewer < .developer)
        #expect(ProjectRole.developer < .release_manager)
        #expect(ProjectRole.release_manager < .admin)
    }
}

@Suite struct ExplicitNullTests {
    @Test func absentValuesAreWrittenAsNullAndReadBack() throws {
        let module = ConfigModule(id: UUID(), name: "ext4", path: nil, isBuiltin: true, isRequired: false, parameters: [:])
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(module)) as? [String: Any])
        #expect(object.keys.contains("path"))
        #expect(object["path"] is NSNull)
        #expect(try JSONDecoder().decode(ConfigModule.self, from: JSONEncoder().encode(module)) == module)
        let withoutKey = #"{"id":"\#(UUID().uuidString)","version":"1.0.0","createdAt":0,"isLocked":false}"#
        #expect(try JSONDecoder().decode(ConfigurationVersion.self, from: Data(withoutKey.utf8)).lockedAt == nil)
    }
}

@Suite struct TimestampTests {
    @Test(arguments: ["2026-01-01T00:00:00Z", "2026-01-01t00:00:00z", "2026-01-01T01:00:00+01:00",
                      "2026-01-01T00:00:00.250Z", "2025-12-31T23:00:00-01:00"])
    func parsesRFC3339Forms(_ text: String) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(abs(date.timeIntervalSince1970 - 1_767_225_600) < 1)
    }

    @Test(arguments: ["yesterday", "2026-01-01", "2026-13-01T00:00:00Z", "",
                      "300000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "0000-01-01T00:00:00Z"])
    func rejectsOthers(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test(arguments: ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999Z"])
    func takesTheFarmsFirstAndLastYears(_ text: String) {
        #expect(Timestamp.parse(text) != nil)
    }
}
