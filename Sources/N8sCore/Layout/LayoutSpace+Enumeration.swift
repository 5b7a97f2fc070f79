extension LayoutSpace {
    /// Every valid layout of the model, derived from the allowed placements (never hand-listed).
    ///
    /// - Parameter includingVariants: `false` (default) uses base profiles only; variants
    ///   (`+me`, `+gfx`, `-me`, ...) are used only when a pod asks for one by name.
    /// - Returns: Non-empty layouts, each sorted by start; order: by the enumeration of
    ///   (start, profile) options, deterministic.
    /// - Complexity: exponential in the grid size; a few thousand layouts on 8 units.
    public func allLayouts(includingVariants: Bool = false) -> [[PlacedInstance]] {
        var options: [(p: Int, s: Int)] = []
        for s in 0..<grid {
            for p in profiles.indices where (includingVariants || !profiles[p].isVariant) && starts[p].contains(s) {
                options.append((p, s))
            }
        }
        var results: [[PlacedInstance]] = []
        var counts = [Int](repeating: 0, count: profiles.count)
        var current: [PlacedInstance] = []
        func dfs(_ from: Int, _ occ: UInt32, _ computeUsed: Int) {
            if !current.isEmpty { results.append(current) }
            for k in from..<options.count {
                let (p, s) = options[k]
                let m = mask(p, s)
                if occ & m != 0 || counts[p] >= maxCount[p] || computeUsed + compute[p] > model.computeSlices { continue }
                counts[p] += 1
                if mediaRulesHold(counts) {
                    current.append(PlacedInstance(profiles[p].name, at: s))
                    dfs(k + 1, occ | m, computeUsed + compute[p])
                    current.removeLast()
                }
                counts[p] -= 1
            }
        }
        dfs(0, 0, 0)
        return results
    }

    /// Every distinct geometry of ``allLayouts(includingVariants:)``, sorted by
    /// (fewest instances, then description), so output is stable.
    public func geometries(includingVariants: Bool = false) -> [Geometry] {
        var seen = Set<Geometry>()
        var out: [Geometry] = []
        for layout in allLayouts(includingVariants: includingVariants) {
            let g = Geometries.of(layout)
            if seen.insert(g).inserted { out.append(g) }
        }
        return out.sorted {
            let (a, b) = ($0.values.reduce(0, +), $1.values.reduce(0, +))
            return a != b ? a < b : Geometries.describe($0) < Geometries.describe($1)
        }
    }

    /// Geometries to which no further instance can be added (the "full" configurations NVIDIA's
    /// guide tabulates), same order as ``geometries(includingVariants:)``.
    public func maximalGeometries(includingVariants: Bool = false) -> [Geometry] {
        let all = geometries(includingVariants: includingVariants)
        let names = profiles.filter { includingVariants || !$0.isVariant }.map(\.name)
        let set = Set(all)
        return all.filter { g in
            !names.contains { n in
                var bigger = g
                bigger[n, default: 0] += 1
                return set.contains(bigger)
            }
        }
    }
}
