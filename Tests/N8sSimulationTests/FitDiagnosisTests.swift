import KubeCore
import N8sCore
import Testing

@testable import N8sSimulation

@Suite("FitDiagnosis")
struct FitDiagnosisTests {
    typealias Verdict = FitDiagnosis.NodeVerdict

    @Test("histogram sorted as Go's sort.Strings, with the preemption part")
    func goOrder() {
        var verdicts: [String: Verdict] = [:]
        for i in 0..<10 { verdicts["mig-\(i)"] = Verdict(reasons: ["Insufficient nvidia.com/mig-1g.10gb"], isUnresolvable: false) }
        for i in 0..<3 { verdicts["cpu-\(i)"] = Verdict(reasons: ["node(s) didn't match Pod's node affinity/selector"], isUnresolvable: true) }
        let message = FitDiagnosis(nodeCount: 13, verdicts: verdicts).message
        #expect(message == "0/13 nodes are available: 10 Insufficient nvidia.com/mig-1g.10gb, 3 node(s) didn't match Pod's node affinity/selector."
            + " preemption: 0/13 nodes are available: 10 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.")
    }

    @Test("several reasons on one node each count; no nodes at all")
    func multipleReasons() {
        let verdicts = ["a": Verdict(reasons: ["Insufficient cpu", "Insufficient nvidia.com/mig-2g.20gb"], isUnresolvable: false)]
        #expect(FitDiagnosis(nodeCount: 1, verdicts: verdicts).message
            == "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient nvidia.com/mig-2g.20gb. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
        #expect(FitDiagnosis(nodeCount: 0).message == "no nodes available to schedule pods")
    }

    @Test("predicates: every insufficient resource, too many pods, and one static reason")
    func predicates() throws {
        let requests: [String: Quantity] = ["cpu": Quantity(8), "nvidia.com/mig-1g.10gb": Quantity(1)]
        let spec = PodSpec(containers: [Container(name: "c", requests: requests)])
        var node = Node(metadata: ObjectMeta(name: "n"), status: NodeStatus(allocatable: ["cpu": Quantity(4), "pods": Quantity(1)]))
        var usage = NodeUsage()
        usage.pods = 1
        let verdict = try #require(SchedulingPredicates.verdict(for: spec, requests: PodRequests(spec), on: node, usage: usage))
        #expect(Set(verdict.reasons) == ["Too many pods", "Insufficient cpu", "Insufficient nvidia.com/mig-1g.10gb"])
        #expect(!verdict.isUnresolvable)
        node.spec = NodeSpec(unschedulable: true)
        #expect(SchedulingPredicates.verdict(for: spec, requests: PodRequests(spec), on: node, usage: usage)
            == Verdict(reasons: ["node(s) were unschedulable"], isUnresolvable: true))
        node.spec = NodeSpec(taints: [Taint(key: "gpu", value: "yes", effect: "NoSchedule")])
        #expect(SchedulingPredicates.verdict(for: spec, requests: PodRequests(spec), on: node, usage: usage)?.reasons == ["node(s) had untolerated taint {gpu: yes}"])
    }
}
