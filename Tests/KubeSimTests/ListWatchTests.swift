import Foundation
import KubeCore
import KubeSim
import Testing

@Suite("KubeSim list and watch")
struct ListWatchTests {
    @Test("lists filter by namespace, labels and fields, in key order")
    func selectors() throws {
        let (sim, _) = Fixture.sim()
        _ = try sim.create(sim.namespaces, namespace: nil, ["metadata": ["name": "b"]])
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("z", labels: ["app": "web"], node: "n1"))
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("a", labels: ["app": "db"]))
        _ = try sim.create(sim.pods, namespace: "b", Fixture.pod("m", namespace: "b", labels: ["app": "web"]))
        let all = try sim.list(sim.pods, namespace: nil).items.map { "\($0.value(at: ["metadata", "namespace"])!.stringValue!)/\($0.name)" }
        #expect(all == ["b/m", "default/a", "default/z"])
        #expect(try sim.list(sim.pods, namespace: "default").items.map(\.name) == ["a", "z"])
        let web = ListOptions(labelSelector: try LabelSelector(parsing: "app=web"))
        #expect(try sim.list(sim.pods, namespace: nil, options: web).items.map(\.name) == ["m", "z"])
        let bound = ListOptions(fieldSelector: try FieldSelector(parsing: "spec.nodeName=n1"))
        #expect(try sim.list(sim.pods, namespace: nil, options: bound).items.map(\.name) == ["z"])
        let unbound = ListOptions(fieldSelector: try FieldSelector(parsing: "spec.nodeName="))
        #expect(try sim.list(sim.pods, namespace: nil, options: unbound).items.map(\.name) == ["m", "a"])
        let unsupported = ListOptions(fieldSelector: try FieldSelector(parsing: "spec.hostname=x"))
        #expect(statusCode { _ = try sim.list(sim.pods, namespace: nil, options: unsupported) } == 400)
    }

    @Test("paginated lists stay consistent at the first page's version")
    func pagination() throws {
        let (sim, _) = Fixture.sim()
        for i in 0..<10 { _ = try sim.create(sim.configMaps, namespace: "default", ["metadata": ["name": .string("c\(i)")]]) }
        let first = try sim.list(sim.configMaps, namespace: "default", options: ListOptions(limit: 4))
        #expect(first.items.map(\.name) == ["c0", "c1", "c2", "c3"])
        #expect(first.remainingItemCount == 6)
        let token = try #require(first.continueToken)
        // Changes after the first page are not seen by later pages.
        _ = try sim.delete(sim.configMaps, namespace: "default", name: "c5")
        _ = try sim.create(sim.configMaps, namespace: "default", ["metadata": ["name": "c55"]])
        let second = try sim.list(sim.configMaps, namespace: "default", options: ListOptions(limit: 4, continueToken: token))
        #expect(second.items.map(\.name) == ["c4", "c5", "c6", "c7"])
        #expect(second.resourceVersion == first.resourceVersion)
        let third = try sim.list(sim.configMaps, namespace: "default", options: ListOptions(limit: 4, continueToken: second.continueToken))
        #expect(third.items.map(\.name) == ["c8", "c9"] && third.continueToken == nil)
        sim.compactHistory()
        #expect(statusCode { _ = try sim.list(sim.configMaps, namespace: "default", options: ListOptions(limit: 4, continueToken: token)) } == 410)
        #expect(statusCode { _ = try sim.list(sim.configMaps, namespace: "default", options: ListOptions(continueToken: "garbage")) } == 400)
    }

    @Test("a watch from a list's version sees every later change, in order")
    func watchFromList() async throws {
        let (sim, _) = Fixture.sim()
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("before"))
        let list = try sim.list(sim.pods, namespace: "default")
        let watch = try sim.watch(sim.pods, namespace: "default", options: ListOptions(resourceVersion: list.resourceVersion))
        let a = try sim.create(sim.pods, namespace: "default", Fixture.pod("a"))
        _ = try sim.update(sim.pods, namespace: "default", name: "a", a.replacing(["metadata", "labels", "x"], "1"))
        _ = try sim.delete(sim.pods, namespace: "default", name: "a")
        let events = await take(3, from: watch)
        let summary = events.map { d -> String in
            guard case .event(let type, let object) = d else { return "?" }
            return "\(type) \(object.name)"
        }
        #expect(summary == ["ADDED a", "MODIFIED a", "DELETED a"])
        let versions = events.compactMap { d -> UInt64? in if case .event(_, let o) = d { UInt64(o.resourceVersion) } else { nil } }
        #expect(versions == versions.sorted() && Set(versions).count == 3)
    }

    @Test("a watch without a version starts with the current objects")
    func watchFromNow() async throws {
        let (sim, _) = Fixture.sim()
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("a"))
        let watch = try sim.watch(sim.pods, namespace: nil)
        let first = await take(1, from: watch)
        #expect(first == [.event(type: "ADDED", object: try sim.get(sim.pods, namespace: "default", name: "a"))])
    }

    @Test("a watch resumed from a compacted version gets 410 Gone")
    func gone() throws {
        let (sim, _) = Fixture.sim()
        let a = try sim.create(sim.pods, namespace: "default", Fixture.pod("a"))
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("b"))
        sim.compactHistory()
        do {
            _ = try sim.watch(sim.pods, namespace: nil, options: ListOptions(resourceVersion: a.resourceVersion))
            Issue.record("expected 410")
        } catch {
            #expect(error.code == 410 && error.reason == "Expired")
        }
        // From the current version it works.
        _ = try sim.watch(sim.pods, namespace: nil, options: ListOptions(resourceVersion: sim.currentResourceVersion))
    }

    @Test("history beyond its limit is compacted")
    func boundedHistory() throws {
        let sim = KubeSim(clock: ManualClock(), historyLimit: 10)
        let first = try sim.create(sim.configMaps, namespace: "default", ["metadata": ["name": "first"]])
        for i in 0..<20 { _ = try sim.create(sim.configMaps, namespace: "default", ["metadata": ["name": .string("c\(i)")]]) }
        #expect(statusCode { _ = try sim.watch(sim.configMaps, namespace: nil, options: ListOptions(resourceVersion: first.resourceVersion)) } == 410)
    }

    @Test("objects leaving a watch's selector arrive as DELETED, entering as ADDED")
    func selectorTransitions() async throws {
        let (sim, _) = Fixture.sim()
        let pod = try sim.create(sim.pods, namespace: "default", Fixture.pod("a", labels: ["app": "web"]))
        let watch = try sim.watch(sim.pods, namespace: nil, options: ListOptions(labelSelector: try LabelSelector(parsing: "app=web"), resourceVersion: pod.resourceVersion))
        let left = try sim.update(sim.pods, namespace: "default", name: "a", pod.replacing(["metadata", "labels", "app"], "db"))
        _ = try sim.update(sim.pods, namespace: "default", name: "a", left.replacing(["metadata", "labels", "app"], "web"))
        let events = await take(2, from: watch)
        guard case .event("DELETED", let gone) = events[0], case .event("ADDED", let back) = events[1] else {
            Issue.record("unexpected \(events)")
            return
        }
        #expect(gone.value(at: ["metadata", "labels", "app"]) == "web")
        #expect(gone.resourceVersion == left.resourceVersion)
        #expect(back.value(at: ["metadata", "labels", "app"]) == "web")
    }

    @Test("bookmarks carry the current version to watches that asked")
    func bookmarks() async throws {
        let (sim, _) = Fixture.sim()
        let withBookmarks = try sim.watch(sim.pods, namespace: nil, options: ListOptions(resourceVersion: sim.currentResourceVersion, allowWatchBookmarks: true))
        let without = try sim.watch(sim.pods, namespace: nil, options: ListOptions(resourceVersion: sim.currentResourceVersion))
        _ = try sim.create(sim.configMaps, namespace: "default", ["metadata": ["name": "c"]])
        sim.sendBookmarks()
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("a"))
        let got = await take(2, from: withBookmarks)
        #expect(got.first == .bookmark(UInt64(sim.currentResourceVersion)! - 1, kind: "Pod", apiVersion: "v1"))
        let other = await take(1, from: without)
        guard case .event("ADDED", _) = other.first else { Issue.record("expected the pod, got \(other)"); return }
    }

    @Test("dropped watches end; their clients resume from the last version without gaps")
    func dropAndResume() async throws {
        let (sim, _) = Fixture.sim()
        let watch = try sim.watch(sim.pods, namespace: nil, options: ListOptions(resourceVersion: sim.currentResourceVersion))
        let a = try sim.create(sim.pods, namespace: "default", Fixture.pod("a"))
        let got = await take(1, from: watch)
        #expect(got.count == 1)
        sim.dropWatches()
        #expect(await watch.next() == nil)
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("b"))
        let resumed = try sim.watch(sim.pods, namespace: nil, options: ListOptions(resourceVersion: a.resourceVersion))
        let rest = await take(1, from: resumed)
        guard case .event("ADDED", let b) = rest.first else { Issue.record("got \(rest)"); return }
        #expect(b.name == "b")
    }

    @Test("a watch that falls too far behind is closed after what it buffered")
    func slowWatcher() async throws {
        let sim = KubeSim(clock: ManualClock(), watchBufferLimit: 5)
        let watch = try sim.watch(sim.configMaps, namespace: nil, options: ListOptions(resourceVersion: sim.currentResourceVersion))
        for i in 0..<10 { _ = try sim.create(sim.configMaps, namespace: "default", ["metadata": ["name": .string("c\(i)")]]) }
        let delivered = await take(100, from: watch)
        #expect(delivered.count == 6)
    }

    @Test("injected faults fail the next calls with the given status")
    func faults() throws {
        let (sim, _) = Fixture.sim()
        sim.failNext(2, verb: "create", resource: "pods", with: APIStatus(code: 500, reason: "InternalError", message: "boom"))
        #expect(statusCode { _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("a")) } == 500)
        #expect(statusCode { _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("a")) } == 500)
        #expect(statusCode { _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("a")) } == nil)
        sim.failNext(1, verb: "patch", resource: "pods/status", with: APIStatus(code: 429, reason: "TooManyRequests", message: "slow down"))
        #expect(statusCode { _ = try sim.patch(sim.pods, namespace: "default", name: "a", ["metadata": ["labels": ["x": "y"]]], patchType: .merge) } == nil)
        #expect(statusCode { _ = try sim.patch(sim.pods, namespace: "default", name: "a", ["status": ["phase": "Running"]], patchType: .merge, subresource: "status") } == 429)
    }
}
