import ArgumentParser
import FarmModel

/// The git repositories kernels may come from: the server refuses other
/// configurations' sources, and workers refuse to fetch them.
struct GitSourceOptions: ParsableArguments {
    @Option(name: .customLong("git-allow"), help: ArgumentHelp(
        "A URL prefix of git repositories kernels may be built from (repeatable).",
        discussion: """
            e.g. https://git.kernel.org/pub/scm/linux/kernel/git/ or file:///srv/git/ (local repositories \
            only under that directory). A prefix ends at a path boundary. Without any, configurations may \
            only use the workers' kernel source package.
            """, valueName: "prefix"))
    var gitAllow: [String] = []

    var allowList: GitAllowList { GitAllowList(gitAllow) }

    func validate() throws {
        for prefix in gitAllow where GitSource.urlRule.problem(with: prefix) != nil {
            throw ValidationError("--git-allow \(prefix): \(GitSource.urlRule.problem(with: prefix) ?? "")")
        }
    }
}
