import Foundation
import KubeCore
import Testing

@Suite("Models")
struct ModelTests {
    @Test("unknown fields survive a read-modify-write at every level")
    func unknownFields() throws {
        let text = """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","managedFields":[{"manager":"kubectl"}],"labels":{"a":"b"}},
             "spec":{"containers":[{"name":"c","image":"busybox","command":["sh"],"resources":{"limits":{"nvidia.com/mig-1g.10gb":"1"},"claims":[{"name":"x"}]}}],
                     "volumes":[{"name":"v"}],"affinity":{"podAntiAffinity":{"x":1},"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[]}}},
             "status":{"phase":"Running","podIP":"10.0.0.1","conditions":[{"type":"Ready","status":"True","observedGeneration":3}]},"futureField":{"x":true}}
            """
        var pod = try KubeJSON.decode(Pod.self, from: Data(text.utf8))
        pod.metadata.labels?["new"] = "1"
        let back = try KubeJSON.value(of: pod)
        let original = try KubeJSON.decode(JSONValue.self, from: Data(text.utf8))
        var expected = original
        expected[path: ["metadata", "labels", "new"]] = "1"
        #expect(back == expected)
    }

    @Test("absent fields are omitted, never sent as null")
    func noNulls() throws {
        let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "ns"), spec: PodSpec(containers: [Container(name: "c")]))
        let text = String(decoding: try KubeJSON.encode(pod), as: UTF8.self)
        #expect(!text.contains("null"))
        #expect(text == #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns"},"spec":{"containers":[{"name":"c"}]}}"#)
    }

    @Test("limits default requests, as the API server does")
    func effectiveRequests() {
        let r = ResourceRequirements(requests: ["cpu": "1"], limits: ["cpu": "2", "nvidia.com/mig-1g.10gb": "1"])
        #expect(r.effectiveRequests == ["cpu": "1", "nvidia.com/mig-1g.10gb": "1"])
    }

    @Test("times round-trip in RFC 3339, with microseconds for MicroTime")
    func times() throws {
        let date = Date(timeIntervalSince1970: 1_800_000_000.25)
        #expect(RFC3339.format(date) == "2027-01-15T08:00:00Z")
        #expect(RFC3339.formatMicro(date) == "2027-01-15T08:00:00.250000Z")
        let parsed = try #require(RFC3339.parse("2027-01-15T08:00:00.123456Z"))
        #expect(abs(parsed.timeIntervalSince1970 - 1_800_000_000.123456) < 1e-5)
        #expect(RFC3339.parse("2027-01-15T09:00:00+01:00")?.timeIntervalSince1970 == 1_800_000_000)
        let lease = Lease(metadata: ObjectMeta(name: "l"), spec: Lease.Spec(renewTime: MicroTime(date)))
        #expect(String(decoding: try KubeJSON.encode(lease), as: UTF8.self).contains("08:00:00.250000Z"))
    }

    @Test("APIStatus decodes kube-apiserver's failure body")
    func status() throws {
        let text = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}"#
        let status = try KubeJSON.decode(APIStatus.self, from: Data(text.utf8))
        #expect(status.code == 404 && status.reason == "NotFound" && status.details?.name == "x")
    }

    @Test("JSONValue serializes sorted and escaped, matching the decoder")
    func serialization() throws {
        let value: JSONValue = ["b": [1, 2.5, true, .null], "a": "q\"\\\n\u{01}é"]
        let text = String(decoding: value.serialized(), as: UTF8.self)
        #expect(text == #"{"a":"q\"\\\n\u0001é","b":[1,2.5,true,null]}"#)
        #expect(try KubeJSON.decode(JSONValue.self, from: Data(value.serialized())) == value)
    }
}
