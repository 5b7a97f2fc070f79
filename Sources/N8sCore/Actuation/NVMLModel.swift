/// The placement rules of one GPU as NVML reports them, as a ``GPUModel`` the layout code reads.
///
/// NVML is the truth on the node: the spec is checked against these rules, and the catalog is only
/// compared with them (``catalogMismatches(_:)``).
public enum NVMLModel {
    /// A model whose grid is the furthest end of any placement and whose compute slices are the
    /// largest profile's; variants from the name suffix (`+me`, `+me.all`, `+gfx`, `-me`).
    /// - Returns: `nil` when NVML reports no placeable profile.
    public static func model(id: String, product: String, profiles: [NVMLGPUInstanceProfile]) -> GPUModel? {
        let placeable = profiles.filter { !$0.placements.isEmpty && $0.placementSize > 0 }
        guard !placeable.isEmpty else { return nil }
        let grid = placeable.map { ($0.placements.max() ?? 0) + $0.placementSize }.max() ?? 0
        let compute = placeable.map(\.computeSlices).max() ?? 0
        var seen = Set<String>()
        let migProfiles: [MIGProfile] = placeable.compactMap { p in
            guard seen.insert(p.name).inserted else { return nil }
            let variant = variant(of: p.name)
            return MIGProfile(
                name: p.name, variant: variant, computeSlices: p.computeSlices, placementSize: p.placementSize,
                placements: p.placements, maxCount: max(1, p.maxCount), memoryMiB: p.memoryMiB,
                hasMediaExtensions: variant == "me" || variant == "me.all")
        }
        return GPUModel(id: id, products: [product], gridSize: grid, computeSlices: compute, verification: "nvml", profiles: migProfiles)
    }

    /// The catalog model's placeable profiles in NVML's shape, with synthetic ids and constants
    /// (the catalog position): what a simulated GPU of that model reports.
    public static func profiles(of model: GPUModel) -> [NVMLGPUInstanceProfile] {
        model.profiles.enumerated().compactMap { (i, p) in
            guard p.isPlaceable, let size = p.placementSize else { return nil }
            return NVMLGPUInstanceProfile(
                constant: UInt32(i), id: UInt32(i), name: p.name, computeSlices: p.computeSlices, maxCount: p.maxCount,
                memoryMiB: p.memoryMiB ?? 0, placementSize: size, placements: p.placements.sorted())
        }
    }

    /// `base`, `me`, `me.all`, `gfx` or `no-me`, from the profile name.
    static func variant(of name: String) -> String {
        if name.hasSuffix("+me.all") { return "me.all" }
        if name.hasSuffix("+me") { return "me" }
        if name.hasSuffix("+gfx") { return "gfx" }
        if name.hasSuffix("-me") { return "no-me" }
        return "base"
    }

    /// Where the catalog's model disagrees with NVML's profiles: profiles missing on either side,
    /// different sizes, placements or maxima. Empty when they agree (`CatalogMismatch` otherwise).
    /// Profiles whose placements the catalog does not know are compared by name only.
    public static func catalogMismatches(catalog model: GPUModel, nvml profiles: [NVMLGPUInstanceProfile]) -> [String] {
        var out: [String] = []
        let byName = Dictionary(profiles.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for p in model.profiles where p.isPlaceable {
            guard let n = byName[p.name] else {
                out.append("catalog profile \(p.name) is not reported by NVML")
                continue
            }
            if p.placementSize != n.placementSize || p.placements.sorted() != n.placements {
                out.append("\(p.name): catalog placements \(p.placements.sorted()):\(p.placementSize ?? 0), NVML \(n.placements):\(n.placementSize)")
            }
        }
        let known = Set(model.profiles.map(\.name))
        for n in profiles where !known.contains(n.name) && !n.placements.isEmpty {
            out.append("NVML profile \(n.name) is not in the catalog")
        }
        return out
    }
}
