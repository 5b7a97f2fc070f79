import Foundation
import Testing

@testable import KubeCore

@Suite("extender/v1 wire types")
struct ExtenderArgsTests {
    @Test("encode with kube-scheduler's capitalised keys, omitting absent fields")
    func encode() throws {
        let args = ExtenderArgs(pod: Pod(metadata: ObjectMeta(name: "p", namespace: "ns")), nodeNames: ["a", "b"])
        let object = try JSONSerialization.jsonObject(with: KubeJSON.encode(args)) as? [String: Any]
        #expect(Set(object?.keys ?? [:].keys) == ["Pod", "NodeNames"])
        let bind = try JSONSerialization.jsonObject(with: KubeJSON.encode(ExtenderBindingArgs(podName: "p", podNamespace: "ns", podUID: "u", node: "n"))) as? [String: String]
        #expect(bind == ["PodName": "p", "PodNamespace": "ns", "PodUID": "u", "Node": "n"])
    }

    @Test("decode keys in any letter case, as Go does")
    func decodeAnyCase() throws {
        let json = #"{"nodenames": ["a"], "FAILEDNODES": {"b": "full"}, "failedAndUnresolvableNodes": {"c": "no"}, "error": ""}"#
        let result = try KubeJSON.decode(ExtenderFilterResult.self, from: Data(json.utf8))
        #expect(result.nodeNames == ["a"])
        #expect(result.failedNodes == ["b": "full"])
        #expect(result.failedAndUnresolvableNodes == ["c": "no"])
        #expect(result.error == "")
        let args = try KubeJSON.decode(ExtenderArgs.self, from: Data(#"{"pod": {"metadata": {"name": "p"}}, "NodeNames": null}"#.utf8))
        #expect(args.pod.metadata.name == "p")
        #expect(args.nodeNames == nil)
        #expect(throws: DecodingError.self) { try KubeJSON.decode(ExtenderArgs.self, from: Data("{}".utf8)) }
    }

    @Test("preemption types: victims by UID in any key case; the answer in capitalised keys")
    func preemption() throws {
        let json = #"{"pod": {"metadata": {"name": "p", "namespace": "ns"}}, "nodenametometavictims": {"n1": {"pods": [{"uid": "u1"}], "numpdbviolations": 1}}}"#
        let args = try KubeJSON.decode(ExtenderPreemptionArgs.self, from: Data(json.utf8))
        #expect(args.nodeNameToMetaVictims?["n1"] == ExtenderMetaVictims(pods: [ExtenderMetaPod(uid: "u1")], numPDBViolations: 1))
        #expect(args.nodeNameToVictims == nil)
        let full = #"{"Pod": {"metadata": {"name": "p"}}, "NodeNameToVictims": {"n1": {"Pods": [{"metadata": {"name": "v", "uid": "u2"}}]}}}"#
        #expect(try KubeJSON.decode(ExtenderPreemptionArgs.self, from: Data(full.utf8)).nodeNameToVictims?["n1"]?.pods.first?.metadata.uid == "u2")
        let result = ExtenderPreemptionResult(nodeNameToMetaVictims: ["n1": ExtenderMetaVictims(pods: [ExtenderMetaPod(uid: "u1")])])
        let object = try JSONSerialization.jsonObject(with: KubeJSON.encode(result)) as? [String: [String: [String: Any]]]
        #expect(object?.keys.sorted() == ["NodeNameToMetaVictims"])
        #expect((object?["NodeNameToMetaVictims"]?["n1"]?["Pods"] as? [[String: String]]) == [["UID": "u1"]])
        #expect(object?["NodeNameToMetaVictims"]?["n1"]?["NumPDBViolations"] as? Int == 0)
        #expect(throws: DecodingError.self) { try KubeJSON.decode(ExtenderMetaPod.self, from: Data("{}".utf8)) }
    }
}
