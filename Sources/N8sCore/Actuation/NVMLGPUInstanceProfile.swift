/// One GPU-instance profile of one GPU, from NVML.
public struct NVMLGPUInstanceProfile: Sendable, Hashable {
    /// `NVML_GPU_INSTANCE_PROFILE_*` constant (0…0x11).
    public var constant: UInt32
    /// `info.id`: the id of the placement, create and list calls.
    public var id: UInt32
    /// NVIDIA's name, e.g. `1g.10gb`, `1g.10gb+me`.
    public var name: String
    public var computeSlices: Int
    public var maxCount: Int
    public var memoryMiB: Int
    /// Placement-grid units an instance occupies.
    public var placementSize: Int
    /// Allowed starts, ascending.
    public var placements: [Int]

    public init(constant: UInt32, id: UInt32, name: String, computeSlices: Int, maxCount: Int, memoryMiB: Int, placementSize: Int, placements: [Int]) {
        self.constant = constant
        self.id = id
        self.name = name
        self.computeSlices = computeSlices
        self.maxCount = maxCount
        self.memoryMiB = memoryMiB
        self.placementSize = placementSize
        self.placements = placements
    }
}
