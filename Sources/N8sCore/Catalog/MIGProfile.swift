/// One GPU-instance profile of a GPU model, as NVML reports it (`nvidia-smi mig -lgip` and `-lgipp`).
///
/// Source: the catalog file `mig-profiles.yaml` (facts from NVIDIA's MIG user guide, NVML headers,
/// mig-parted and the device plugin; see `mig-facts.md`).
public struct MIGProfile: Sendable, Hashable {
    /// NVIDIA's name, e.g. `1g.10gb`, `1g.10gb+me`, `1g.24gb-me`.
    public var name: String
    /// `base` for plain profiles; `me`, `me.all`, `gfx`, `no-me` for variants.
    public var variant: String
    /// The "g" count: compute slices the instance takes.
    public var computeSlices: Int
    /// Placement-grid units the instance occupies (`-lgipp` size); `nil` when the catalog does not know.
    public var placementSize: Int?
    /// Allowed start units on the placement grid (0-based); empty when the catalog does not know.
    public var placements: [Int]
    /// Most instances of this profile on one GPU.
    public var maxCount: Int
    /// Memory of one instance in MiB, from one observed driver; `nil` when not observed.
    public var memoryMiB: Int?
    /// `true` for `+me` and `+me.all` profiles (media extensions: at most one per GPU).
    public var hasMediaExtensions: Bool

    public init(
        name: String,
        variant: String = "base",
        computeSlices: Int,
        placementSize: Int?,
        placements: [Int],
        maxCount: Int,
        memoryMiB: Int? = nil,
        hasMediaExtensions: Bool = false
    ) {
        self.name = name
        self.variant = variant
        self.computeSlices = computeSlices
        self.placementSize = placementSize
        self.placements = placements
        self.maxCount = maxCount
        self.memoryMiB = memoryMiB
        self.hasMediaExtensions = hasMediaExtensions
    }

    /// `true` for `+me`, `+gfx`, `-me`, ... profiles: used only when a pod asks for one by name.
    public var isVariant: Bool { variant != "base" }

    /// `true` when placements and size are known, so layouts can use it.
    public var isPlaceable: Bool { placementSize != nil && !placements.isEmpty }

    /// Extended resource the device plugin advertises (`mixed` strategy): `nvidia.com/mig-` + name
    /// with `+` replaced by `.`, e.g. `nvidia.com/mig-1g.10gb.me`.
    public var resourceName: String { MIGProfile.resourcePrefix + resourceForm }

    /// The name as written in resource names and annotation keys (`+` → `.`).
    public var resourceForm: String { MIGProfile.resourceForm(of: name) }

    /// Memory in GB as the name states it (`3g.40gb` → 40); 0 when the name has no `<n>gb` part.
    public var nominalMemoryGB: Int {
        guard let m = name.firstMatch(of: /^[0-9]+g\.([0-9]+)gb/), let gb = Int(m.1) else { return 0 }
        return gb
    }

    /// `nvidia.com/mig-`: prefix of every MIG extended resource.
    public static let resourcePrefix = "nvidia.com/mig-"

    /// `1g.10gb+me` → `1g.10gb.me` (resource-name form); other characters are kept.
    /// Native character mapping: Foundation's `replacingOccurrences` bridges through NSString on
    /// Linux and dominated planning profiles.
    public static func resourceForm(of name: String) -> String {
        name.contains("+") ? String(name.map { $0 == "+" ? "." : $0 }) : name
    }

    /// The profile named in a MIG resource name, in resource form: `nvidia.com/mig-1g.10gb.me` →
    /// `1g.10gb.me`; `nil` for any other resource.
    public static func resourceFormProfile(ofResource resource: String) -> String? {
        guard resource.hasPrefix(resourcePrefix), resource.count > resourcePrefix.count else { return nil }
        return String(resource.dropFirst(resourcePrefix.count))
    }
}
