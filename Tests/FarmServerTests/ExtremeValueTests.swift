import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// Issue 14: a date of year 300000 trapped in the database driver and took
/// the server down. Every date and number a client sends is bounded where it
/// is read: extreme values are a 400 naming the field, and the server answers
/// on. (A trap here would end the test process, not just fail a check.)
@Suite struct ExtremeValueTests {
    /// Dates outside the farm's years 1970 to 9999, and things that are not dates at all.
    static let impossibleDates: [any Sendable] = [
        "300000-01-01T00:00:00Z", "99999-12-31T23:59:59Z", "10000-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z", "-000001-01-01T00:00:00Z", "+300000-01-01T00:00:00Z", 1e308, -1, Int64.max, "",
    ]
    /// Numbers no count, size or index of the farm can be.
    static let impossibleNumbers: [any Sendable] = [Int64.max, Int64.min, 1e308, -1e308, -1, 9.5, "12"]
    static let impossibleQueryNumbers = ["9223372036854775807", "9223372036854775808", "-9223372036854775808", "-1",
                                         "1e308", "0x10", "NaN", ""]

    @Test func theIssuesYear300000TokenIsRefusedAndTheServerAnswersOn() async throws {
        try await withAPI { api, fixtures in
            let user = try await fixtures.account()
            let reply = try await api.send(.post, "/users/\(user.user.id.lowercased)/tokens", as: user,
                                           json: json(["name": "far", "expiresAt": "300000-01-01T00:00:00Z"]))
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "VALIDATION_ERROR" && reply.invalidFields["expiresAt"] != nil, "\(reply.object)")
            #expect(try await api.send(.get, "/users/me", as: user).status == .ok)
        }
    }

    @Test func everyDateInputIsBounded() async throws {
        try await withAPI { api, fixtures in
            let user = try await fixtures.account()
            let admin = try await fixtures.account(.admin)
            let releaseManager = try await fixtures.account()
            for date in Self.impossibleDates + ["9999-12-31T23:59:59Z"] {
                let token = try await api.send(.post, "/users/\(user.user.id.lowercased)/tokens", as: user,
                                               json: json(["name": "t", "expiresAt": date]))
                #expect(token.status == .badRequest && token.invalidFields["expiresAt"] != nil, "expiresAt \(date)")
            }
            let tenYears = Date().addingTimeInterval(11 * 365 * 24 * 3600).formatted(.iso8601)
            let tooLong = try await api.send(.post, "/users/\(user.user.id.lowercased)/tokens", as: user,
                                             json: json(["name": "t", "expiresAt": tenYears]))
            #expect(tooLong.invalidFields["expiresAt"] == "must be within ten years from now")
            for date in Self.impossibleDates {
                let deployment = try await api.send(.post, "/deployments", as: releaseManager, json: json([
                    "buildArtifactId": UUID().lowercased, "targetSystems": [UUID().lowercased], "scheduleFor": date,
                ]))
                #expect(deployment.status == .badRequest && deployment.invalidFields["scheduleFor"] != nil, "scheduleFor \(date)")
            }
            for date in Self.impossibleDates.compactMap({ $0 as? String }) {
                let encoded = date.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? date
                for parameter in ["createdAfter", "createdBefore"] {
                    let reply = try await api.send(.get, "/artifacts?\(parameter)=\(encoded)", as: user)
                    #expect(reply.status == .badRequest && reply.invalidFields[parameter] != nil, "\(parameter) \(date)")
                }
                for parameter in ["since", "until"] {
                    let reply = try await api.send(.get, "/audit?\(parameter)=\(encoded)", as: admin)
                    #expect(reply.status == .badRequest && reply.invalidFields[parameter] != nil, "\(parameter) \(date)")
                }
            }
            #expect(try await api.send(.get, "/artifacts?createdAfter=9999-12-31T23:59:59Z", as: user).status == .ok)
            #expect(try await api.send(.get, "/users/me", as: user).status == .ok)
        }
    }

    @Test func everyNumberInputIsBounded() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .release_manager)])
            let version = try await fixtures.configuration(in: project, by: developer).versions[0].id
            let build = try await fixtures.store.builds.submit(NewBuild(configVersionId: version), by: developer.user.id)
            let (secret, _) = try await fixtures.workerToken()
            let worker: HTTPFields = [.authorization: "Bearer \(secret)", .contentType: "application/json"]
            for value in Self.impossibleQueryNumbers {
                let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
                for path in ["/artifacts?page=", "/artifacts?limit=", "/builds?page=", "/configurations?limit=",
                             "/builds/\(build.id.lowercased)/logs?after=", "/builds/\(build.id.lowercased)/logs?limit=",
                             "/builds/\(build.id.lowercased)/logs?attempt=", "/builds/\(build.id.lowercased)/events?after="] {
                    let reply = try await api.send(.get, path + encoded, as: developer)
                    #expect(reply.status == .badRequest, "\(path)\(value)")
                }
            }
            for value in Self.impossibleNumbers {
                for option in ["maxParallelSystems", "maxFailurePercentage"] {
                    let reply = try await api.send(.post, "/deployments", as: developer, json: json([
                        "buildArtifactId": UUID().lowercased, "targetSystems": [UUID().lowercased],
                        "options": [option: value],
                    ]))
                    #expect(reply.status == .badRequest, "\(option) \(value)")
                }
                for field in ["cores", "memoryMb"] {
                    var registration: [String: Any] = ["name": Fixtures.unique("w"), "cores": 2, "memoryMb": 4096,
                                                       "toolchains": [["architecture": "x86_64", "compiler": "gcc-12.2.0"]]]
                    registration[field] = value
                    let reply = try await api.send(.post, "/workers", headers: worker, body: json(registration))
                    #expect(reply.status == .badRequest, "\(field) \(value)")
                }
                for path in ["claim", "heartbeat"] {
                    let reply = try await api.send(.post, "/builds/\(build.id.lowercased)/\(path)", headers: worker,
                                                   body: json(["workerId": UUID().lowercased, "attempt": value]))
                    #expect((400..<500).contains(reply.status.code), "\(path) attempt \(value): \(reply.status)")
                }
            }
            #expect(try await api.send(.get, "/users/me", as: developer).status == .ok)
        }
    }
}
