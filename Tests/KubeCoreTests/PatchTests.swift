import KubeCore
import Testing

@Suite("JSONPatch")
struct JSONPatchTests {
    let doc: JSONValue = ["metadata": ["name": "n1", "annotations": ["a/b": "1"]], "list": [1, 2, 3]]

    @Test("applies add, replace, remove, move, copy with escaped pointers")
    func operations() throws {
        let patch = JSONPatch([
            .add(JSONPatch.pointer("metadata", "annotations", "n8s.nebuly.ai/x"), "y"),
            .replace("/metadata/annotations/a~1b", "2"),
            .remove("/list/0"),
            .add("/list/-", 9),
            JSONPatch.Operation(op: "copy", path: "/copied", from: "/metadata/name"),
            JSONPatch.Operation(op: "move", path: "/moved", from: "/copied"),
        ])
        let result = try patch.apply(to: doc)
        #expect(result.value(at: ["metadata", "annotations", "n8s.nebuly.ai/x"]) == "y")
        #expect(result.value(at: ["metadata", "annotations", "a/b"]) == "2")
        #expect(result["list"] == [2, 3, 9])
        #expect(result["moved"] == "n1")
        #expect(result["copied"] == nil)
    }

    @Test("a failed test leaves the document unchanged and says which path")
    func testOperation() throws {
        let ok = JSONPatch([.test("/metadata/name", "n1"), .add("/x", 1)])
        #expect(try ok.apply(to: doc)["x"] == 1)
        let stale = JSONPatch([.test("/metadata/name", "n2"), .add("/x", 1)])
        #expect(throws: PatchError.testFailed(path: "/metadata/name")) { try stale.apply(to: doc) }
        let absentValue = JSONPatch([.test("/metadata/annotations/missing", "1")])
        #expect(throws: PatchError.testFailed(path: "/metadata/annotations/missing")) { try absentValue.apply(to: doc) }
    }

    @Test("test with null passes for a missing key of an existing object, as kube-apiserver does, and only then")
    func testNullMeansAbsent() throws {
        let absent = JSONPatch([.test("/metadata/annotations/missing", .null), .add("/x", 1)])
        #expect(try absent.apply(to: doc)["x"] == 1)
        let present = JSONPatch([.test("/metadata/annotations/a~1b", .null)])
        #expect(throws: PatchError.testFailed(path: "/metadata/annotations/a~1b")) { try present.apply(to: doc) }
        let noParent = JSONPatch([.test("/metadata/labels/x", .null)])
        #expect(throws: PatchError.self) { try noParent.apply(to: doc) }
        let absentMap = JSONPatch([.test("/metadata/labels", .null)])
        #expect(throws: Never.self) { try absentMap.apply(to: doc) }
    }

    @Test("replace and remove of a missing path fail")
    func missing() {
        #expect(throws: PatchError.self) { try JSONPatch([.replace("/nope", 1)]).apply(to: doc) }
        #expect(throws: PatchError.self) { try JSONPatch([.remove("/list/7")]).apply(to: doc) }
        #expect(throws: PatchError.self) { try JSONPatch([JSONPatch.Operation(op: "frobnicate", path: "/x")]).apply(to: doc) }
    }

    @Test("encodes an explicit null value for add")
    func nullValue() throws {
        let text = String(decoding: try KubeJSON.encode(JSONPatch([.add("/a", .null)])), as: UTF8.self)
        #expect(text == #"[{"op":"add","path":"\/a","value":null}]"# || text == #"[{"op":"add","path":"/a","value":null}]"#)
    }
}

@Suite("MergePatch")
struct MergePatchTests {
    @Test("RFC 7386: objects merge, null deletes, arrays replace")
    func apply() {
        let target: JSONValue = ["a": "b", "c": ["d": "e", "f": "g"], "l": [1, 2]]
        let patch: JSONValue = ["a": "z", "c": ["f": .null], "l": [3]]
        #expect(MergePatch.apply(patch, to: target) == ["a": "z", "c": ["d": "e"], "l": [3]])
    }

    @Test("diff produces the patch that turns one document into the other")
    func diff() throws {
        let a: JSONValue = ["metadata": ["labels": ["x": "1", "y": "2"]], "spec": ["n": 1]]
        let b: JSONValue = ["metadata": ["labels": ["x": "1", "z": "3"]], "spec": ["n": 1]]
        let patch = try #require(MergePatch.diff(from: a, to: b))
        #expect(MergePatch.apply(patch, to: a) == b)
        #expect(MergePatch.diff(from: a, to: a) == nil)
    }
}

@Suite("StrategicMergePatch")
struct StrategicMergePatchTests {
    @Test("merges containers by name and conditions by type, replaces other lists")
    func mergeKeys() throws {
        let pod: JSONValue = ["spec": ["containers": [["name": "a", "image": "1"], ["name": "b", "image": "2"]], "args": ["x"]],
                              "status": ["conditions": [["type": "Ready", "status": "False"]]]]
        let patch: JSONValue = ["spec": ["containers": [["name": "b", "image": "3"]], "args": ["y"]],
                                "status": ["conditions": [["type": "PodScheduled", "status": "True"], ["type": "Ready", "status": "True"]]]]
        let result = try StrategicMergePatch.apply(patch, to: pod)
        #expect(result.value(at: ["spec", "containers"]) == [["name": "a", "image": "1"], ["name": "b", "image": "3"]])
        #expect(result.value(at: ["spec", "args"]) == ["y"])
        #expect(result.value(at: ["status", "conditions"])?.arrayValue?.count == 2)
    }

    @Test("understands $patch: delete on list elements and unions finalizers")
    func directives() throws {
        let obj: JSONValue = ["metadata": ["finalizers": ["a"]], "spec": ["containers": [["name": "a"], ["name": "b"]]]]
        let patch: JSONValue = ["metadata": ["finalizers": ["b"]], "spec": ["containers": [["name": "a", "$patch": "delete"]]]]
        let result = try StrategicMergePatch.apply(patch, to: obj)
        #expect(result.value(at: ["spec", "containers"]) == [["name": "b"]])
        #expect(result.value(at: ["metadata", "finalizers"]) == ["a", "b"])
    }
}
