import Foundation
import KubeCore
import KubeSim
import Testing

/// Fixtures shared by the KubeSim suites.
enum Fixture {
    static func sim() -> (KubeSim, ManualClock) {
        let clock = ManualClock()
        return (KubeSim(clock: clock), clock)
    }

    static func pod(_ name: String, namespace: String = "default", labels: [String: String] = [:], node: String? = nil,
                    limits: [String: Quantity] = ["nvidia.com/mig-1g.10gb": "1"]) -> JSONValue
    {
        var labelValues: JSONObject = [:]
        for (k, v) in labels { labelValues[k] = .string(v) }
        var limitValues: JSONObject = [:]
        for (k, v) in limits { limitValues[k] = .string(v.description) }
        var spec: JSONObject = ["containers": [["name": "main", "image": "busybox", "resources": ["limits": .object(limitValues)]]]]
        if let node { spec["nodeName"] = .string(node) }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .object(labelValues)],
                "spec": .object(spec)]
    }

    static func node(_ name: String, labels: JSONObject = [:]) -> JSONValue {
        ["metadata": ["name": .string(name), "labels": .object(labels)], "status": ["allocatable": ["cpu": "8", "memory": "32Gi"]]]
    }
}

extension KubeSim {
    var pods: ResourceType { resourceType(group: "", plural: "pods")! }
    var nodes: ResourceType { resourceType(group: "", plural: "nodes")! }
    var configMaps: ResourceType { resourceType(group: "", plural: "configmaps")! }
    var namespaces: ResourceType { resourceType(group: "", plural: "namespaces")! }
}

/// The status code a call failed with, or nil when it succeeded.
func statusCode(_ body: () throws -> Void) -> Int? {
    do {
        try body()
        return nil
    } catch let status as APIStatus {
        return status.code
    } catch {
        Issue.record("not an APIStatus: \(error)")
        return -1
    }
}

extension JSONValue {
    var resourceVersion: String { value(at: ["metadata", "resourceVersion"])?.stringValue ?? "" }
    var name: String { value(at: ["metadata", "name"])?.stringValue ?? "" }
}

/// Collects what a watch delivers until `count` deliveries arrived (bounded by the buffer).
func take(_ count: Int, from channel: WatchChannel) async -> [WatchDelivery] {
    var result: [WatchDelivery] = []
    while result.count < count, let d = await channel.next() { result.append(d) }
    return result
}
