import FarmMachine
import FarmModel
import Foundation

/// Builds the kernel-shaped fixture tree (`fixtures/kernel-tree`) with the
/// real toolchain through the five stages: configure, image, modules,
/// install into the staging directory, and check that the image and the
/// module really are ELF files for the build's architecture.
public struct FixtureRecipe: BuildRecipe {
    public init() {}

    public func steps(for stage: BuildStage, build: BuildRecord, plan: BuildPlan, in workspace: Workspace) -> [BuildStep] {
        switch stage {
        case .initialization:
            [.run(workspace.make(["defconfig"])), .run(workspace.make(["olddefconfig"]))]
        case .compiling_core:
            [.run(workspace.make(["image"]))]
        case .compiling_modules:
            [.run(workspace.make(["modules"]))]
        case .packaging:
            [.run(workspace.make(["modules_install"], variables: ["INSTALL_MOD_PATH": workspace.staging.path])),
             .run(Command("install", ["-D", "-m", "644", workspace.output.appendingPathComponent("vmlinux").path,
                                      workspace.staging.appendingPathComponent("boot/vmlinux").path]))]
        case .testing:
            [.check("image and module are \(workspace.toolchain.architecture.rawValue) ELF files") {
                for file in ["boot/vmlinux", "lib/modules/fixture/hello.ko"] {
                    try ELFHeader.require(workspace.staging.appendingPathComponent(file), of: workspace, named: file,
                                          machine: workspace.toolchain.target.elfMachine)
                }
            }]
        }
    }
}
