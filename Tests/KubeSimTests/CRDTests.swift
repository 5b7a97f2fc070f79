import AsyncHTTPClient
import Foundation
import KubeCore
import KubeSim
import NIOCore
import NIOHTTP1
import Testing
import Yams

/// CustomResourceDefinitions over HTTP, with the repository's own quota CRDs (`deploy/crds/`).
@Suite("KubeSim serves CustomResourceDefinitions")
struct CRDTests {
    static let crds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/crds")

    /// A YAML file of `deploy/crds/` as a JSON body.
    static func crdBody(_ file: String) throws -> String {
        let yaml = try String(contentsOf: crds.appendingPathComponent(file), encoding: .utf8)
        let object = try Yams.load(yaml: yaml)
        return String(decoding: try JSONSerialization.data(withJSONObject: object as Any), as: UTF8.self)
    }

    static func call(_ method: HTTPMethod, _ url: String, _ body: String?, _ contentType: String, _ accept: String?) async throws -> HTTPTests.Reply {
        try await HTTPTests.call(method, url, body: body, contentType: contentType, accept: accept)
    }
    static let crdURL = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    static let table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

    /// A served KubeSim with both quota CRDs and namespace `team-a`.
    static func withQuotaCRDs(_ body: @Sendable (KubeSim, String) async throws -> Void) async throws {
        let sim = KubeSim()
        try await sim.withServer { url in
            let base = "\(url)"
            for file in ["elasticquotas.yaml", "compositeelasticquotas.yaml"] {
                let created = try await Self.call(.POST, base + crdURL, try crdBody(file), "application/json", nil)
                #expect(created.code == 201, "\(file): \(created.body)")
            }
            _ = try sim.create(sim.namespaces, namespace: nil, ["metadata": ["name": "team-a"]])
            try await body(sim, base)
        }
    }

    @Test("creating a CRD serves its kind: discovery, short names, status subresource, Established")
    func discovery() async throws {
        try await Self.withQuotaCRDs { _, base in
            let crd = try await Self.call(.GET, "\(base)\(Self.crdURL)/elasticquotas.n8s.nebuly.ai", nil, "application/json", nil)
            let conditions = crd.body.value(at: ["status", "conditions"])?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "Established" && $0["status"] == "True" })
            let groups = try await Self.call(.GET, "\(base)/apis", nil, "application/json", nil)
            #expect(groups.body["groups"]?.arrayValue?.contains { $0["name"] == "n8s.nebuly.ai" } == true)
            let list = try await Self.call(.GET, "\(base)/apis/n8s.nebuly.ai/v1alpha1", nil, "application/json", nil)
            let resources = list.body["resources"]?.arrayValue ?? []
            #expect(resources.contains { $0["name"] == "elasticquotas" && $0["shortNames"] == ["eq"] && $0["namespaced"] == true })
            #expect(resources.contains { $0["name"] == "compositeelasticquotas" && $0["shortNames"] == ["ceq"] })
            #expect(resources.contains { $0["name"] == "elasticquotas/status" })
        }
    }

    @Test("objects are pruned of unknown fields, status is written only through its subresource")
    func pruningAndStatus() async throws {
        try await Self.withQuotaCRDs { sim, base in
            let url = "\(base)/apis/n8s.nebuly.ai/v1alpha1/namespaces/team-a/elasticquotas"
            let body = #"{"apiVersion":"n8s.nebuly.ai/v1alpha1","kind":"ElasticQuota","metadata":{"name":"q","labels":{"a":"b"}},"#
                + #""spec":{"min":{"n8s.nebuly.ai/gpu-memory":40},"max":{"n8s.nebuly.ai/gpu-memory":"80"},"bogus":1},"extra":true,"#
                + #""status":{"used":{"n8s.nebuly.ai/gpu-memory":"999"}}}"#
            let created = try await Self.call(.POST, url, body, "application/json", nil)
            #expect(created.code == 201, "\(created.body)")
            #expect(created.body.value(at: ["spec", "bogus"]) == nil && created.body["extra"] == nil)
            #expect(created.body.value(at: ["spec", "min", "n8s.nebuly.ai/gpu-memory"]) == 40)
            #expect(created.body.value(at: ["metadata", "labels", "a"]) == "b")
            #expect(created.body["status"] == nil)
            let status = try await Self.call(.PATCH, "\(url)/q/status", #"{"status":{"used":{"n8s.nebuly.ai/gpu-memory":"10"},"junk":1}}"#,
                                             "application/merge-patch+json", nil)
            #expect(status.code == 200 && status.body.value(at: ["status", "used", "n8s.nebuly.ai/gpu-memory"]) == "10")
            #expect(status.body.value(at: ["status", "junk"]) == nil)
            let main = try await Self.call(.PATCH, "\(url)/q", #"{"status":{"used":{"n8s.nebuly.ai/gpu-memory":"0"}}}"#, "application/merge-patch+json", nil)
            #expect(main.body.value(at: ["status", "used", "n8s.nebuly.ai/gpu-memory"]) == "10")
            let badStatus = try await Self.call(.PATCH, "\(url)/q/status", #"{"status":{"used":{"cpu":"lots"}}}"#, "application/merge-patch+json", nil)
            #expect(badStatus.code == 422)
            let channel = try sim.watch(sim.resourceType(group: "n8s.nebuly.ai", plural: "elasticquotas")!, namespace: "team-a")
            guard case .event(let type, let object) = await channel.next() else { Issue.record("no event"); return }
            #expect(type == "ADDED" && object.value(at: ["metadata", "name"]) == "q")
        }
    }

    @Test("invalid objects get 422 with kube-apiserver's messages", arguments: [
        ("elasticquotas", #"{"metadata":{"name":"bad"},"spec":{"min":"lots"}}"#,
         #"ElasticQuota.n8s.nebuly.ai "bad" is invalid: spec.min: Invalid value: "string": spec.min in body must be of type object: "string""#),
        ("elasticquotas", #"{"metadata":{"name":"bad"},"spec":{"max":{"nvidia.com/gpu":"1x"}}}"#,
         #"ElasticQuota.n8s.nebuly.ai "bad" is invalid: spec.max.nvidia.com/gpu: Invalid value: "1x": spec.max.nvidia.com/gpu in body should match '^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$'"#),
        ("elasticquotas", #"{"metadata":{"name":"bad"},"spec":{"max":{"nvidia.com/gpu":true}}}"#,
         #"ElasticQuota.n8s.nebuly.ai "bad" is invalid: spec.max.nvidia.com/gpu: Invalid value: "boolean": spec.max.nvidia.com/gpu in body must be of type integer,string: "boolean""#),
        ("elasticquotas", #"{"metadata":{"name":"bad"}}"#, #"ElasticQuota.n8s.nebuly.ai "bad" is invalid: spec: Required value"#),
        ("compositeelasticquotas", #"{"metadata":{"name":"bad"},"spec":{"min":{"cpu":1}}}"#,
         #"CompositeElasticQuota.n8s.nebuly.ai "bad" is invalid: spec.namespaces: Required value"#),
        ("compositeelasticquotas", #"{"metadata":{"name":"bad"},"spec":{"namespaces":[]}}"#,
         #"CompositeElasticQuota.n8s.nebuly.ai "bad" is invalid: spec.namespaces: Invalid value: 0: spec.namespaces in body should have at least 1 items"#),
        ("compositeelasticquotas", #"{"metadata":{"name":"bad"},"spec":{"namespaces":["a","a"]}}"#,
         #"CompositeElasticQuota.n8s.nebuly.ai "bad" is invalid: spec.namespaces[1]: Duplicate value: "a""#),
        ("compositeelasticquotas", #"{"metadata":{"name":"bad"},"spec":{"namespaces":["A_b"],"min":[]}}"#,
         #"CompositeElasticQuota.n8s.nebuly.ai "bad" is invalid: [spec.min: Invalid value: "array": spec.min in body must be of type object: "array", spec.namespaces[0]: Invalid value: "A_b": spec.namespaces[0] in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$']"#),
    ])
    func invalid(plural: String, body: String, message: String) async throws {
        try await Self.withQuotaCRDs { _, base in
            let reply = try await Self.call(.POST, "\(base)/apis/n8s.nebuly.ai/v1alpha1/namespaces/team-a/\(plural)", body, "application/json", nil)
            #expect(reply.code == 422 && reply.body["reason"] == "Invalid")
            #expect(reply.body["message"]?.stringValue == message)
        }
    }

    @Test("kubectl get gets the CRD's printer columns, with null for what is missing")
    func printerColumns() async throws {
        try await Self.withQuotaCRDs { _, base in
            let url = "\(base)/apis/n8s.nebuly.ai/v1alpha1/namespaces/team-a/compositeelasticquotas"
            let body = #"{"metadata":{"name":"c"},"spec":{"namespaces":["a","b"],"min":{"n8s.nebuly.ai/gpu-memory":"40"},"max":{"nvidia.com/gpu":2}}}"#
            #expect(try await Self.call(.POST, url, body, "application/json", nil).code == 201)
            let reply = try await Self.call(.GET, "\(base)/apis/n8s.nebuly.ai/v1alpha1/compositeelasticquotas", nil, "application/json", Self.table)
            let names = reply.body["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names == ["Name", "GPU Memory Min", "GPU Memory Max", "GPU Memory Used", "GPU Min", "GPU Max", "GPU Used", "Namespaces", "Age"])
            #expect(reply.body["columnDefinitions"]?.arrayValue?[7]["priority"] == 1)
            let cells = reply.body["rows"]?.arrayValue?.first?["cells"]?.arrayValue ?? []
            #expect(Array(cells.prefix(8)) == ["c", "40", nil, nil, nil, "2", nil, #"["a","b"]"#])
            #expect(cells.last?.stringValue?.hasSuffix("s") == true)
        }
    }

    @Test("deleting a CRD deletes its objects and stops serving the kind")
    func deletion() async throws {
        try await Self.withQuotaCRDs { sim, base in
            let url = "\(base)/apis/n8s.nebuly.ai/v1alpha1/namespaces/team-a/elasticquotas"
            let created = try await Self.call(.POST, url, #"{"metadata":{"name":"q"},"spec":{}}"#, "application/json", nil)
            #expect(created.code == 201)
            let deleted = try await Self.call(.DELETE, "\(base)\(Self.crdURL)/elasticquotas.n8s.nebuly.ai", nil, "application/json", nil)
            #expect(deleted.code == 200)
            let gone = try await Self.call(.GET, url, nil, "application/json", nil)
            #expect(gone.code == 404)
            #expect(sim.resourceType(group: "n8s.nebuly.ai", plural: "elasticquotas") == nil)
            let again = try await Self.call(.POST, base + Self.crdURL, try Self.crdBody("elasticquotas.yaml"), "application/json", nil)
            #expect(again.code == 201)
            let empty = try await Self.call(.GET, url, nil, "application/json", nil)
            #expect(empty.body["items"] == [])
        }
    }

    @Test("preserve-unknown-fields, enums, defaults and a CRD kube-apiserver would refuse")
    func schemaFeatures() async throws {
        let sim = KubeSim()
        try await sim.withServer { base in
            let crd = #"""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
             "spec":{"group":"example.com","scope":"Cluster","names":{"plural":"widgets","kind":"Widget"},
              "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{
                "spec":{"type":"object","properties":{
                  "size":{"type":"string","enum":["small","large"],"default":"small"},
                  "count":{"type":"integer","minimum":1},
                  "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}}}]}}
            """#
            #expect(try await Self.call(.POST, "\(base)\(Self.crdURL)", crd, "application/json", nil).code == 201)
            let url = "\(base)/apis/example.com/v1/widgets"
            let ok = try await Self.call(.POST, url, #"{"metadata":{"name":"w"},"spec":{"count":2,"free":{"any":{"thing":[1]}},"gone":1}}"#, "application/json", nil)
            #expect(ok.code == 201 && ok.body.value(at: ["spec", "free", "any", "thing"]) == [1])
            #expect(ok.body.value(at: ["spec", "size"]) == "small" && ok.body.value(at: ["spec", "gone"]) == nil)
            let bad = try await Self.call(.POST, url, #"{"metadata":{"name":"x"},"spec":{"size":"huge","count":0}}"#, "application/json", nil)
            #expect(bad.body["message"] == #"Widget.example.com "x" is invalid: [spec.count: Invalid value: 0: spec.count in body should be greater than or equal to 1, spec.size: Unsupported value: "huge": supported values: "small", "large"]"#)
            let table = try await Self.call(.GET, url, nil, "application/json", Self.table)
            #expect(table.body["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Name", "Age"])
            let wrongName = #"{"metadata":{"name":"x.example.com"},"spec":{"group":"example.com","scope":"Cluster","names":{"plural":"gadgets","kind":"Gadget"},"versions":[]}}"#
            let refused = try await Self.call(.POST, "\(base)\(Self.crdURL)", wrongName, "application/json", nil)
            #expect(refused.code == 422)
            #expect((refused.body["message"]?.stringValue ?? "").contains(#"metadata.name: Invalid value: "x.example.com": must be spec.names.plural+".""#))
            #expect((refused.body["message"]?.stringValue ?? "").contains("spec.versions: Required value"))
        }
    }
}
