import Foundation
import KubeCore
import Testing
@testable import N8sCore

@Suite("Quota validation (the webhook's rules)")
struct QuotaValidationTests {
    typealias F = QuotaFixtures

    static func messages(_ json: String, _ kind: QuotaID.Kind = .elastic) throws -> [String] {
        QuotaValidation.validate(try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)), kind: kind).map(\.description)
    }

    @Test("valid quotas pass")
    func valid() throws {
        #expect(try Self.messages(#"{"spec":{"min":{"n8s.nebuly.ai/gpu-memory":40,"cpu":"500m"},"max":{"n8s.nebuly.ai/gpu-memory":"80","nvidia.com/mig-1g.10gb.me":1,"hugepages-2Mi":"1Gi"}}}"#) == [])
        #expect(try Self.messages(#"{"spec":{}}"#) == [])
        #expect(try Self.messages(#"{"spec":{"namespaces":["a","b-2"],"min":{"memory":"1Gi"}}}"#, .composite) == [])
    }

    @Test("every bad field is named", arguments: [
        (#"{"spec":{"max":{"nvidia.com/gpu":"-1"}}}"#, #"spec.max[nvidia.com/gpu]: Invalid value: "-1": must be greater than or equal to 0"#),
        (#"{"spec":{"min":{"nvidia.com/gpu":"4"},"max":{"nvidia.com/gpu":"2"}}}"#,
         #"spec.max[nvidia.com/gpu]: Invalid value: "2": must be greater than or equal to spec.min[nvidia.com/gpu] (4)"#),
        (#"{"spec":{"min":{"cpu":"two"}}}"#,
         #"spec.min[cpu]: Invalid value: "two": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': 'two'"#),
        (#"{"spec":{"min":{"gpu":"1"}}}"#, #"spec.min[gpu]: Invalid value: "gpu": unknown resource name"#),
        (#"{"spec":{"min":{"n8s.nebuly.ai/gpu-memroy":"1"}}}"#, #"spec.min[n8s.nebuly.ai/gpu-memroy]: Invalid value: "n8s.nebuly.ai/gpu-memroy": unknown n8s resource"#),
        (#"{"spec":{"max":{"nvidia.com/mig-big":"1"}}}"#, #"spec.max[nvidia.com/mig-big]: Invalid value: "nvidia.com/mig-big": not a MIG profile"#),
        (#"{"spec":{"max":{"requests.nvidia.com/gpu":"1"}}}"#, #"spec.max[requests.nvidia.com/gpu]: Invalid value: "requests.nvidia.com/gpu": a quota counts requests"#),
        (#"{"spec":{"max":{"Bad_Domain/x":"1"}}}"#, #"spec.max[Bad_Domain/x]: Invalid value: "Bad_Domain/x": prefix part must be a DNS subdomain"#),
        (#"{"spec":{"max":{"cpu":true}}}"#, #"spec.max[cpu]: Invalid value: "boolean": spec.max[cpu] must be of type string or integer"#),
        (#"{"spec":{"max":["cpu"]}}"#, #"spec.max: Invalid value: "array": spec.max must be of type object"#),
        (#"{"metadata":{"name":"x"}}"#, "spec: Required value: spec is required"),
    ])
    func bad(json: String, expected: String) throws {
        let found = try Self.messages(json)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix(expected) == true, "\(found)")
    }

    @Test("composite namespaces: at least one, valid, unique")
    func namespaces() throws {
        #expect(try Self.messages(#"{"spec":{"min":{"cpu":1}}}"#, .composite) == ["spec.namespaces: Required value: must list at least one namespace"])
        #expect(try Self.messages(#"{"spec":{"namespaces":[]}}"#, .composite) == ["spec.namespaces: Required value: must list at least one namespace"])
        #expect(try Self.messages(#"{"spec":{"namespaces":["a","b","a"]}}"#, .composite) == [#"spec.namespaces[2]: Duplicate value: "a""#])
        let bad = try Self.messages(#"{"spec":{"namespaces":["Team_A", 3]}}"#, .composite)
        #expect(bad.count == 2 && bad[0].hasPrefix(#"spec.namespaces[0]: Invalid value: "Team_A""#) && bad[1].hasPrefix("spec.namespaces[1]: Invalid value: \"number\""))
    }

    @Test("one ElasticQuota per namespace; a namespace in at most one quota of either kind; updates skip themselves")
    func claims() {
        let eqA = F.elastic("q", in: "a")
        let ceq = F.composite("shared", in: "ops", over: ["b", "c"])
        let existing = [eqA, ceq]
        #expect(QuotaValidation.validateClaims(of: F.elastic("second", in: "a"), among: existing).map(\.description) ==
                [#"metadata.namespace: Forbidden: namespace "a" already has ElasticQuota a/q; a namespace has at most one ElasticQuota"#])
        #expect(QuotaValidation.validateClaims(of: F.elastic("q", in: "c"), among: existing).map(\.description) ==
                [#"metadata.namespace: Forbidden: namespace "c" already belongs to CompositeElasticQuota ops/shared; a namespace belongs to at most one quota of either kind"#])
        #expect(QuotaValidation.validateClaims(of: F.composite("other", in: "ops", over: ["d", "a", "b"]), among: existing).map(\.field) ==
                ["spec.namespaces[1]", "spec.namespaces[2]"])
        #expect(QuotaValidation.validateClaims(of: F.composite("shared", in: "ops", over: ["b", "c", "d"]), among: existing) == [])
        #expect(QuotaValidation.validateClaims(of: eqA, among: existing) == [])
    }
}
