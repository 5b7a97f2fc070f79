import Testing
@testable import N8sCore

@Suite("Layouts and geometries")
struct LayoutTests {
    let a100 = Fixtures.space("a100-40gb")

    @Test("placement rules are enforced")
    func validate() {
        #expect(a100.isValid([PlacedInstance("4g.20gb", at: 0), PlacedInstance("3g.20gb", at: 4)]))
        #expect(!a100.isValid([PlacedInstance("1g.5gb", at: 7)]))  // 1g cannot start at 7
        #expect(!a100.isValid([PlacedInstance("3g.20gb", at: 0), PlacedInstance("2g.10gb", at: 2)]))  // overlap
        #expect(!a100.isValid([PlacedInstance("4g.20gb", at: 4)]))
        #expect(!a100.isValid((0..<7).map { PlacedInstance("1g.5gb", at: $0) } + [PlacedInstance("1g.10gb", at: 6)]))
        do {
            try a100.validate([PlacedInstance("3g.20gb", at: 0), PlacedInstance("2g.10gb", at: 2)])
        } catch {
            #expect(error == .overlap(PlacedInstance("3g.20gb", at: 0), PlacedInstance("2g.10gb", at: 2)))
        }
    }

    /// NVIDIA MIG user guide, A100 "Supported MIG Profiles" combinations (base profiles of the
    /// original table: 1g.5gb, 2g.10gb, 3g.20gb, 4g.20gb, 7g.40gb; 4g+3g valid from R510).
    static let a100Published: [Geometry] = [
        ["7g.40gb": 1], ["4g.20gb": 1, "3g.20gb": 1], ["4g.20gb": 1, "2g.10gb": 1, "1g.5gb": 1],
        ["4g.20gb": 1, "1g.5gb": 3], ["3g.20gb": 2], ["3g.20gb": 1, "2g.10gb": 2],
        ["3g.20gb": 1, "2g.10gb": 1, "1g.5gb": 2], ["3g.20gb": 1, "1g.5gb": 4],
        ["2g.10gb": 2, "3g.20gb": 1], ["2g.10gb": 3, "1g.5gb": 1], ["2g.10gb": 2, "1g.5gb": 3],
        ["2g.10gb": 1, "1g.5gb": 5], ["1g.5gb": 7],
    ]

    @Test("A100-40GB full geometries match NVIDIA's published combinations")
    func a100Maximal() {
        let base = Set(["1g.5gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb"])
        let maximal = Set(a100.maximalGeometries().filter { Set($0.keys).isSubset(of: base) })
        for g in Self.a100Published { #expect(maximal.contains(g) || a100.geometries().contains(g), "\(g)") }
        #expect(!a100.geometries().contains(["1g.5gb": 8]))
        #expect(!a100.geometries().contains(["2g.10gb": 3, "1g.5gb": 2]))
        #expect(!a100.geometries().contains(["4g.20gb": 1, "3g.20gb": 1, "1g.5gb": 1]))
        #expect(!a100.geometries().contains(["3g.20gb": 1, "2g.10gb": 2, "1g.5gb": 1]))
        #expect(a100.geometries().contains(["1g.10gb": 4]))
    }

    @Test("A30 geometries match NVIDIA's table")
    func a30() {
        let a30 = Fixtures.space("a30-24gb")
        let expected: Set<Geometry> = [
            ["4g.24gb": 1], ["2g.12gb": 2], ["2g.12gb": 1, "1g.6gb": 2], ["1g.6gb": 4],
        ]
        #expect(Set(a30.maximalGeometries()) == expected)
    }

    /// Profile role by (compute slices, placement size), so 8-unit models compare to the A100 table.
    static func roles(_ s: LayoutSpace) -> Set<[String: Int]> {
        Set(s.geometries().map { g in
            var r: [String: Int] = [:]
            for (name, n) in g {
                let p = s.model.profile(named: name)!
                r["\(p.computeSlices)g/\(p.placementSize!)"] = n
            }
            return r
        })
    }

    @Test("every verified 8-unit model has the A100-40GB geometry structure")
    func verifiedModels() {
        let reference = Self.roles(a100)
        let models = Fixtures.catalog.models.filter { $0.gridSize == 8 && $0.hasVerifiedPlacements }
        #expect(models.count >= 3)
        for m in models { #expect(Self.roles(try! LayoutSpace(m)) == reference, "\(m.id)") }
    }

    @Test("RTX PRO 6000 uses the 12-unit grid")
    func rtx() {
        let rtx = Fixtures.space("rtx-pro-6000-blackwell")
        #expect(Set(rtx.maximalGeometries()) == [["4g.96gb": 1], ["2g.48gb": 2], ["2g.48gb": 1, "1g.24gb": 2], ["1g.24gb": 4]])
    }

    @Test("layouts keep fixed instances at their starts and prefer long free runs")
    func search() {
        // Used 1g at 0: a 3g must go to 4, and a 1g added should sit next to the used one.
        let layout = a100.layout(adding: ["3g.20gb": 1, "1g.5gb": 1], keeping: [PlacedInstance("1g.5gb", at: 0)])
        #expect(layout == [PlacedInstance("1g.5gb", at: 0), PlacedInstance("1g.5gb", at: 1), PlacedInstance("3g.20gb", at: 4)])
        #expect(a100.layout(adding: ["4g.20gb": 1], keeping: [PlacedInstance("1g.5gb", at: 0)]) == nil)
        // C07: {4g, 3g} on an empty GPU is reachable in any order.
        #expect(a100.layout(for: ["3g.20gb": 1, "4g.20gb": 1], keeping: []) == [PlacedInstance("4g.20gb", at: 0), PlacedInstance("3g.20gb", at: 4)])
    }

    @Test("random layouts never move a kept instance (seeded property test)")
    func property() {
        var rng = SplitMix64(seed: 42)
        for id in ["a100-40gb", "h100-80gb", "a30-24gb", "rtx-pro-6000-blackwell"] {
            let s = Fixtures.space(id)
            let layouts = s.allLayouts()
            for _ in 0..<300 {
                let full = layouts[Int(rng.next() % UInt64(layouts.count))]
                let fixed = full.filter { _ in rng.next() % 2 == 0 }
                var additions: Geometry = [:]
                let names = s.profiles.filter { !$0.isVariant }.map(\.name)
                for _ in 0..<Int(rng.next() % 3) { additions[names[Int(rng.next() % UInt64(names.count))], default: 0] += 1 }
                guard let result = s.layout(adding: additions, keeping: fixed) else {
                    #expect(!s.canAdd(additions, keeping: fixed))
                    continue
                }
                #expect(s.isValid(result))
                #expect(Set(fixed).isSubset(of: Set(result)))
                var expected = Geometries.of(fixed)
                for (k, v) in additions { expected[k, default: 0] += v }
                #expect(Geometries.of(result) == expected)
            }
        }
    }
}
