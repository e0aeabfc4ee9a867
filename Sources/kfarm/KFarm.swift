import ArgumentParser

@main
struct KFarm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kfarm",
        abstract: "A build farm for Linux kernels.",
        discussion: """
            People's commands (login, configs, modules, build, builds, logs, artifacts, lineage, diff, deploy, deployments, systems, workers) talk to a farm's API as \
            `kfarm login` saved it, or as KFARM_URL and KFARM_TOKEN say. The farm's own commands \
            (serve, worker, agent, migrate, admin) take the database from --database-url or \
            KFARM_DATABASE_URL, e.g. postgres://kfarm@127.0.0.1:54329/kfarm.
            """,
        subcommands: [Login.self, Configs.self, Modules.self, BuildCommand.self, Builds.self, Logs.self, Artifacts.self,
                      Lineage.self, Diff.self, Deploy.self, Deployments.self, Systems.self, Workers.self,
                      Serve.self, Worker.self, Agent.self, Migrate.self, Admin.self, Bench.self])
}
