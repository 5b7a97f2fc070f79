import Foundation
import Testing
import Yams

/// `deploy/scheduler/`: the kube-scheduler configuration and the manifests agree with what
/// `n8s scheduler-extender` serves and reads.
@Suite("n8s-scheduler deployment files")
struct SchedulerDeployTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("deploy/scheduler")

    static func documents(_ file: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
        return try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
    }

    @Test("the configuration has the n8s-scheduler profile and the extender on 127.0.0.1 with nodeCacheCapable, filter and preempt")
    func configuration() throws {
        let config = try #require(try Self.documents("kube-scheduler-config.yaml").first)
        #expect(config["kind"] as? String == "KubeSchedulerConfiguration")
        let profiles = config["profiles"] as? [[String: Any]] ?? []
        #expect(profiles.map { $0["schedulerName"] as? String } == ["n8s-scheduler"], "extenders apply to every profile of the scheduler")
        let extender = try #require((config["extenders"] as? [[String: Any]])?.first)
        #expect(extender["urlPrefix"] as? String == "http://127.0.0.1:8888")
        #expect(extender["filterVerb"] as? String == "filter")
        #expect(extender["preemptVerb"] as? String == "preempt")
        #expect(extender["nodeCacheCapable"] as? Bool == true)
        #expect(extender["managedResources"] == nil, "every pod of the profile must reach the quota check")
        let bind = (profiles.first?["pluginConfig"] as? [[String: Any]])?.first { $0["name"] as? String == "VolumeBinding" }
        let seconds = try #require((bind?["args"] as? [String: Any])?["bindTimeoutSeconds"] as? Int)
        #expect(seconds < 660, "the extender's default assume timeout must outlast the bind timeout")
    }

    @Test("the extender's ClusterRole grants list and watch on what it watches, and nothing else")
    func rbac() throws {
        let docs = try Self.documents("n8s-scheduler.yaml")
        let role = try #require(docs.first { $0["kind"] as? String == "ClusterRole" && ($0["metadata"] as? [String: Any])?["name"] as? String == "n8s-scheduler-extender" })
        var granted: Set<String> = []
        for rule in role["rules"] as? [[String: Any]] ?? [] {
            #expect(Set(rule["verbs"] as? [String] ?? []) == ["list", "watch"])
            for group in rule["apiGroups"] as? [String] ?? [] {
                for resource in rule["resources"] as? [String] ?? [] { granted.insert("\(group)/\(resource)") }
            }
        }
        #expect(granted == ["/pods", "/nodes", "n8s.nebuly.ai/elasticquotas", "n8s.nebuly.ai/compositeelasticquotas"])
        let deployment = try #require(docs.first { $0["kind"] as? String == "Deployment" })
        let containers = ((deployment["spec"] as? [String: Any])?["template"] as? [String: Any]).flatMap { ($0["spec"] as? [String: Any])?["containers"] as? [[String: Any]] } ?? []
        #expect(containers.compactMap { $0["name"] as? String } == ["kube-scheduler", "extender"])
        #expect((containers.last?["args"] as? [String])?.contains("--port=8888") == true)
    }
}
