import Foundation
import KubeCore
import KubeSim
import Testing

@Suite("KubeSim storage")
struct StorageTests {
    @Test("create assigns uid, timestamp, version and generation; a second create is AlreadyExists")
    func create() throws {
        let (sim, clock) = Fixture.sim()
        let pod = try sim.create(sim.pods, namespace: "default", Fixture.pod("a"))
        #expect(pod.value(at: ["metadata", "uid"])?.stringValue?.count == 36)
        #expect(pod.value(at: ["metadata", "creationTimestamp"])?.stringValue == RFC3339.format(clock.now))
        #expect(pod.value(at: ["metadata", "generation"]) == 1)
        #expect(!pod.resourceVersion.isEmpty)
        #expect(statusCode { _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("a")) } == 409)
        let again = try sim.get(sim.pods, namespace: "default", name: "a")
        #expect(again == pod)
    }

    @Test("resourceVersions increase cluster-wide across kinds")
    func versions() throws {
        let (sim, _) = Fixture.sim()
        let a = try sim.create(sim.pods, namespace: "default", Fixture.pod("a"))
        let n = try sim.create(sim.nodes, namespace: nil, Fixture.node("n1"))
        let b = try sim.create(sim.pods, namespace: "default", Fixture.pod("b"))
        let rvs = [a, n, b].map { UInt64($0.resourceVersion)! }
        #expect(rvs == rvs.sorted() && Set(rvs).count == 3)
    }

    @Test("a new pod gets phase Pending whatever status was sent, and API-server defaults")
    func podDefaults() throws {
        let (sim, _) = Fixture.sim()
        var body = Fixture.pod("a", limits: ["memory": "1.5Gi", "nvidia.com/mig-1g.10gb": "1"])
        body["status"] = ["phase": "Running"]
        let pod = try sim.create(sim.pods, namespace: "default", body)
        #expect(pod.value(at: ["status", "phase"]) == "Pending")
        let container = try #require(pod.value(at: ["spec", "containers"])?.arrayValue?.first)
        #expect(container.value(at: ["resources", "requests", "memory"]) == "1536Mi")
        #expect(container.value(at: ["resources", "limits", "memory"]) == "1536Mi")
        #expect(container.value(at: ["resources", "requests", "nvidia.com/mig-1g.10gb"]) == "1")
        #expect(pod.value(at: ["spec", "schedulerName"]) == "default-scheduler")
        #expect(pod.value(at: ["spec", "terminationGracePeriodSeconds"]) == 30)
    }

    @Test("invalid objects get 422 naming the field")
    func invalid() throws {
        let (sim, _) = Fixture.sim()
        func cause(_ body: JSONValue, _ type: ResourceType) -> String? {
            do {
                _ = try sim.create(type, namespace: "default", body)
                return nil
            } catch {
                #expect(error.code == 422)
                return error.details?.causes?.first?.field
            }
        }
        #expect(cause(["metadata": [:], "spec": ["containers": [["name": "c"]]]], sim.pods) == "metadata.name")
        #expect(cause(["metadata": ["name": "Bad_Name"], "spec": ["containers": [["name": "c"]]]], sim.pods) == "metadata.name")
        #expect(cause(["metadata": ["name": "p"], "spec": [:]], sim.pods) == "spec.containers")
        #expect(cause(Fixture.pod("p", limits: ["cpu": "1"]).replacing(["spec", "containers", "0", "resources", "limits", "cpu"], "lots"), sim.pods)
            == "spec.containers[0].resources.limits[cpu]")
        #expect(cause(["metadata": ["name": "c", "labels": ["a": 1]]], sim.configMaps) == "metadata.labels.a")
    }

    @Test("generateName completes a unique name")
    func generateName() throws {
        let (sim, _) = Fixture.sim()
        let body: JSONValue = ["metadata": ["generateName": "job-"], "data": ["k": "v"]]
        let a = try sim.create(sim.configMaps, namespace: "default", body)
        let b = try sim.create(sim.configMaps, namespace: "default", body)
        #expect(a.name.hasPrefix("job-") && a.name.count == 9 && a.name != b.name)
    }

    @Test("namespaced objects need an existing namespace; kind and namespace must match the URL")
    func namespaces() throws {
        let (sim, _) = Fixture.sim()
        #expect(statusCode { _ = try sim.create(sim.pods, namespace: "nope", Fixture.pod("a", namespace: "nope")) } == 404)
        #expect(statusCode { _ = try sim.create(sim.pods, namespace: "kube-system", Fixture.pod("a")) } == 400)
        var wrongKind = Fixture.pod("a")
        wrongKind["kind"] = "Node"
        #expect(statusCode { _ = try sim.create(sim.pods, namespace: "default", wrongKind) } == 400)
        _ = try sim.create(sim.namespaces, namespace: nil, ["metadata": ["name": "team-a"]])
        _ = try sim.create(sim.pods, namespace: "team-a", Fixture.pod("a", namespace: "team-a"))
        _ = try sim.delete(sim.namespaces, namespace: nil, name: "team-a")
        #expect(statusCode { _ = try sim.get(sim.pods, namespace: "team-a", name: "a") } == 404)
    }

    @Test("a stale resourceVersion gets 409 Conflict; no version updates unconditionally")
    func conflicts() throws {
        let (sim, _) = Fixture.sim()
        let v1 = try sim.create(sim.configMaps, namespace: "default", ["metadata": ["name": "c"], "data": ["k": "1"]])
        var v2 = v1
        v2["data"] = ["k": "2"]
        let stored = try sim.update(sim.configMaps, namespace: "default", name: "c", v2)
        var stale = v1
        stale["data"] = ["k": "3"]
        #expect(statusCode { _ = try sim.update(sim.configMaps, namespace: "default", name: "c", stale) } == 409)
        stale[path: ["metadata", "resourceVersion"]] = nil
        let forced = try sim.update(sim.configMaps, namespace: "default", name: "c", stale)
        #expect(forced.value(at: ["data", "k"]) == "3")
        #expect(forced.resourceVersion != stored.resourceVersion)
    }

    @Test("conflicting concurrent updates: exactly one wins")
    func concurrentUpdates() async throws {
        let (sim, _) = Fixture.sim()
        let base = try sim.create(sim.configMaps, namespace: "default", ["metadata": ["name": "c"], "data": ["k": "0"]])
        let wins = await withTaskGroup(of: Bool.self) { group in
            for i in 1...20 {
                group.addTask {
                    var mine = base
                    mine["data"] = ["k": .string(String(i))]
                    return (try? sim.update(sim.configMaps, namespace: "default", name: "c", mine)) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
    }

    @Test("an update that changes nothing keeps the version; generation counts spec changes only")
    func generation() throws {
        let (sim, _) = Fixture.sim()
        let node = try sim.create(sim.nodes, namespace: nil, ["metadata": ["name": "n"], "spec": ["unschedulable": false]])
        #expect(try sim.update(sim.nodes, namespace: nil, name: "n", node) == node)
        var labelled = node
        labelled[path: ["metadata", "labels"]] = ["a": "b"]
        let afterLabel = try sim.update(sim.nodes, namespace: nil, name: "n", labelled)
        #expect(afterLabel.value(at: ["metadata", "generation"]) == 1)
        var cordoned = afterLabel
        cordoned[path: ["spec", "unschedulable"]] = true
        #expect(try sim.update(sim.nodes, namespace: nil, name: "n", cordoned).value(at: ["metadata", "generation"]) == 2)
    }

    @Test("status is written only through the status subresource")
    func statusSubresource() throws {
        let (sim, _) = Fixture.sim()
        let pod = try sim.create(sim.pods, namespace: "default", Fixture.pod("a"))
        var viaMain = pod
        viaMain[path: ["status", "phase"]] = "Running"
        viaMain[path: ["metadata", "labels", "x"]] = "y"
        let main = try sim.update(sim.pods, namespace: "default", name: "a", viaMain)
        #expect(main.value(at: ["status", "phase"]) == "Pending")
        #expect(main.value(at: ["metadata", "labels", "x"]) == "y")
        var viaStatus = main
        viaStatus[path: ["status", "phase"]] = "Running"
        viaStatus[path: ["metadata", "labels", "x"]] = "z"
        let status = try sim.update(sim.pods, namespace: "default", name: "a", viaStatus, subresource: "status")
        #expect(status.value(at: ["status", "phase"]) == "Running")
        #expect(status.value(at: ["metadata", "labels", "x"]) == "y")
    }

    @Test("a pod's spec is immutable except images and tolerations")
    func podSpecImmutable() throws {
        let (sim, _) = Fixture.sim()
        let pod = try sim.create(sim.pods, namespace: "default", Fixture.pod("a"))
        let moved = pod.replacing(["spec", "nodeName"], "elsewhere")
        #expect(statusCode { _ = try sim.update(sim.pods, namespace: "default", name: "a", moved) } == 422)
        let image = pod.replacing(["spec", "containers", "0", "image"], "busybox:2")
        #expect(try sim.update(sim.pods, namespace: "default", name: "a", image).value(at: ["spec", "containers"])?.arrayValue?.first?["image"] == "busybox:2")
    }

    @Test("finalizers hold a deleted object until they are removed")
    func finalizers() throws {
        let (sim, _) = Fixture.sim()
        _ = try sim.create(sim.configMaps, namespace: "default", ["metadata": ["name": "c", "finalizers": ["n8s.nebuly.ai/test"]]])
        let marked = try sim.delete(sim.configMaps, namespace: "default", name: "c")
        #expect(marked.value(at: ["metadata", "deletionTimestamp"]) != nil)
        let stillThere = try sim.get(sim.configMaps, namespace: "default", name: "c")
        #expect(statusCode { _ = try sim.update(sim.configMaps, namespace: "default", name: "c", stillThere.replacing(["metadata", "finalizers"], ["n8s.nebuly.ai/test", "other"])) } == 422)
        _ = try sim.update(sim.configMaps, namespace: "default", name: "c", stillThere.replacing(["metadata", "finalizers"], []))
        #expect(statusCode { _ = try sim.get(sim.configMaps, namespace: "default", name: "c") } == 404)
    }

    @Test("bound pods are deleted gracefully; unbound ones at once")
    func gracefulDeletion() throws {
        let (sim, clock) = Fixture.sim()
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("bound", node: "n1"))
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("pending"))
        let marked = try sim.delete(sim.pods, namespace: "default", name: "bound")
        #expect(marked.value(at: ["metadata", "deletionGracePeriodSeconds"]) == 30)
        #expect(marked.value(at: ["metadata", "deletionTimestamp"])?.stringValue == RFC3339.format(clock.now.addingTimeInterval(30)))
        let shorter = try sim.delete(sim.pods, namespace: "default", name: "bound", options: DeleteOptions(gracePeriodSeconds: 5))
        #expect(shorter.value(at: ["metadata", "deletionGracePeriodSeconds"]) == 5)
        _ = try sim.delete(sim.pods, namespace: "default", name: "pending")
        #expect(statusCode { _ = try sim.get(sim.pods, namespace: "default", name: "pending") } == 404)
        _ = try sim.delete(sim.pods, namespace: "default", name: "bound", options: DeleteOptions(gracePeriodSeconds: 0))
        #expect(statusCode { _ = try sim.get(sim.pods, namespace: "default", name: "bound") } == 404)
    }

    @Test("delete preconditions on uid and resourceVersion")
    func deletePreconditions() throws {
        let (sim, _) = Fixture.sim()
        let c = try sim.create(sim.configMaps, namespace: "default", ["metadata": ["name": "c"]])
        #expect(statusCode { _ = try sim.delete(sim.configMaps, namespace: "default", name: "c", options: DeleteOptions(preconditions: .init(uid: "other"))) } == 409)
        #expect(statusCode { _ = try sim.delete(sim.configMaps, namespace: "default", name: "c", options: DeleteOptions(preconditions: .init(resourceVersion: "1"))) } == 409)
        _ = try sim.delete(sim.configMaps, namespace: "default", name: "c", options: DeleteOptions(preconditions: .init(uid: c.value(at: ["metadata", "uid"])?.stringValue)))
        #expect(statusCode { _ = try sim.delete(sim.configMaps, namespace: "default", name: "c") } == 404)
    }

    @Test("typed models round-trip through the store")
    func typed() throws {
        let (sim, _) = Fixture.sim()
        let node = Node(metadata: ObjectMeta(name: "n1", labels: ["n8s.nebuly.ai/auto-mig-enabled": "true"]),
                        status: NodeStatus(allocatable: ["nvidia.com/mig-1g.10gb": "7"]))
        let created = try sim.create(Node.self, node)
        #expect(created.metadata.uid != nil)
        #expect(try sim.get(Node.self, name: "n1").status?.allocatable?["nvidia.com/mig-1g.10gb"] == Quantity(7))
        #expect(try sim.list(Node.self, labelSelector: LabelSelector(parsing: "n8s.nebuly.ai/auto-mig-enabled=true")).count == 1)
    }
}

extension JSONValue {
    /// A copy with the value at a path replaced; numeric segments index arrays.
    func replacing(_ path: [String], _ value: JSONValue) -> JSONValue {
        guard let head = path.first else { return value }
        if let index = Int(head), case .array(var a) = self, a.indices.contains(index) {
            a[index] = a[index].replacing(Array(path.dropFirst()), value)
            return .array(a)
        }
        var o = objectValue ?? [:]
        o[head] = (o[head] ?? .object([:])).replacing(Array(path.dropFirst()), value)
        return .object(o)
    }
}
