import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// Target systems: release managers add them to their project; members list and read them.
struct SystemRoutes {
    let store: Store
    let access: AccessPolicy

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/systems", .project(.release_manager)) { request, context in
                let body = try await request.decodeJSON(as: NewTargetSystem.self, context: context)
                try await access.authorize(body.projectId, context)
                return try Response.success(try await store.systems.create(body, by: try context.requireUser().id), status: .created)
            },
            Endpoint(.get, "/systems", .user) { request, context in
                let filter = SystemRepository.Filter(
                    architecture: try request.query(
                        "arch", expected: "one of: \(Architecture.allowedValues.joined(separator: ", "))", Architecture.init(rawValue:)),
                    label: try request.query("label", expected: "key=value, or a key, as labels are written") { text in
                        // Split on the scalar: "=" followed by a combining mark is one Character.
                        let parts = text.unicodeScalars.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                            .map { String(String.UnicodeScalarView($0)) }
                        let value = parts.count == 2 ? parts[1] : nil
                        guard NewTargetSystem.labelKeyRule.problem(with: parts[0]) == nil,
                              value.map({ NewTargetSystem.labelValueRule.problem(with: $0) == nil }) ?? true else { return nil }
                        return (parts[0], value)
                    },
                    status: try request.query(
                        "status", expected: "one of: \(TargetSystem.Status.allCases.map(\.rawValue).joined(separator: ", "))",
                        TargetSystem.Status.init(rawValue:)),
                    projectID: try request.query("project_id", expected: "a UUID", UUID.init(uuidString:)))
                let page = try await store.systems.list(filter, visibleTo: try context.requireUser(), page: try request.pageRequest())
                return try Response.success(Listing(key: "systems", page: page))
            },
            Endpoint(.get, "/systems/:id", .project(.viewer)) { _, context in
                let id = try await access.visible("targetSystem", context, project: store.systems.project(ofSystem:))
                guard let system = try await store.systems.find(id: id) else { throw APIError.notFound("targetSystem", id.lowercased) }
                return try Response.success(system)
            },
        ]
    }
}
