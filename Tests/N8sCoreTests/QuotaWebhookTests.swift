import Foundation
import KubeCore
import Testing
@testable import N8sCore

@Suite("Quota webhook decisions")
struct QuotaWebhookTests {
    typealias F = QuotaFixtures

    static func request(_ kind: String, _ object: String, namespace: String = "team-a", operation: String = "CREATE") throws -> AdmissionReview.Request {
        let body = """
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",
         "kind":{"group":"n8s.nebuly.ai","version":"v1alpha1","kind":"\(kind)"},
         "resource":{"group":"n8s.nebuly.ai","version":"v1alpha1","resource":"\(kind.lowercased())s"},
         "namespace":"\(namespace)","operation":"\(operation)","userInfo":{"username":"alice"},"object":\(object),"dryRun":false}}
        """
        return try AdmissionReview.decodeRequest(Data(body.utf8))
    }

    @Test("a valid quota is allowed; the response echoes the uid")
    func allowed() throws {
        let r = QuotaWebhook.review(try Self.request("ElasticQuota", #"{"metadata":{"name":"q"},"spec":{"min":{"cpu":1}}}"#), existing: [])
        #expect(r == .allow("u-1"))
    }

    @Test("an invalid quota is denied with every field named")
    func invalid() throws {
        let r = QuotaWebhook.review(try Self.request("ElasticQuota", #"{"metadata":{"name":"q"},"spec":{"min":{"cpu":"2"},"max":{"cpu":"1","gpu":"-1"}}}"#), existing: [])
        #expect(!r.allowed && r.status?.code == 403 && r.status?.reason == "Forbidden", "kubectl hides the message of an Invalid status without causes")
        #expect(r.status?.message == #"spec.max[gpu]: Invalid value: "gpu": unknown resource name: standard resources are cpu, memory, ephemeral-storage and hugepages-<size>; extended resources have a domain prefix (nvidia.com/gpu, n8s.nebuly.ai/gpu-memory); spec.max[cpu]: Invalid value: "1": must be greater than or equal to spec.min[cpu] (2)"#)
    }

    @Test("a second quota for a namespace is denied on create; updating the holder itself is allowed")
    func claims() throws {
        let existing = [F.elastic("q", in: "team-a"), F.composite("shared", in: "ops", over: ["b"])]
        let second = QuotaWebhook.review(try Self.request("ElasticQuota", #"{"metadata":{"name":"other"},"spec":{}}"#), existing: existing)
        #expect(!second.allowed && second.status?.code == 403)
        #expect(second.status?.message?.hasPrefix(#"metadata.namespace: Forbidden: namespace "team-a" already has ElasticQuota team-a/q"#) == true)
        let update = QuotaWebhook.review(try Self.request("ElasticQuota", #"{"metadata":{"name":"q"},"spec":{"min":{"cpu":1}}}"#, operation: "UPDATE"), existing: existing)
        #expect(update.allowed)
        let ceq = QuotaWebhook.review(try Self.request("CompositeElasticQuota", #"{"metadata":{"name":"c"},"spec":{"namespaces":["x","b"]}}"#, namespace: "ops"), existing: existing)
        #expect(ceq.status?.message?.hasPrefix(#"spec.namespaces[1]: Forbidden: namespace "b" already belongs to CompositeElasticQuota ops/shared"#) == true)
        let empty = QuotaWebhook.review(try Self.request("CompositeElasticQuota", #"{"metadata":{"name":"c"},"spec":{"namespaces":[]}}"#, namespace: "ops"), existing: existing)
        #expect(empty.status?.message == "spec.namespaces: Required value: must list at least one namespace")
        #expect(QuotaWebhook.review(try Self.request("ElasticQuota", "null", operation: "DELETE"), existing: existing).allowed)
    }

    @Test("bad bodies: truncated, another version, another kind, no request")
    func badBodies() throws {
        #expect(throws: AdmissionReviewError.self) { try AdmissionReview.decodeRequest(Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"Adm"#.utf8)) }
        #expect(throws: AdmissionReviewError.unsupported(apiVersion: "admission.k8s.io/v1beta1", kind: "AdmissionReview")) {
            try AdmissionReview.decodeRequest(Data(#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#.utf8))
        }
        #expect(throws: AdmissionReviewError.missingRequest) {
            try AdmissionReview.decodeRequest(Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.utf8))
        }
        let pod = try AdmissionReview.decodeRequest(Data("""
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"p","kind":{"group":"","version":"v1","kind":"Pod"},
             "resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE","object":{}}}
            """.utf8))
        let r = QuotaWebhook.review(pod, existing: [])
        #expect(!r.allowed && r.status?.code == 400 && r.status?.message?.contains("not Pod (core)") == true)
        let noObject = QuotaWebhook.review(try Self.request("ElasticQuota", "null"), existing: [])
        #expect(!noObject.allowed && noObject.status?.code == 400)
        let reply = try KubeJSON.value(of: AdmissionReview(response: r))
        #expect(reply["apiVersion"] == "admission.k8s.io/v1" && reply.value(at: ["response", "uid"]) == "p")
        #expect(reply["request"] == nil)
    }
}
