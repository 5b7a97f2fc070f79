import Foundation
import KubeCore
import KubeRuntime
import N8sCore
import Testing

@testable import N8sServices

/// The extender's `extender/v1` JSON: any key case in, capitalised keys out, `NodeNames` never
/// null, bad bodies answered with `Error`.
@Suite("scheduler extender wire format")
struct ExtenderWireTests {
    typealias X = XF

    static func fixture() throws -> SchedulerExtender {
        X.extender(
            quotas: [X.quota("a", min: X.cpu(1), max: X.cpu(2)), X.quota("b", min: X.cpu(4))],
            pods: [X.pod("a0", in: "a"), X.pod("a1", in: "a", minute: 1), X.pod("b0", in: "b")],
            nodes: [X.node("n1", cpu: 8)])
    }

    static func json(_ value: some Encodable) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: KubeJSON.encode(value)) as? [String: Any] ?? [:]
    }

    @Test("capitalised and lower-case bodies give identical decisions", arguments: ["a", "b"])
    func anyCase(namespace: String) throws {
        let pod = X.pod("new", in: namespace, node: nil, priority: 5)
        let capital = try X.filterBody(pod, nodes: ["n1", "n2"])
        let lower = try X.lowercasedKeys(capital)
        #expect(String(decoding: lower, as: UTF8.self).contains("\"nodenames\""))
        let (r1, r2) = (try Self.fixture().filter(body: capital), try Self.fixture().filter(body: lower))
        #expect(r1.nodeNames == r2.nodeNames)
        #expect(r1.failedNodes == r2.failedNodes)
        #expect(r1.failedAndUnresolvableNodes == r2.failedAndUnresolvableNodes)
        #expect(r1.error == nil && r2.error == nil)
        #expect(r1.nodeNames == (namespace == "a" ? [] : ["n1", "n2"]))
        let victims = ["n1": [X.pod("a1", in: "a", minute: 1)]]
        let p1 = try Self.fixture().preempt(body: X.preemptBody(pod, victims: victims))
        let p2 = try Self.fixture().preempt(body: X.lowercasedKeys(X.preemptBody(pod, victims: victims)))
        #expect(X.victims(p1) == X.victims(p2))
        #expect(X.victims(p1) == ["n1": ["uid-a-a1"]], "a lower-priority pod of the same quota, or a borrower of another")
    }

    @Test("answers use capitalised keys and NodeNames is never null")
    func capitalisedAnswers() throws {
        let refused = try Self.fixture().filter(body: X.filterBody(X.pod("new", in: "a", node: nil, priority: 5), nodes: ["n1"]))
        let object = try Self.json(refused)
        #expect(object["NodeNames"] as? [String] == [])
        #expect(Set(object.keys) == ["NodeNames", "FailedNodes"], "a's own lower-priority pods could make room")
        let broken = try Self.json(try Self.fixture().filter(body: Data("{".utf8)))
        #expect(broken["NodeNames"] as? [String] == [])
        #expect((broken["Error"] as? String)?.isEmpty == false)
        let preempt = try Self.json(try Self.fixture().preempt(body: X.preemptBody(X.pod("new", in: "b", node: nil), victims: [:])))
        #expect(Set(preempt.keys) == ["NodeNameToMetaVictims"])
    }

    static let badFilterBodies: [(String, String)] = [
        ("not JSON", "hello"),
        ("truncated", #"{"Pod": {"metadata": {"name": "p", "namespace": "b", "uid": "u"}}, "NodeNames": ["n1""#),
        ("an array", "[]"),
        ("no pod", #"{"NodeNames": ["n1"]}"#),
        ("null Nodes and NodeNames", #"{"Pod": {"metadata": {"name": "p", "namespace": "b", "uid": "u"}}, "Nodes": null, "NodeNames": null}"#),
        ("NodeNames of the wrong type", #"{"Pod": {"metadata": {"name": "p", "namespace": "b", "uid": "u"}}, "NodeNames": "n1"}"#),
        ("a pod without namespace", #"{"Pod": {"metadata": {"name": "p", "uid": "u"}}, "NodeNames": ["n1"]}"#),
        ("a pod without UID", #"{"Pod": {"metadata": {"name": "p", "namespace": "b"}}, "NodeNames": ["n1"]}"#),
        ("absurd requests", #"{"Pod": {"metadata": {"name": "p", "namespace": "b", "uid": "u"}, "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "100000000000000000000000000000"}}}, {"name": "d", "resources": {"requests": {"cpu": "100000000000000000000000000000"}}}]}}, "NodeNames": ["n1"]}"#),
    ]

    @Test("malformed filter bodies get an Error, no node passes", arguments: badFilterBodies)
    func badFilter(_ label: String, _ body: String) throws {
        let result = try Self.fixture().filter(body: Data(body.utf8))
        #expect(result.error?.isEmpty == false, "\(label)")
        #expect(result.nodeNames == [])
    }

    @Test("malformed preempt bodies get an Error and no victims")
    func badPreempt() throws {
        for body in ["", "{", #"{"Pod": {"metadata": {"name": "p", "namespace": "b", "uid": "u"}}}"#,
                     #"{"Pod": {"metadata": {"name": "p", "uid": "u"}}, "NodeNameToMetaVictims": {}}"#,
                     #"{"Pod": {"metadata": {"name": "p", "namespace": "b", "uid": "u"}}, "NodeNameToMetaVictims": {"n1": {"Pods": [{"UID": 3}]}}}"#] {
            let result = try Self.fixture().preempt(body: Data(body.utf8))
            #expect(result.error?.isEmpty == false, "\(body)")
            #expect(result.nodeNameToMetaVictims.isEmpty)
        }
    }

    @Test("only nodes that were sent come back, once each, also with whole Node objects")
    func onlyInputNodes() throws {
        let pod = X.pod("new", in: "b", node: nil)
        let names = try Self.fixture().filter(body: X.filterBody(pod, nodes: ["n1", "n1", "", "n9"]))
        #expect(names.nodeNames == ["n1", "n9"])
        let objects = try Self.fixture().filter(ExtenderArgs(pod: pod, nodes: ObjectList(items: [X.node("n1", cpu: 1), X.node("n2", cpu: 1)])))
        #expect(objects.nodeNames == ["n1", "n2"])
        #expect(objects.nodes?.items.map(\.name) == ["n1", "n2"])
        // Victims are never added: an unknown victim is dropped with its node, never replaced.
        let unknown = try Self.fixture().preempt(body: X.preemptBody(X.pod("new", in: "a", node: nil, priority: 5), victims: ["n7": [X.pod("ghost", in: "a")]]))
        #expect(unknown.nodeNameToMetaVictims.isEmpty)
    }

    @Test("before the caches sync, every request gets an Error")
    func unsynced() throws {
        let ext = SchedulerExtender(rates: GPUMemoryRates(catalog: try MIGCatalog.bundled()), clock: ManualClock(), logger: quietLogger)
        let result = ext.filter(body: try X.filterBody(X.pod("p", in: "a", node: nil), nodes: ["n1"]))
        #expect(result.error?.contains("not synced") == true)
        #expect(result.nodeNames == [])
    }
}
