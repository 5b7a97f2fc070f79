/// A MIG-capable GPU model: its placement grid and GPU-instance profiles.
///
/// Source: one entry of the catalog (`mig-profiles.yaml`). Placement-grid units are the
/// "memory slices" of design.md section 4 (8 on A100/H100/H200/B200, 4 on A30, 12 on RTX PRO 6000).
public struct GPUModel: Sendable, Hashable {
    /// Catalog id, e.g. `a100-40gb`.
    public var id: String
    /// Product strings NVML reports (`nvmlDeviceGetName`), e.g. `NVIDIA A100-SXM4-40GB`.
    public var products: [String]
    /// GPU Feature Discovery `nvidia.com/gpu.product` values, e.g. `NVIDIA-A100-SXM4-40GB`.
    public var productLabels: [String]
    /// Placement-grid units; `nil` when the catalog does not know (the model cannot be planned).
    public var gridSize: Int?
    /// Compute slices of the whole GPU (7 on A100/H100, 4 on A30).
    public var computeSlices: Int
    /// The catalog's verification note, e.g. `verified`, `profiles verified, placements inferred`.
    public var verification: String
    /// Profiles in catalog order; base profiles and variants.
    public var profiles: [MIGProfile]

    public init(
        id: String,
        products: [String] = [],
        productLabels: [String] = [],
        gridSize: Int?,
        computeSlices: Int,
        verification: String = "verified",
        profiles: [MIGProfile]
    ) {
        self.id = id
        self.products = products
        self.productLabels = productLabels
        self.gridSize = gridSize
        self.computeSlices = computeSlices
        self.verification = verification
        self.profiles = profiles
    }

    /// The profile of that name: NVIDIA form (`1g.10gb+me`) or resource form (`1g.10gb.me`).
    public func profile(named name: String) -> MIGProfile? {
        profiles.first { $0.name == name } ?? profiles.first { $0.resourceForm == name }
    }

    /// Profiles layouts may use: placeable ones, variants only when `includingVariants`.
    public func placeableProfiles(includingVariants: Bool = false) -> [MIGProfile] {
        profiles.filter { $0.isPlaceable && (includingVariants || !$0.isVariant) }
    }

    /// `true` when the grid and at least one base profile's placements are known.
    public var isPlannable: Bool { gridSize != nil && !placeableProfiles().isEmpty }

    /// The base profile spanning the whole grid (`7g.40gb` on A100-40GB): what an idle GPU gets.
    public var fullGPUProfile: MIGProfile? {
        placeableProfiles().first { $0.placementSize == gridSize && $0.placements == [0] }
    }

    /// `true` when the catalog marks names and placements as verified against real NVML output.
    public var hasVerifiedPlacements: Bool {
        let v = verification.lowercased()
        return v.hasPrefix("verified") || v.hasPrefix("names/placements verified")
    }
}
