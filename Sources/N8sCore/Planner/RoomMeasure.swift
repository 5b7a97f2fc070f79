/// How much each profile's room counts in ``RoomMeasure``: the share of recently seen demand for
/// it, with a floor so that profiles nobody asked for lately keep some weight.
///
/// Demand is counted in devices, by profile in resource form (`1g.10gb`, `1g.10gb.me`), over the
/// pending MIG requests of the batch and the MIG requests of the pods bound to planned nodes
/// (running demand). A base profile's weight is `max(share, floor)`; a variant (`+me`, `+gfx`, ...)
/// counts only when it was asked for, since it shares its base profile's placements. Without any
/// demand every base profile weighs 1.
public struct DemandWeights: Sendable, Hashable {
    /// Devices seen, by profile in resource form.
    public var devices: [String: Int]
    /// The least weight of a base profile (a share, 0...1).
    public var floor: Double

    public static let defaultFloor = 0.05

    public init(devices: [String: Int] = [:], floor: Double = DemandWeights.defaultFloor) {
        self.devices = devices
        self.floor = floor
    }

    /// No demand seen: every base profile weighs 1.
    public static let none = DemandWeights()

    /// Adds the devices of one pod (profile in resource form to count).
    public mutating func add(_ devices: [String: Int]) {
        for (p, n) in devices { self.devices[p, default: 0] += n }
    }

    /// Weight of each profile of `space`, by profile index.
    public func vector(for space: LayoutSpace) -> [Double] {
        let total = devices.values.reduce(0, +)
        return space.profiles.map { profile in
            let seen = devices[profile.resourceForm] ?? 0
            if total == 0 { return profile.isVariant ? 0 : 1 }
            let share = Double(seen) / Double(total)
            return profile.isVariant ? share : max(share, floor)
        }
    }
}

/// What the free and idle slices of one GPU can still hold, weighted by demand: the planner's
/// objective (3) (design.md section 5), the MIG analogue of fragmentation-gradient scheduling
/// (Weng et al., ATC'23).
///
/// For each profile `p` of the GPU's model, `count(p)` is the most instances of `p` that could
/// still be created on the units no busy instance holds (free units, and units of idle free
/// instances, which the planner may replace), each at one of `p`'s allowed starts, without
/// overlap, within the compute slices left and `p`'s maximum count. The room is
/// `Σ weight(p) × count(p)` (``DemandWeights``). A placement that takes less of it away leaves
/// more of what is being asked for possible later.
///
/// Worked example (H100 80GB, 8 units, idle, uniform weights over the base profiles `1g.10gb`
/// (starts 0…6, size 1), `1g.20gb` (0,2,4,6 / 2), `2g.20gb` (0,2,4 / 2), `3g.40gb` (0,4 / 4),
/// `4g.40gb` (0 / 4), `7g.80gb` (0 / 8)). A `1g.10gb` at start 0 leaves units 1…7: counts
/// 6, 3, 2, 1, 0, 0 — room 12. At start 6 it leaves units 0…5 and 7: counts 6, 3, 3, 1, 1, 0 —
/// room 14: `4g.40gb` (start 0 only) and a third `2g.20gb` stay possible. The largest free run
/// (7 units at start 0, against 6) preferred start 0, counting unit 7, which no `1g.10gb` can use.
///
/// Pure; O(profiles × starts) per evaluation.
public enum RoomMeasure {
    /// Per profile index, the most instances that fit in `free` (a unit mask) at allowed starts,
    /// ignoring compute and maximum counts. Starts are taken greedily from the lowest, which is
    /// optimal for equal-size intervals.
    public static func counts(free: UInt32, space: LayoutSpace) -> [Int] {
        space.profiles.indices.map { count(of: $0, free: free, space: space) }
    }

    static func count(of p: Int, free: UInt32, space: LayoutSpace) -> Int {
        let table = space.fitCounts
        if !table.isEmpty { return Int(table[Int(free) * space.profiles.count + p]) }
        var taken: UInt32 = 0
        var n = 0
        for s in space.starts[p] {
            let m = space.mask(p, s)
            if m & free == m && m & taken == 0 {
                taken |= m
                n += 1
            }
        }
        return n
    }

    /// The weighted room of a GPU whose busy instances hold `occupied` units.
    /// - Parameters:
    ///   - computeUsed: compute slices of the busy instances (limits the count of each profile).
    ///   - busyCounts: busy instances per profile index (limits each profile to its maximum); empty
    ///     to ignore.
    ///   - weights: ``DemandWeights/vector(for:)`` of the model.
    public static func room(
        occupied: UInt32, space: LayoutSpace, weights: [Double], computeUsed: Int = 0, busyCounts: [Int] = []
    ) -> Double {
        let free = ~occupied & space.fullMask
        let computeLeft = max(0, space.model.computeSlices - computeUsed)
        var total = 0.0
        for p in space.profiles.indices where weights[p] > 0 {
            var n = count(of: p, free: free, space: space)
            if space.compute[p] > 0 { n = min(n, computeLeft / space.compute[p]) }
            n = min(n, space.maxCount[p] - (p < busyCounts.count ? busyCounts[p] : 0))
            if n > 0 { total += weights[p] * Double(n) }
        }
        return total
    }

    /// ``room(occupied:space:weights:computeUsed:busyCounts:)`` of a set of busy instances.
    public static func room(busy: [PlacedInstance], space: LayoutSpace, weights: [Double]) -> Double {
        var counts = [Int](repeating: 0, count: space.profiles.count)
        var computeUsed = 0
        for i in busy {
            guard let p = space.profileIndex(i.profile) else { continue }
            counts[p] += 1
            computeUsed += space.compute[p]
        }
        return room(occupied: space.occupied(busy), space: space, weights: weights, computeUsed: computeUsed, busyCounts: counts)
    }

    /// The measure in thousandths, so that scores compare exactly.
    static func scaled(_ room: Double) -> Int { Int((room * 1000).rounded()) }
}
