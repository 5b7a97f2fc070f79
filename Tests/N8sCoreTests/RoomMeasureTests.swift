import Testing
@testable import N8sCore

@Suite("Room measure")
struct RoomMeasureTests {
    typealias F = Fixtures

    @Test("docs/planner.md's worked example: a 1g.10gb at start 6 of an idle H100 leaves room 14, at start 0 room 12")
    func workedExample() {
        let space = F.space("h100-80gb")
        let weights = DemandWeights.none.vector(for: space)
        let at0 = RoomMeasure.room(busy: [PlacedInstance("1g.10gb", at: 0)], space: space, weights: weights)
        let at6 = RoomMeasure.room(busy: [PlacedInstance("1g.10gb", at: 6)], space: space, weights: weights)
        #expect(at0 == 12)
        #expect(at6 == 14)
        let four = space.profileIndex("4g.40gb")!
        let two = space.profileIndex("2g.20gb")!
        let free6 = ~space.occupied([PlacedInstance("1g.10gb", at: 6)]) & space.fullMask
        let free0 = ~space.occupied([PlacedInstance("1g.10gb", at: 0)]) & space.fullMask
        #expect(RoomMeasure.counts(free: free6, space: space)[four] == 1)
        #expect(RoomMeasure.counts(free: free0, space: space)[four] == 0)
        #expect(RoomMeasure.counts(free: free6, space: space)[two] == 3)
        #expect(RoomMeasure.counts(free: free0, space: space)[two] == 2)
    }

    @Test("demand weights: the share seen, a floor for base profiles, variants only when asked for")
    func weights() {
        let space = F.space("h100-80gb")
        var demand = DemandWeights()
        demand.add(["1g.10gb": 9, "3g.40gb": 1])
        let w = demand.vector(for: space)
        #expect(w[space.profileIndex("1g.10gb")!] == 0.9)
        #expect(w[space.profileIndex("3g.40gb")!] == 0.1)
        #expect(w[space.profileIndex("4g.40gb")!] == DemandWeights.defaultFloor)
        #expect(w[space.profileIndex("1g.10gb+me")!] == 0)
    }

    @Test("an idle GPU's layout search puts a small instance where it leaves the most room")
    func layoutSearchUsesRoom() {
        let space = F.space("h100-80gb")
        #expect(space.layout(adding: ["1g.10gb": 1], keeping: []) == [PlacedInstance("1g.10gb", at: 6)])
        // Beside a used 1g.10gb at 6, with demand for 1g.20gb: starts 4 and 5 keep 3g/4g at 0 and
        // two 1g.20gb possible (room 2.45); starts 0-3 break the 4-unit block (2.35). Ties: lowest start.
        var demand = DemandWeights()
        demand.add(["1g.20gb": 1])
        let layout = space.layout(
            adding: ["1g.10gb": 1], keeping: [PlacedInstance("1g.10gb", at: 6)], weights: demand.vector(for: space))
        #expect(layout == [PlacedInstance("1g.10gb", at: 4), PlacedInstance("1g.10gb", at: 6)])
    }
}
