import Foundation
import KubeCore
import KubeSim
import Testing

/// Bad input never crashes KubeSim: every malformed body or patch gets a 4xx `Status`.
@Suite("KubeSim robustness")
struct RobustnessTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static func value(_ r: inout Random, depth: Int = 0) -> JSONValue {
        let keys = ["metadata", "spec", "status", "name", "labels", "annotations", "containers", "resources", "limits",
                    "resourceVersion", "finalizers", "apiVersion", "kind", "namespace", "nodeName", "0", "-", "$patch"]
        switch r.below(depth > 3 ? 6 : 9) {
        case 0: return .null
        case 1: return .bool(r.below(2) == 0)
        case 2: return .int(Int64(r.below(2000)) - 1000)
        case 3: return .double(Double(r.below(1000)) / 7)
        case 4: return .string(["", "x", "Bad_Name", "1.5Gi", "lots", "v1", "Pod", "delete", "replace", "/a/b"][r.below(10)])
        case 5: return .string(keys[r.below(keys.count)])
        case 6, 7:
            var o: JSONObject = [:]
            for _ in 0..<r.below(4) { o[keys[r.below(keys.count)]] = value(&r, depth: depth + 1) }
            return .object(o)
        default:
            return .array((0..<r.below(3)).map { _ in value(&r, depth: depth + 1) })
        }
    }

    static func patchOps(_ r: inout Random) -> JSONValue {
        let ops = ["add", "remove", "replace", "move", "copy", "test", "bogus"]
        let paths = ["", "/", "/metadata", "/metadata/labels/a", "/metadata/name", "/spec/containers/0", "/spec/containers/-",
                     "/spec/containers/9", "/status", "/a~1b", "/metadata/resourceVersion", "/kind"]
        return .array((0..<(1 + r.below(3))).map { _ in
            var op: JSONObject = ["op": .string(ops[r.below(ops.count)]), "path": .string(paths[r.below(paths.count)])]
            if r.below(3) > 0 { op["value"] = value(&r) }
            if r.below(3) == 0 { op["from"] = .string(paths[r.below(paths.count)]) }
            return .object(op)
        })
    }

    @Test("a patch that turns metadata into a non-object is refused")
    func metadataShape() throws {
        let sim = KubeSim(clock: ManualClock())
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("a", labels: ["keep": "me"]))
        #expect(statusCode { _ = try sim.patch(sim.pods, namespace: "default", name: "a", ["metadata": "x"], patchType: .merge) } == 422)
        #expect(statusCode { _ = try sim.patch(sim.pods, namespace: "default", name: "a", [["op": "replace", "path": "/metadata", "value": 3]], patchType: .json) } == 422)
        #expect(try sim.get(sim.pods, namespace: "default", name: "a").value(at: ["metadata", "labels", "keep"]) == "me")
    }

    @Test("random bodies and patches get 4xx answers or valid objects, never a crash")
    func randomInput() throws {
        let sim = KubeSim(clock: ManualClock())
        var r = Random(state: 42)
        var outcomes: [Int: Int] = [:]
        for trial in 0..<3000 {
            let name = "p\(trial % 7)"
            do {
                switch r.below(5) {
                case 0:
                    var body = Self.value(&r)
                    if r.below(2) == 0 { body = ["metadata": ["name": .string(name)], "spec": Self.value(&r)] }
                    _ = try sim.create(sim.pods, namespace: "default", body)
                case 1:
                    _ = try sim.update(sim.pods, namespace: "default", name: name, Self.value(&r), subresource: r.below(2) == 0 ? "status" : nil)
                case 2:
                    _ = try sim.patch(sim.pods, namespace: "default", name: name, Self.patchOps(&r), patchType: .json)
                case 3:
                    _ = try sim.patch(sim.pods, namespace: "default", name: name, Self.value(&r), patchType: r.below(2) == 0 ? .merge : .strategicMerge)
                default:
                    _ = try sim.create(sim.pods, namespace: "default", Fixture.pod(name))
                }
                outcomes[200, default: 0] += 1
            } catch {
                #expect((400..<500).contains(error.code ?? 0), "trial \(trial): \(error)")
                outcomes[error.code ?? 0, default: 0] += 1
            }
        }
        // Whatever was stored is still a well-formed object of its kind.
        for pod in try sim.list(sim.pods, namespace: "default").items {
            #expect(pod["kind"] == "Pod" && pod.value(at: ["metadata", "name"])?.stringValue != nil)
            #expect(pod.value(at: ["metadata", "uid"])?.stringValue != nil && pod["metadata"]?.objectValue != nil)
            #expect((try? KubeJSON.typed(Pod.self, from: pod)) != nil, "stored pod does not decode: \(pod)")
        }
        #expect(outcomes.keys.contains(200) && outcomes.keys.contains(422) && outcomes.keys.contains(400))
    }
}
