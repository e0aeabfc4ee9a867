import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Testing

@Suite struct HostileInputTests {
    private func configurationCount(_ project: Project, _ fixtures: Fixtures) async throws -> Int {
        try await fixtures.store.client.query("SELECT count(*) FROM configurations WHERE project_id = \(project.id)")
            .collect().map { try $0.decode(Int.self) }.first ?? -1
    }

    private func body(_ project: Project, modules: [[String: Any]]) -> String {
        json(["name": Fixtures.unique("h"), "baseVersion": "6.1", "architecture": "x86_64",
              "projectId": project.id.lowercased, "modules": modules])
    }

    @Test func kconfigAndShellInjectionIsRefusedNamingTheField() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let attempts: [([String: Any], String)] = [
                (["name": "ext4\nCONFIG_MODULES=n"], "modules[0].name"),
                (["name": "ext4#"], "modules[0].name"),
                (["name": "$(reboot)"], "modules[0].name"),
                (["name": "ok", "path": "fs/ext4\n# CONFIG_EXT4_FS is not set"], "modules[0].path"),
                (["name": "ok", "path": "fs/$(curl)"], "modules[0].path"),
                (["name": "ok", "path": "../../../../etc/shadow"], "modules[0].path"),
                (["name": "ok", "path": "fs/..%2f..%2fetc"], "modules[0].path"),
                (["name": "ok", "path": "/etc/passwd"], "modules[0].path"),
                (["name": "ok", "parameters": ["mode": "y\nCONFIG_EVIL=y"]], "modules[0].parameters.mode"),
                (["name": "ok", "parameters": ["mode": "# comment"]], "modules[0].parameters.mode"),
                (["name": "ok", "parameters": ["mode": "$(shell reboot)"]], "modules[0].parameters.mode"),
                (["name": "ok", "parameters": ["mode": "a\" CONFIG_X=\"y"]], "modules[0].parameters.mode"),
                (["name": "ok", "parameters": ["mode": "`id`"]], "modules[0].parameters.mode"),
                (["name": "ok", "parameters": ["list": ["fine", "$(x)"]]], "modules[0].parameters.list"),
                (["name": "ok", "parameters": ["CONFIG_X=y\n": 1]], "modules[0].parameters"),
            ]
            for (module, field) in attempts {
                let reply = try await api.send(.post, "/configurations", as: developer, json: body(project, modules: [module]))
                #expect(reply.status == .badRequest, "\(module)")
                #expect(reply.invalidFields[field] != nil, "\(field) not named in \(reply.invalidFields)")
            }
            #expect(try await configurationCount(project, fixtures) == 0)
            let fine = try await api.send(.post, "/configurations", as: developer,
                                          json: body(project, modules: [["name": "ok", "parameters": ["mode": "a-b_c.d,e/f (g)"]]]))
            #expect(fine.status == .created)
        }
    }

    @Test func sqlInjectionIsEitherRefusedOrStoredAsPlainText() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let evil = "x'); DROP TABLE configurations; --"
            let created = try await api.send(.post, "/configurations", as: developer, json: json([
                "name": evil, "description": "' OR '1'='1", "baseVersion": "6.1", "architecture": "x86_64",
                "projectId": project.id.lowercased,
            ]))
            #expect(created.status == .created)
            let id = try #require(created.data["id"] as? String)
            let read = try await api.send(.get, "/configurations/\(id)", as: developer)
            #expect(read.data["name"] as? String == evil)
            #expect(read.data["description"] as? String == "' OR '1'='1")
            for query in ["project_id=' OR 1=1 --", "architecture=x86_64' OR '1'='1", "page=1;DELETE FROM users",
                          "limit=10 UNION SELECT * FROM api_tokens"] {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
                let reply = try await api.send(.get, "/configurations?\(encoded)", as: developer)
                #expect(reply.status == .badRequest, "\(query)")
            }
            #expect(try await configurationCount(project, fixtures) == 1, "the table is still there, with its one row")
        }
    }

    @Test func malformedBodiesAreClearErrorsNotCrashes() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            let invalidUTF8 = String(decoding: [0x7B, 0x22, 0x6E, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], as: UTF8.self)
            let cases: [(String, HTTPResponse.Status)] = [
                ("{\"name\": \(deep)}", .badRequest),
                (deep, .badRequest),
                (invalidUTF8, .badRequest),
                ("", .badRequest),
                ("null", .badRequest),
                ("{\"name\": \"" + String(repeating: "a", count: 1 << 21) + "\"}", .contentTooLarge),
            ]
            for (text, status) in cases {
                let reply = try await api.send(.post, "/configurations", as: developer, json: text)
                #expect(reply.status == status, "\(text.prefix(40))")
                #expect(reply.object["status"] as? String == "error")
            }
            // Raw invalid UTF-8 bytes, not the replacement characters a Swift string would carry.
            let raw = try await api.client.execute(
                uri: "/configurations", method: .post,
                headers: [.authorization: developer.authorization, .contentType: "application/json"],
                body: ByteBuffer(bytes: [0x7B, 0x22, 0x6E, 0x61, 0x6D, 0x65, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D]))
            #expect(raw.status == .badRequest)
            #expect(try await configurationCount(project, fixtures) == 0)
        }
    }

    @Test func requestDataNeverBecomesAResponseHeader() async throws {
        try await withAPI { api, fixtures in
            let viewer = try await fixtures.account()
            let reply = try await api.send(.get, "/configurations/%0d%0aX-Injected:%20yes", as: viewer)
            #expect(reply.status == .badRequest)
            #expect(reply.headers[HTTPField.Name("X-Injected")!] == nil)
            let names = reply.headers.map(\.name.canonicalName)
            #expect(Set(names).isSubset(of: ["content-type", "content-length", "x-ratelimit-limit",
                                             "x-ratelimit-remaining", "x-ratelimit-reset", "x-request-id"]), "\(names)")
            #expect(UUID(uuidString: reply.headers[HTTPField.Name("X-Request-Id")!] ?? "") != nil, "the request offered no id: the server made one")
        }
    }
}
