import Foundation
import KubeCore
import KubeRuntime
import Testing

@testable import N8sSimulation

@Suite("SimulationRecorder and reports")
struct SimulationRecorderTests {
    @Test("percentiles interpolate between closest ranks", arguments: [
        (0.0, 1.0), (0.5, 2.5), (0.95, 3.85), (1.0, 4.0), (0.25, 1.75),
    ])
    func percentiles(p: Double, expected: Double) throws {
        let v = try #require(Percentiles.value(p, of: [4, 1, 3, 2]))
        #expect(abs(v - expected) < 1e-9)
    }

    @Test("percentiles of nothing and of one value")
    func edgePercentiles() {
        #expect(Percentiles.value(0.5, of: []) == nil)
        #expect(Percentiles.value(0.95, of: [7]) == 7)
        #expect(Percentiles.mean([1, 2, 6]) == 3)
    }

    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func pod(_ name: String, profile: String, created: Double, node: String? = nil) -> Pod {
        let r = ["nvidia.com/mig-\(profile)": Quantity(1)]
        var pod = Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: PodSpec(containers: [Container(name: "c", requests: r, limits: r)], nodeName: node))
        pod.metadata.creationTimestamp = start.addingTimeInterval(created)
        return pod
    }

    /// Two pods: one waits 30 s, one never binds; 40 of 160 GB allocated for 60 of 100 s.
    static func recorded() -> SimulationRecorder {
        let r = SimulationRecorder(start: start, gpuMemoryCapacityGB: 160)
        let at = { (s: Double) in start.addingTimeInterval(s) }
        r.sample(at: at(0))
        r.observe(.applied(pod("a", profile: "3g.40gb", created: 10), old: nil), at: at(10))
        r.observe(.applied(pod("b", profile: "7g.80gb", created: 20), old: nil), at: at(20))
        r.sample(at: at(20))
        r.observe(.applied(pod("a", profile: "3g.40gb", created: 10, node: "n"), old: nil), at: at(40))
        r.sample(at: at(40))
        var node = Node(metadata: ObjectMeta(name: "n", annotations: ["n8s.nebuly.ai/status-gpu-0-placements": "7g.80gb@0:free"]))
        r.observe(.applied(node, old: nil), at: at(41))
        node.metadata.annotations?["n8s.nebuly.ai/status-gpu-0-placements"] = "3g.40gb@0:used,4g.40gb@4:free"
        r.observe(.applied(node, old: nil), at: at(42))
        r.sample(at: at(60))
        return r
    }

    @Test("summary: counts, pending times (never-bound pods until the end), time-weighted allocation, reconfigurations")
    func summary() {
        let result = Self.recorded().result(name: "t", partitioning: "dynamic", end: Self.start.addingTimeInterval(100))
        let s = result.summary
        #expect(s.podsArrived == 2 && s.podsScheduled == 1 && s.podsPending == 1)
        // waits: a 30 s, b 80 s (20 → end at 100).
        #expect(s.pendingP50Seconds == 55)
        #expect(abs(s.pendingP95Seconds - 77.5) < 1e-9)
        // 0 for 0...40 s, 40/160 from 40 s to 100 s: 0.25 × 60 / 100.
        #expect(abs(s.allocationRatioMean - 0.15) < 1e-9)
        #expect(s.reconfigurations == 1)
        #expect(s.violations == SafetyViolations())
        #expect(result.samples.map(\.pendingPods) == [0, 2, 1, 1, 1])
        #expect(s.table.contains("pods still pending"))
        #expect(result.pendingSeconds == ["default/a": 30, "default/b": 80])
        #expect(Self.recorded().progressLine(at: Self.start.addingTimeInterval(75))
            == "t=1m15s arrived 2 scheduled 1 pending 1 GPU memory 25% reconfigurations 1")
    }

    @Test("compare table and JSON carry every run")
    func compareAndJSON() throws {
        var a = Self.recorded().result(name: "t", partitioning: "dynamic", end: Self.start.addingTimeInterval(100)).summary
        var b = a
        b.partitioning = "static:1g.10gb*7"
        b.violations.destroyedWhileReserved = 2
        a.podsScheduled = 9
        let table = SimulationSummary.compare([a, b])
        #expect(table.split(separator: "\n").first?.contains("static:1g.10gb*7") == true)
        for kind in SafetyViolations.Kind.allCases { #expect(table.contains(kind.label)) }
        let json = try SimulationSummary.json([a, b])
        #expect(json.contains("\"violations\" : {"))
        #expect(json.contains("\"destroyedWhileReserved\" : 2"))
        #expect(json.contains("\"deviceLostWhileRunning\" : 0"))
        let decoded = try JSONDecoder().decode([SimulationSummary].self, from: Data(json.utf8))
        #expect(decoded == [a, b])
    }

    @Test("the HTML report holds the summary and three labelled SVG charts with legends")
    func html() throws {
        let dynamic = Self.recorded().result(name: "t", partitioning: "dynamic", end: Self.start.addingTimeInterval(100))
        var fixed = dynamic
        fixed.summary.partitioning = "static:1g.10gb*7"
        let html = HTMLReport.render([dynamic, fixed], title: "test <report>")
        for id in ["pending-pods", "allocation-ratio", "reconfigurations"] { #expect(html.contains("<svg id=\"\(id)\"")) }
        #expect(html.components(separatedBy: "<svg ").count == 4)
        #expect(html.contains("simulated time (minutes)"))
        #expect(html.contains("share of cluster GPU memory"))
        #expect(html.contains(">static:1g.10gb*7</text>"), "legend names each run")
        #expect(html.contains("test &lt;report&gt;"))
        #expect(html.contains("<path d=\"M"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("n8s-report-test-\(UUID().uuidString)").path
        let index = try HTMLReport.write([dynamic, fixed], title: "t", to: dir)
        #expect(FileManager.default.fileExists(atPath: index))
        #expect(FileManager.default.fileExists(atPath: dir + "/results.json"))
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test("chart ticks are nice and cover the data")
    func ticks() {
        #expect(SVGChart.ticks(upTo: 97) == [0, 20, 40, 60, 80, 100])
        #expect(SVGChart.ticks(upTo: 1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        #expect(SVGChart.ticks(upTo: 0) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
    }
}
