import N8sCore
import N8sServices
import Testing

@testable import N8sSimulation

/// The simulated GPUs check placements with their own bit masks; N8sCore's ``LayoutSpace`` is the
/// planner's and the agent's. Both must agree on every layout of every catalog model, or a bug in
/// one of them would be invisible to planner, agent and simulator alike. Serialized: the checks
/// are synchronous CPU work that would otherwise hold every thread of the concurrency pool while
/// the end-to-end suites beside them run on a real-time clock.
@Suite("Simulated NVML placements vs LayoutSpace", .serialized)
struct SimulatedGPUPlacementTests {
    static let catalog = try! MIGCatalog.bundled()
    static let models = catalog.models.filter { (try? LayoutSpace($0)) != nil }

    /// A model's placement table without the names: models that share it (A100-80GB, H100,
    /// H200, B200, ... all have the same 8-slice table) have the same layouts up to renaming.
    static func table(_ model: GPUModel) -> String {
        let rows = model.profiles.filter(\.isPlaceable).map { p in
            "\(p.variant)/\(p.computeSlices)/\(p.placementSize ?? 0)/\(p.placements.sorted())/\(p.maxCount)"
        }
        return "\(model.gridSize ?? 0)/\(model.computeSlices):" + rows.sorted().joined(separator: ";")
    }

    /// One model per distinct placement table (the first in catalog order).
    static let tables: [GPUModel] = {
        var seen = Set<String>()
        return models.filter { seen.insert(table($0)).inserted }
    }()

    @Test("every catalog model with a placement table is checked, through its table")
    func modelsCovered() {
        #expect(Self.models.count >= 10, "\(Self.models.map(\.id))")
        let checked = Set(Self.tables.map(Self.table))
        #expect(Self.models.allSatisfy { checked.contains(Self.table($0)) })
    }

    /// For every layout `n8s geometries --variants` enumerates (and the empty GPU): NVML allows
    /// creating profile `p` at an allowed start `s` exactly when the layout plus that instance is
    /// valid, and refuses with INSUFFICIENT_RESOURCES else. A start `p` does not allow is refused
    /// with INVALID_ARGUMENT whatever the GPU holds (checked on the empty and on a full GPU).
    @Test("the simulated NVML allows exactly the instances LayoutSpace allows, on every layout", arguments: tables.map(\.id))
    func agreesOnEveryLayout(modelID: String) throws {
        let model = try #require(Self.catalog.model(id: modelID))
        let space = try LayoutSpace(model)
        var gpu = SimulatedGPU(model: model, index: 0)
        let layouts = [[]] + space.allLayouts(includingVariants: true)
        var disagreements: [String] = []
        var checked = 0
        for layout in [[], layouts.last ?? []] {
            gpu.instances = layout.enumerated().map { i, p in
                SimulatedGPU.GPUInstance(id: UInt32(i + 1), profile: p.profile, start: p.start, computeInstances: [])
            }
            for profile in gpu.profiles {
                for start in 0..<space.grid where !profile.placements.contains(start) {
                    #expect(gpu.placementError(profile: profile, start: start) == .invalidArgument, "\(profile.name)@\(start)")
                    #expect(!space.isValid(layout + [PlacedInstance(profile.name, at: start)]))
                }
            }
        }
        for layout in layouts {
            gpu.instances = layout.enumerated().map { i, p in
                SimulatedGPU.GPUInstance(id: UInt32(i + 1), profile: p.profile, start: p.start, computeInstances: [])
            }
            for profile in gpu.profiles {
                for start in profile.placements {
                    let answer = gpu.placementError(profile: profile, start: start)
                    let valid = space.isValid(layout + [PlacedInstance(profile.name, at: start)])
                    let expected: NVMLReturn? = valid ? nil : .insufficientResources
                    checked += 1
                    if answer != expected, disagreements.count < 5 {
                        disagreements.append("\(layout) + \(profile.name)@\(start): NVML \(answer?.name ?? "success"), LayoutSpace \(expected?.name ?? "success")")
                    }
                }
            }
        }
        #expect(disagreements.isEmpty, "\(modelID): \(disagreements.joined(separator: "; "))")
        #expect(checked > layouts.count)
    }

    @Test("every layout of every model (as `n8s geometries` lists them) can be created through the simulated NVML", arguments: models.map(\.id))
    func everyLayoutIsReachable(modelID: String) throws {
        let model = try #require(Self.catalog.model(id: modelID))
        let space = try LayoutSpace(model)
        for layout in space.allLayouts() {
            let nvml = SimulatedNVML(gpus: [SimulatedGPU(model: model, index: 0)])
            for placed in layout { try nvml.seed(gpu: 0, placed) }
            #expect(nvml.gpus[0].layout == layout.sorted())
        }
    }
}
