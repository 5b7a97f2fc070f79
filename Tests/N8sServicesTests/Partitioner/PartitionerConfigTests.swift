import Foundation
import KubeCore
import N8sCore
import Testing

@testable import N8sServices

@Suite("Partitioner config and change relevance")
struct PartitionerConfigTests {
    @Test("an empty file gives the defaults; fields override them")
    func parse() throws {
        let defaults = try PartitionerConfig(yaml: "")
        #expect(defaults.batchWindowTimeoutSeconds == 60 && defaults.batchWindowIdleSeconds == 10)
        #expect(defaults.planAckTimeoutSeconds == 300 && defaults.maxPlansPerPod == 5 && !defaults.quotaChecks)
        let custom = try PartitionerConfig(yaml: """
            batchWindowTimeoutSeconds: 30
            batchWindowIdleSeconds: 5
            planAckTimeoutSeconds: 120
            plannedPodTTLSeconds: 900
            maxPlansPerPod: 3
            catalogOverridePath: /etc/n8s/catalog.yaml
            leaseNamespace: n8s-system
            """)
        #expect(custom.batchWindowTimeout == .seconds(30) && custom.batchWindowIdle == .seconds(5))
        #expect(custom.planAckTimeout == .seconds(120) && custom.plannedPodTTL == .seconds(900) && custom.maxPlansPerPod == 3)
        #expect(custom.catalogOverridePath == "/etc/n8s/catalog.yaml" && custom.leaseNamespace == "n8s-system")
    }

    @Test("bad config is rejected with the field named", arguments: [
        ("batchWindowIdleSeconds: ten", "batchWindowIdleSeconds"),
        ("batchWindowTimeoutSeconds: 0", "batchWindowTimeoutSeconds"),
        ("maxPlansPerPod: -1", "maxPlansPerPod"),
        ("batchWindowTimeoutSeconds: 5\nbatchWindowIdleSeconds: 10", "batchWindowIdleSeconds"),
        ("batchWindowTimout: 60", "batchWindowTimout"),
        ("quotaChecks: maybe", "quotaChecks"),
        ("catalogOverridePath: ''", "catalogOverridePath"),
        ("- a\n- b", "(file)"),
        ("planAckTimeoutSeconds: [1]", "planAckTimeoutSeconds"),
    ])
    func rejected(_ yaml: String, _ field: String) {
        #expect {
            _ = try PartitionerConfig(yaml: yaml)
        } throws: { error in
            guard case .invalidConfig(let f, let reason) = error as? PartitionerError else { return false }
            return f == field && !reason.isEmpty && "\(error)".contains(field)
        }
    }

    @Test("a missing catalog override file is a start-up error naming the path")
    func catalogOverride() {
        var config = PartitionerConfig()
        config.catalogOverridePath = "/nonexistent/catalog.yaml"
        #expect(throws: PartitionerError.self) { try GPUPartitionerProcess.catalog(for: config) }
        #expect((try? GPUPartitionerProcess.catalog(for: PartitionerConfig()))?.models.isEmpty == false)
    }

    @Test("GFD timestamp rewrites and kubelet heartbeats do not matter; n8s annotations, labels, allocatable and readiness do")
    func nodeRelevance() {
        let node = PFixtures.node("n1", gpus: [[PFixtures.free("7g.40gb", 0)]], labels: ["nvidia.com/gfd.timestamp": "1700000000"])
        var gfd = node
        gfd.metadata.labels?["nvidia.com/gfd.timestamp"] = "1700000060"
        gfd.metadata.resourceVersion = "2"
        gfd.status?.conditions = [NodeCondition(type: "Ready", status: "True", reason: "KubeletReady", lastTransitionTime: Date())]
        gfd.metadata.annotations?["volumes.kubernetes.io/controller-managed-attach-detach"] = "true"
        #expect(!ChangeRelevance.matters(old: node, new: gfd))

        var annotated = node
        annotated.metadata.annotations?["n8s.nebuly.ai/status-partitioning-plan"] = "p"
        var labelled = node
        labelled.metadata.labels?["pool"] = "a"
        var advertised = node
        advertised.status?.allocatable?["nvidia.com/mig-1g.5gb"] = Quantity(7)
        var notReady = node
        notReady.status?.conditions = [NodeCondition(type: "Ready", status: "False")]
        var cordoned = node
        cordoned.spec?.unschedulable = true
        for changed in [annotated, labelled, advertised, notReady, cordoned] {
            #expect(ChangeRelevance.matters(old: node, new: changed))
        }
        #expect(ChangeRelevance.matters(old: nil, new: node))
    }

    @Test("pod changes matter when they touch binding, phase, the scheduling verdict or nomination")
    func podRelevance() {
        let pod = PFixtures.pendingPod("p", ["1g.5gb": 1])
        var labelled = pod
        labelled.metadata.labels = ["team": "a"]
        labelled.metadata.resourceVersion = "9"
        #expect(!ChangeRelevance.matters(old: pod, new: labelled))
        var nominated = pod
        nominated.status?.nominatedNodeName = "n1"
        var bound = pod
        bound.spec.nodeName = "n1"
        var retried = pod
        retried.status?.conditions = [PodCondition(type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available: 1 Insufficient cpu.")]
        for changed in [nominated, bound, retried] { #expect(ChangeRelevance.matters(old: pod, new: changed)) }
    }
}
