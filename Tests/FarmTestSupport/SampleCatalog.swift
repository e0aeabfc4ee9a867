import FarmModel

extension KernelModuleCatalog {
    /// A small hand-written catalog with the modules the contract's
    /// configuration names (ext4, btrfs) and one with a parameter (dummy).
    public static func sample(series: String = "6.1") -> KernelModuleCatalog {
        KernelModuleCatalog(series: series, modules: [
            KernelModuleInfo(name: "ext4", path: "fs/ext4", symbol: "EXT4_FS", type: "tristate",
                             prompt: "The Extended 4 (ext4) filesystem", dependsOn: ["BLOCK"], parameters: []),
            KernelModuleInfo(name: "btrfs", path: "fs/btrfs", symbol: "BTRFS_FS", type: "tristate",
                             prompt: "Btrfs filesystem support", dependsOn: ["BLOCK"], parameters: []),
            KernelModuleInfo(name: "dummy", path: "drivers/net/dummy", symbol: "DUMMY", type: "tristate",
                             prompt: "Dummy net driver support", dependsOn: ["NETDEVICES", "NET_CORE"],
                             parameters: [KernelModuleParameter(name: "numdummies", type: "int",
                                                                description: "Number of dummy pseudo devices")]),
        ])
    }
}
