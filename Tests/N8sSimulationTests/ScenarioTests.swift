import Foundation
import KubeCore
import N8sCore
import Testing

@testable import N8sSimulation

@Suite("Scenario")
struct ScenarioTests {
    static let catalog = try! MIGCatalog.bundled()

    func parse(_ yaml: String) throws -> Scenario { try Scenario(yaml: yaml, catalog: Self.catalog) }

    static let minimal = """
        nodes:
          - {name: gpu, count: 2, gpuProduct: NVIDIA-H100-80GB-HBM3, gpusPerNode: 8}
        pods:
          - {name: job, duration: 5m, mig: 1g.10gb, count: 3, every: 10s, arrival: 1m}
        """

    @Test("the shipped example parses, with every section")
    func example() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/example.yaml"), encoding: .utf8)
        let s = try parse(text)
        #expect(s.name == "example")
        #expect(s.timeScale == 60)
        #expect(s.stopAfter == .seconds(7200))
        #expect(s.partitioning == .dynamic)
        #expect(s.nodes.map(\.count) == [2])
        #expect(s.nodes[0].gpuModel?.id == "h100-80gb")
        #expect(s.gpuCount == 16)
        #expect(s.timing.devicePluginRestart == .seconds(10))
        #expect(s.batchWindow.idle == .seconds(10))
        #expect(s.pods.map(\.name) == ["notebook", "training", "inference"])
        #expect(s.pods[1].gpu == .wholeGPUs(count: 1, fullProfile: "7g.80gb"))
        #expect(s.workload.count == 30)
        #expect(s.nodes[0].deviceIDStrategy == .uuid)
    }

    @Test("a node group's deviceIDStrategy: uuid by default, or index")
    func deviceIDStrategy() throws {
        #expect(try parse(Self.minimal).nodes[0].deviceIDStrategy == .uuid)
        let text = Self.minimal.replacingOccurrences(of: "gpusPerNode: 8}", with: "gpusPerNode: 8, deviceIDStrategy: index}")
        #expect(try parse(text).nodes[0].deviceIDStrategy == .index)
    }

    @Test("pod groups expand into pods by arrival, with requests, priority and run duration")
    func workload() throws {
        let pods = try parse(Self.minimal).workload
        #expect(pods.map(\.name) == ["job-0", "job-1", "job-2"])
        #expect(pods.map(\.arrival) == [.seconds(60), .seconds(70), .seconds(80)])
        #expect(pods[0].resources["nvidia.com/mig-1g.10gb"] == Quantity(1))
        let pod = pods[0].pod()
        #expect(pod.metadata.annotations?[SimulationAnnotations.runDuration] == "5m")
        #expect(pod.spec.containers[0].resources?.limits?["nvidia.com/mig-1g.10gb"] == Quantity(1))
    }

    @Test("static partitioning is checked against the model's valid geometries")
    func staticMode() throws {
        var s = try parse(Self.minimal + "\npartitioning: static:3g.40gb+2g.20gb+1g.10gb*2\n")
        #expect(s.partitioning == .fixed(["3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2]))
        #expect(s.partitioning.description == "static:3g.40gb+2g.20gb+1g.10gb*2")
        s = try parse(Self.minimal + "\npartitioning: static:1g.10gb*7\n")
        #expect(s.partitioning == .fixed(["1g.10gb": 7]))
        #expect(throws: SimulationError.self) { try parse(Self.minimal + "\npartitioning: static:7g.80gb+1g.10gb\n") }
    }

    @Test("errors name the field", arguments: [
        ("nodes:\n  - {name: gpu, count: -1}\npods: []", "nodes[0].count"),
        ("nodes:\n  - {name: gpu, gpuProduct: NVIDIA-Z999, gpusPerNode: 1}", "nodes[0].gpuProduct"),
        ("nodes:\n  - {name: gpu, cpu: lots}", "nodes[0].cpu"),
        ("nodes:\n  - {name: gpu, memory: -4Gi}", "nodes[0].memory"),
        ("nodes:\n  - {name: gpu, colour: red}", "nodes[0].colour"),
        ("nodes:\n  - {name: gpu, deviceIDStrategy: serial}", "nodes[0].deviceIDStrategy"),
        (minimal + "\n  - {name: bad, duration: 10x}", "pods[1].duration"),
        (minimal + "\n  - {name: bad, duration: 1m, mig: 9g.99gb}", "pods[1].mig"),
        (minimal + "\n  - {name: bad, duration: 1m, count: -2}", "pods[1].count"),
        (minimal + "\n  - {name: bad}", "pods[1].duration"),
        (minimal + "\npartitioning: static:1g.10gb*8", "partitioning"),
        (minimal + "\npartitioning: sometimes", "partitioning"),
        (minimal + "\ntimeScale: 0", "timeScale"),
        (minimal + "\ntiming: {migReconfiguration: soon}", "timing.migReconfiguration"),
        (minimal + "\nbatchWindow: {timeout: 1m, idel: 5s}", "batchWindow.idel"),
        (minimal + "\nspeed: 3", "speed"),
        (minimal + "\nscheduler: {extenders: [{urlPrefix: ftp://x}]}", "scheduler.extenders[0].urlPrefix"),
    ])
    func errors(yaml: String, field: String) {
        #expect {
            try parse(yaml)
        } throws: { error in
            guard case .invalidField(let f, _) = error as? SimulationError else { return false }
            return f == field
        }
    }

    @Test("durations and geometries in text")
    func text() throws {
        #expect(DurationText.parse("1h30m") == .seconds(5400))
        #expect(DurationText.parse("250ms") == .milliseconds(250))
        #expect(DurationText.parse("1.5h") == .seconds(5400))
        #expect(DurationText.parse("0") == .zero)
        for bad in ["", "5", "-5s", "5 parsecs", "m"] { #expect(DurationText.parse(bad) == nil, "\(bad)") }
        #expect(DurationText.format(.seconds(3723)) == "1h2m3s")
        #expect(DurationText.format(.milliseconds(1500)) == "1.5s")
        let h100 = try Self.catalog.model(forProduct: "NVIDIA-H100-80GB-HBM3").model
        #expect(try GeometryText.parse("1g.10gb*3+4g.40gb", field: "f", model: h100) == ["1g.10gb": 3, "4g.40gb": 1])
        #expect(GeometryText.format(["1g.10gb": 3, "4g.40gb": 1]) == "4g.40gb+1g.10gb*3")
    }

    @Test("a file that is not a mapping or not YAML is refused")
    func malformed() {
        #expect(throws: SimulationError.self) { try parse("- just\n- a list") }
        #expect(throws: SimulationError.self) { try parse("nodes: [unclosed") }
    }
}
