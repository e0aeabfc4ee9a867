import ArgumentParser

@main
struct KFarm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kfarm",
        abstract: "A build farm for Linux kernels.",
        discussion: """
            The database is named by --database-url or KFARM_DATABASE_URL,
            e.g. postgres://kfarm@127.0.0.1:54329/kfarm.
            """,
        subcommands: [Serve.self, Worker.self, Agent.self, Migrate.self, Admin.self, Bench.self])
}
