import FarmModel
import FarmStore
import FarmTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// Issue 14's findings at the API: a stored .config that runs a command
/// through `$(shell …)`, and one that packs a host directory into the image
/// through `CONFIG_INITRAMFS_SOURCE` (also as a module parameter), are
/// refused naming the line or field, and nothing is stored.
@Suite struct HostileKconfigTests {
    private func storedConfigBody(_ project: Project, _ config: String) -> String {
        json(["name": Fixtures.unique("k"), "baseVersion": "6.1", "architecture": "x86_64",
              "projectId": project.id.lowercased, "baseConfig": "stored", "storedConfig": config])
    }

    @Test func storedConfigsThatRunCommandsOrReadHostFilesAreRefused() async throws {
        try await withAPI { api, fixtures in
            let developer = try await fixtures.account()
            let project = try await fixtures.project(members: [(developer, .developer)])
            let head = "CONFIG_64BIT=y\nCONFIG_BLK_DEV_INITRD=y\n"
            let attacks = [
                (#"CONFIG_INITRAMFS_SOURCE="usr/initramfs_list $(shell touch /tmp/kfarm-pwned)""#, "line 3"),
                (#"CONFIG_INITRAMFS_SOURCE="/etc/kfarm""#, "line 3"),
                (#"CONFIG_INITRAMFS_SOURCE="../../../../root""#, "line 3"),
                (#"CONFIG_EXTRA_FIRMWARE_DIR="/var/lib/kfarm""#, "line 3"),
                (#"CONFIG_LOCALVERSION="-`id`""#, "line 3"),
            ]
            for (line, named) in attacks {
                let reply = try await api.send(.post, "/configurations", as: developer, json: storedConfigBody(project, head + line + "\n"))
                #expect(reply.status == .badRequest, "\(line)")
                #expect(reply.invalidFields["storedConfig"]?.hasPrefix(named) == true, "\(reply.invalidFields)")
            }
            let parameter = try await api.send(.post, "/configurations", as: developer, json: json([
                "name": Fixtures.unique("k"), "baseVersion": "6.1", "architecture": "x86_64", "projectId": project.id.lowercased,
                "modules": [["name": "initramfs", "path": "usr", "isBuiltin": true,
                             "parameters": ["CONFIG_INITRAMFS_SOURCE": "/home/kfarm/.config"]]],
            ]))
            #expect(parameter.status == .badRequest)
            #expect(parameter.invalidFields["modules[0].parameters.CONFIG_INITRAMFS_SOURCE"] != nil)

            let stored = try await fixtures.store.client.query(
                "SELECT count(*) FROM configurations WHERE project_id = \(project.id)").collect().map { try $0.decode(Int.self) }
            #expect(stored == [0])
            let fine = try await api.send(.post, "/configurations", as: developer, json: storedConfigBody(
                project, head + #"CONFIG_INITRAMFS_SOURCE="usr/initramfs_list""# + "\n" + #"CONFIG_DEFAULT_HOSTNAME="(none)""# + "\n"))
            #expect(fine.status == .created)
        }
    }
}
