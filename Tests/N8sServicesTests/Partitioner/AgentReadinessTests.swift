import Foundation
import KubeCore
import N8sCore
import Testing

@testable import N8sServices

@Suite("AgentReadiness and the fenced planner condition")
struct AgentReadinessTests {
    static func node(agent: NodeCondition?, planner: NodeCondition? = nil, version: String? = "42") -> Node {
        var n = PFixtures.node("n1", gpus: [[PFixtures.free("7g.40gb", 0)]])
        n.metadata.resourceVersion = version
        if let agent { n.status?.setCondition(agent) }
        if let planner { n.status?.setCondition(planner) }
        return n
    }

    static func agent(_ status: String, _ reason: String) -> NodeCondition {
        NodeCondition(type: "N8sMigAgent", status: status, reason: reason, message: "says \(reason)")
    }

    @Test("an absent or True agent condition, or a per-plan or per-GPU reason, does not stop planning")
    func plannable() {
        #expect(AgentReadiness.block(of: Self.node(agent: nil)) == nil)
        #expect(AgentReadiness.block(of: Self.node(agent: Self.agent("True", "Applied"))) == nil)
        for reason in ["Applying", "ApplyFailed", "Unreachable", "MigDisabled", "MigModePendingReset"] {
            #expect(AgentReadiness.block(of: Self.node(agent: Self.agent("False", reason))) == nil, "\(reason)")
        }
    }

    @Test(
        "reasons that need a person, unknown reasons and Unknown status stop planning (fail closed)",
        arguments: [
            ("False", "NVMLUnavailable"), ("False", "PodResourcesUnavailable"), ("False", "ForeignManager"), ("False", "WrongMigStrategy"),
            ("False", "CatalogMismatch"), ("False", "DeviceIDMismatch"), ("False", "DryRun"), ("False", "SomethingNew"), ("Unknown", "Applied"),
        ])
    func blocked(status: String, reason: String) throws {
        let block = try #require(AgentReadiness.block(of: Self.node(agent: Self.agent(status, reason))))
        #expect(block.reason == reason)
        #expect(block.description.contains("says \(reason)"))
    }

    @Test("AgentNotReady comes first and carries the agent's words")
    func desiredCondition() throws {
        let view = NodeView(Self.node(agent: nil), catalog: PFixtures.catalog)
        let block = AgentReadiness.Block(reason: "ForeignManager", message: "MIG Manager runs here")
        let c = try #require(PlannerCondition.desired(for: view, agent: block, stalledPlan: "p1", planAckTimeout: .seconds(300)))
        #expect(!c.isPlannable && c.reason == "AgentNotReady" && c.message.contains("ForeignManager") && c.message.contains("MIG Manager runs here"))
        let backoff = try #require(
            PlannerCondition.desired(for: view, stalledPlan: nil, planAckTimeout: .seconds(300), backoff: ("p2", Date(timeIntervalSince1970: 0))))
        #expect(!backoff.isPlannable && backoff.reason == "PlanFailed" && backoff.message.contains("p2"))
    }

    @Test("a condition seen on the node is replaced only if it is still what was seen")
    func fencedReplace() {
        let seen = NodeCondition(type: "N8sMigPlanner", status: "True", reason: "Plannable", message: "every GPU can be planned")
        let node = Self.node(agent: nil, planner: seen)
        let index = node.status!.conditions!.firstIndex { $0.type == "N8sMigPlanner" }!
        let patch = PlannerCondition(isPlannable: false, reason: "AgentNotReady", message: "m").fencedPatch(on: node, now: Date(timeIntervalSince1970: 0))
        let at = { (f: String) in JSONPatch.pointer("status", "conditions", String(index), f) }
        #expect(patch.operations.prefix(4).map(\.op) == ["test", "test", "test", "test"])
        #expect(patch.operations.prefix(4).map(\.path) == [at("type"), at("status"), at("reason"), at("message")])
        #expect(patch.operations[1].value == JSONValue.string("True") && patch.operations[2].value == JSONValue.string("Plannable"))
        #expect(patch.operations.last?.op == "replace" && patch.operations.last?.path == JSONPatch.pointer("status", "conditions", String(index)))
    }

    @Test("a first condition is added only to the node version that was read")
    func fencedAdd() {
        let node = Self.node(agent: nil)
        let patch = PlannerCondition(isPlannable: true, reason: "Plannable", message: "m").fencedPatch(on: node, now: Date(timeIntervalSince1970: 0))
        #expect(patch.operations.map(\.op) == ["test", "add"])
        #expect(patch.operations[0].path == "/metadata/resourceVersion" && patch.operations[0].value == JSONValue.string("42"))
        #expect(patch.operations[1].path == "/status/conditions/-")
    }

    @Test("a change of the agent's condition matters to the partitioner; its heartbeat does not")
    func relevance() {
        let old = Self.node(agent: Self.agent("True", "Applied"))
        var beat = old
        var c = Self.agent("True", "Applied")
        c.lastHeartbeatTime = Date(timeIntervalSince1970: 99)
        beat.status?.setCondition(c)
        #expect(!ChangeRelevance.matters(old: old, new: beat))
        let broken = Self.node(agent: Self.agent("False", "NVMLUnavailable"))
        #expect(ChangeRelevance.matters(old: old, new: broken))
    }
}
