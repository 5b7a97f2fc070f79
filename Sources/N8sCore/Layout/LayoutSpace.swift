/// The placement rules of one GPU model, compiled for fast layout checks and searches.
///
/// Rules (design.md section 4, NVML `nvmlDeviceGetGpuInstancePossiblePlacements_v2`): an instance of
/// profile `p` starting at `s` occupies grid units `[s, s + size(p))`; `s` must be one of `p`'s
/// allowed starts; instances do not overlap; at most `maxCount(p)` instances of `p`; the compute
/// slices of all instances fit the GPU's; at most one media-extension (`+me`, `+me.all`) instance,
/// and a `+me.all` instance excludes every profile except `-me` ones (NVML header note).
///
/// A value type over one shared, immutable storage object: copies (one per GPU in the planner's
/// working state, copied on every evaluation) cost one reference count, not one per table.
public struct LayoutSpace: Sendable {
    private final class Storage: Sendable {
        let model: GPUModel
        let grid: Int
        let profiles: [MIGProfile]
        let index: [String: Int]
        let size: [Int]
        let compute: [Int]
        let maxCount: [Int]
        let starts: [[Int]]
        let isMediaExtension: [Bool]
        let isAllMediaExtensions: [Bool]
        let isNoMediaExtensions: [Bool]

        init(model: GPUModel, grid: Int, profiles: [MIGProfile]) {
            self.model = model
            self.grid = grid
            self.profiles = profiles
            var index: [String: Int] = [:]
            for (i, p) in profiles.enumerated() {
                index[p.name] = i
                if index[p.resourceForm] == nil { index[p.resourceForm] = i }
            }
            self.index = index
            size = profiles.map { $0.placementSize ?? 0 }
            compute = profiles.map(\.computeSlices)
            maxCount = profiles.map(\.maxCount)
            starts = profiles.map { $0.placements.sorted() }
            isMediaExtension = profiles.map(\.hasMediaExtensions)
            isAllMediaExtensions = profiles.map { $0.variant == "me.all" }
            isNoMediaExtensions = profiles.map { $0.variant == "no-me" }
            // Most instances of each profile that fit in each free mask (RoomMeasure), for grids
            // up to 12 units (4,096 masks); larger grids count on the fly.
            var table: [UInt8] = []
            let sortedStarts = profiles.map { $0.placements.sorted() }
            if grid <= 12 {
                table = [UInt8](repeating: 0, count: (1 << grid) * profiles.count)
                for free in 0..<(1 << grid) {
                    for p in profiles.indices {
                        guard let size = profiles[p].placementSize else { continue }
                        var taken: UInt32 = 0
                        var n = 0
                        for start in sortedStarts[p] {
                            let m = ((UInt32(1) << UInt32(size)) - 1) << UInt32(start)
                            if m & UInt32(free) == m && m & taken == 0 {
                                taken |= m
                                n += 1
                            }
                        }
                        table[free * profiles.count + p] = UInt8(n)
                    }
                }
            }
            fitCounts = table
        }

        /// Flattened `[free mask][profile]` of instance counts; empty above 12 units.
        let fitCounts: [UInt8]
    }

    private let storage: Storage

    public var model: GPUModel { storage.model }
    /// Placement-grid units (≤ 16).
    public var grid: Int { storage.grid }
    /// Placeable profiles (base and variants), catalog order.
    public var profiles: [MIGProfile] { storage.profiles }
    var index: [String: Int] { storage.index }
    var size: [Int] { storage.size }
    var compute: [Int] { storage.compute }
    var maxCount: [Int] { storage.maxCount }
    var starts: [[Int]] { storage.starts }
    var isMediaExtension: [Bool] { storage.isMediaExtension }
    var isAllMediaExtensions: [Bool] { storage.isAllMediaExtensions }
    var isNoMediaExtensions: [Bool] { storage.isNoMediaExtensions }
    var fitCounts: [UInt8] { storage.fitCounts }

    /// - Throws: ``LayoutError/unplannableModel(model:)`` when the catalog lacks the grid size.
    public init(_ model: GPUModel) throws(LayoutError) {
        guard let grid = model.gridSize, grid <= 16 else { throw .unplannableModel(model: model.id) }
        let profiles = model.profiles.filter(\.isPlaceable)
        if profiles.isEmpty { throw .unplannableModel(model: model.id) }
        storage = Storage(model: model, grid: grid, profiles: profiles)
    }

    /// Every unit of the grid as a bit mask.
    public var fullMask: UInt32 { grid >= 32 ? ~0 : (UInt32(1) << UInt32(grid)) - 1 }

    /// Index of a profile by NVIDIA name or resource form.
    public func profileIndex(_ name: String) -> Int? { index[name] }

    /// Grid units `[start, start+size)` of profile `p` as a bit mask.
    @inline(__always) func mask(_ p: Int, _ start: Int) -> UInt32 { ((UInt32(1) << UInt32(size[p])) - 1) << UInt32(start) }

    /// Occupied units of a layout as a bit mask (no validity check).
    func occupied(_ instances: [PlacedInstance]) -> UInt32 {
        var m: UInt32 = 0
        for i in instances { if let p = index[i.profile] { m |= mask(p, i.start) } }
        return m
    }

    /// Checks a layout against every rule.
    /// - Throws: the first ``LayoutError`` found, in instance order.
    public func validate(_ instances: [PlacedInstance]) throws(LayoutError) {
        var counts = [Int](repeating: 0, count: profiles.count)
        var used: [(PlacedInstance, UInt32)] = []
        var computeUsed = 0
        for instance in instances {
            guard let p = index[instance.profile] else { throw .unknownProfile(model: model.id, profile: instance.profile) }
            guard starts[p].contains(instance.start) else {
                throw .placementNotAllowed(model: model.id, instance: instance, allowed: starts[p])
            }
            let m = mask(p, instance.start)
            if let clash = used.first(where: { $0.1 & m != 0 }) { throw .overlap(clash.0, instance) }
            used.append((instance, m))
            counts[p] += 1
            computeUsed += compute[p]
        }
        for p in profiles.indices where counts[p] > maxCount[p] {
            throw .tooMany(model: model.id, profile: profiles[p].name, count: counts[p], max: maxCount[p])
        }
        if computeUsed > model.computeSlices {
            throw .computeExceeded(model: model.id, used: computeUsed, available: model.computeSlices)
        }
        if !mediaRulesHold(counts) { throw .mediaExtensionConflict(model: model.id) }
    }

    /// `true` when `instances` is a valid layout.
    public func isValid(_ instances: [PlacedInstance]) -> Bool {
        do { try validate(instances); return true } catch { return false }
    }

    func mediaRulesHold(_ counts: [Int]) -> Bool {
        var me = 0
        var allME = false
        var others = false
        for p in counts.indices where counts[p] > 0 {
            if isMediaExtension[p] { me += counts[p] }
            if isAllMediaExtensions[p] { allME = true } else if !isNoMediaExtensions[p] { others = true }
        }
        return me <= 1 && !(allME && others)
    }

    /// Length of the longest run of units not in `occupied`, in grid units.
    public func longestFreeRun(_ occupied: UInt32) -> Int {
        var best = 0
        var run = 0
        for u in 0..<grid {
            if occupied & (1 << UInt32(u)) == 0 {
                run += 1
                best = max(best, run)
            } else {
                run = 0
            }
        }
        return best
    }
}
