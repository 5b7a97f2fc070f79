import N8sCore
import Testing

@testable import N8sSimulation

@Suite("DefaultScenario")
struct DefaultScenarioTests {
    static let catalog = try! MIGCatalog.bundled()

    @Test("same seed, same scenario; another seed, another one")
    func deterministic() throws {
        let a = try DefaultScenario.scenario(catalog: Self.catalog)
        let b = try DefaultScenario.scenario(catalog: Self.catalog)
        #expect(a == b)
        var other = DefaultScenario.Parameters()
        other.seed = 99
        #expect(try DefaultScenario.scenario(other, catalog: Self.catalog).pods != a.pods)
    }

    @Test("8 nodes × 8 H100-80GB, 300 pods, a span of simulated time that runs in a few real minutes")
    func shape() throws {
        let s = try DefaultScenario.scenario(catalog: Self.catalog)
        #expect(s.nodes.count == 1 && s.nodes[0].count == 8 && s.nodes[0].gpusPerNode == 8)
        #expect(s.nodes[0].gpuModel?.id == "h100-80gb")
        #expect(s.workload.count == 300)
        let realMinutes = (s.stopAfter?.seconds ?? 0) / s.timeScale / 60
        #expect((1.5...6).contains(realMinutes), "\(realMinutes) real minutes")
    }

    @Test("the drawn size mix follows the trace's shares")
    func sizeMix() throws {
        var p = DefaultScenario.Parameters()
        p.pods = 4000
        let pods = try DefaultScenario.scenario(p, catalog: Self.catalog).pods
        var counts: [String: Int] = [:]
        for pod in pods {
            switch pod.gpu {
            case .mig(let profile, _): counts[profile, default: 0] += 1
            case .wholeGPUs(let n, let full): counts["\(n)x\(full)", default: 0] += 1
            case .cpuOnly: counts["none", default: 0] += 1
            }
        }
        for (request, share) in DefaultScenario.requestShares {
            let drawn = Double(counts[request] ?? 0) / Double(pods.count)
            #expect(abs(drawn - share) < 0.03, "\(request): drawn \(drawn), trace \(share)")
        }
    }

    @Test("quantile function: linear between levels, exact mean")
    func quantiles() {
        let values = TraceStatistics.levels.map { $0 * 100 }  // the identity, scaled
        #expect(DefaultScenario.quantile(values, at: 0.25) == 25)
        #expect(abs(DefaultScenario.quantileMean(values, upTo: 0.9) - 45) < 1e-9)
    }
}
