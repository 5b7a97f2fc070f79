/// How the NVIDIA device plugin names the devices it registers with the kubelet (its
/// `DEVICE_ID_STRATEGY`, `deviceIDStrategy` in its Helm values). The kubelet hands these ids to
/// pods and reports them through PodResources.
public enum DeviceIDStrategy: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The device's UUID (`MIG-…` for a MIG device): the plugin's and the GPU Operator's default.
    case uuid
    /// `<gpu index>:<MIG device index>` for a MIG device (`0:0`, `0:1`, `1:0`, …), numbered in
    /// NVML's enumeration order of the GPU's MIG devices when the plugin registers.
    case index

    public var description: String { rawValue }

    /// The id the plugin registers for MIG device `migIndex` of GPU `gpu`, whose UUID is `uuid`.
    public func deviceID(gpu: Int, migIndex: Int, uuid: String) -> String {
        switch self {
        case .uuid: uuid
        case .index: "\(gpu):\(migIndex)"
        }
    }
}
