import Foundation
import KubeCore
import Testing
import Yams
@testable import N8sCore

/// The CRDs in `deploy/crds/` parse, declare what docs/design.md section 3 names, and their schema
/// patterns and CEL rules accept and refuse the same examples as ``QuotaValidation``.
@Suite("Quota CRDs")
struct QuotaCRDTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/crds")

    static func crd(_ file: String) throws -> JSONValue {
        let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        let any = try Yams.load(yaml: text)
        return try JSONDecoder().decode(JSONValue.self, from: JSONSerialization.data(withJSONObject: any as Any))
    }

    static func version(_ crd: JSONValue) -> JSONValue { crd.value(at: ["spec", "versions"])?.arrayValue?.first ?? .null }

    static func rules(_ schema: JSONValue?) -> [String] {
        (schema?["x-kubernetes-validations"]?.arrayValue ?? []).compactMap { $0["rule"]?.stringValue }
    }

    @Test("both CRDs declare group, version, scope, names, status subresource and printer columns", arguments: [
        ("elasticquotas.yaml", "ElasticQuota", "eq"), ("compositeelasticquotas.yaml", "CompositeElasticQuota", "ceq"),
    ])
    func shape(file: String, kind: String, short: String) throws {
        let crd = try Self.crd(file)
        #expect(crd["apiVersion"] == "apiextensions.k8s.io/v1" && crd["kind"] == "CustomResourceDefinition")
        #expect(crd.value(at: ["spec", "group"]) == "n8s.nebuly.ai" && crd.value(at: ["spec", "scope"]) == "Namespaced")
        #expect(crd.value(at: ["spec", "names", "kind"]) == .string(kind))
        #expect(crd.value(at: ["spec", "names", "shortNames"]) == [.string(short)])
        let plural = crd.value(at: ["spec", "names", "plural"])?.stringValue ?? ""
        #expect(crd.value(at: ["metadata", "name"])?.stringValue == "\(plural).n8s.nebuly.ai")
        #expect(kind == "ElasticQuota" ? plural == ElasticQuota.plural : plural == CompositeElasticQuota.plural)
        let v = Self.version(crd)
        #expect(v["name"] == "v1alpha1" && v["served"] == true && v["storage"] == true)
        #expect(v.value(at: ["subresources", "status"]) == [:])
        let columns = (v["additionalPrinterColumns"]?.arrayValue ?? []).compactMap { $0["jsonPath"]?.stringValue }
        for path in [#".spec.min.n8s\.nebuly\.ai/gpu-memory"#, #".spec.max.n8s\.nebuly\.ai/gpu-memory"#, #".status.used.n8s\.nebuly\.ai/gpu-memory"#,
                     #".spec.min.nvidia\.com/gpu"#, #".spec.max.nvidia\.com/gpu"#, #".status.used.nvidia\.com/gpu"#, ".metadata.creationTimestamp"] {
            #expect(columns.contains(path), "\(file) lacks column \(path)")
        }
        let spec = v.value(at: ["schema", "openAPIV3Schema", "properties", "spec"])
        #expect(Self.rules(spec) == [QuotaCRDRules.maxAtLeastMin])
        for field in ["min", "max"] {
            let map = spec?.value(at: ["properties", field])
            #expect(Self.rules(map) == [QuotaCRDRules.nonNegative])
            #expect(map?.value(at: ["additionalProperties", "x-kubernetes-int-or-string"]) == true)
            #expect(map?.value(at: ["additionalProperties", "pattern"])?.stringValue == QuotaCRDRules.quantityPattern)
        }
        if kind == "CompositeElasticQuota" {
            #expect(spec?["required"] == ["namespaces"])
            #expect(spec?.value(at: ["properties", "namespaces", "minItems"]) == 1)
            #expect(Self.rules(spec?.value(at: ["properties", "namespaces"])) == [QuotaCRDRules.uniqueNamespaces])
        }
    }

    @Test("the quantity pattern accepts exactly what Quantity parses", arguments: [
        "1", "500m", "1.5Gi", "1e3", "1.5e-3", "-1", "+2", ".5", "1.", "1E", "100Ki", "two", "1Gb", "", "1e", "Ki", "0x10", "1Mi2", "1.2.3",
    ])
    func quantityPattern(text: String) throws {
        let regex = try Regex(QuotaCRDRules.quantityPattern)
        #expect((text.wholeMatch(of: regex) != nil) == (Quantity(text) != nil))
    }

    @Test("schema and CEL rules refuse the same quotas as the webhook's validation", arguments: [
        (#"{"spec":{"min":{"cpu":"1"},"max":{"cpu":2}}}"#, QuotaID.Kind.elastic, false),
        (#"{"spec":{"min":{"cpu":"4"},"max":{"cpu":"3500m"}}}"#, .elastic, true),
        (#"{"spec":{"min":{"memory":"1Gi"},"max":{"memory":"1024Mi"}}}"#, .elastic, false),
        (#"{"spec":{"max":{"nvidia.com/gpu":"-1"}}}"#, .elastic, true),
        (#"{"spec":{"max":{"nvidia.com/gpu":"1x"}}}"#, .elastic, true),
        (#"{"spec":{"max":{"nvidia.com/gpu":true}}}"#, .elastic, true),
        (#"{"spec":{}}"#, .elastic, false),
        (#"{"metadata":{}}"#, .elastic, true),
        (#"{"spec":{"namespaces":["a","b"],"min":{"n8s.nebuly.ai/gpu-memory":40}}}"#, .composite, false),
        (#"{"spec":{"namespaces":[]}}"#, .composite, true),
        (#"{"spec":{"min":{"cpu":1}}}"#, .composite, true),
        (#"{"spec":{"namespaces":["a","a"]}}"#, .composite, true),
        (#"{"spec":{"namespaces":["Not_A_Namespace"]}}"#, .composite, true),
    ])
    func agreement(json: String, kind: QuotaID.Kind, refused: Bool) throws {
        let object = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        let crd = try Self.crd(kind == .elastic ? "elasticquotas.yaml" : "compositeelasticquotas.yaml")
        let schema = Self.version(crd).value(at: ["schema", "openAPIV3Schema"]) ?? .null
        #expect(try QuotaCRDRules.refuses(object, schema: schema) == refused)
        #expect(!QuotaValidation.validate(object, kind: kind).isEmpty == refused)
    }
}

/// The CRDs' rules, written once more in Swift for the agreement test: each CEL rule is matched by
/// its exact text, so editing a rule in the YAML fails the test until this mirror follows.
enum QuotaCRDRules {
    static let quantityPattern = #"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"#
    static let nonNegative = "self.all(r, quantity(string(self[r])).sign() >= 0)"
    static let maxAtLeastMin = "!has(self.min) || !has(self.max) || self.max.all(r, !(r in self.min) || quantity(string(self.max[r])).compareTo(quantity(string(self.min[r]))) >= 0)"
    static let uniqueNamespaces = "self.all(n, self.exists_one(m, m == n))"

    /// Whether the schema (required, types, patterns, sizes) or a CEL rule refuses `object`.
    static func refuses(_ object: JSONValue, schema: JSONValue) throws -> Bool {
        guard let spec = object["spec"]?.objectValue else { return true }
        let specSchema = schema.value(at: ["properties", "spec"]) ?? .null
        for field in specSchema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where spec[field] == nil { return true }
        var maps: [String: [String: Quantity]] = [:]
        for field in ["min", "max"] {
            guard let value = spec[field] else { continue }
            guard let members = value.objectValue, members.count <= 32 else { return true }
            var parsed: [String: Quantity] = [:]
            for (resource, amount) in members {
                let text: String
                switch amount {
                case .int(let i): text = String(i)
                case .string(let s):
                    guard s.wholeMatch(of: try Regex(quantityPattern)) != nil, s.count <= 64 else { return true }
                    text = s
                default: return true
                }
                guard let q = Quantity(text) else { return true }
                parsed[resource] = q
            }
            if parsed.values.contains(where: \.isNegative) { return true }  // nonNegative
            maps[field] = parsed
        }
        if let min = maps["min"], let max = maps["max"], max.contains(where: { r, q in min[r].map { q < $0 } ?? false }) { return true }  // maxAtLeastMin
        if let namespaces = spec["namespaces"] {
            guard let items = namespaces.arrayValue, (1...256).contains(items.count) else { return true }
            let names = items.compactMap(\.stringValue)
            guard names.count == items.count else { return true }
            let pattern = try Regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
            if names.contains(where: { $0.isEmpty || $0.count > 63 || $0.wholeMatch(of: pattern) == nil }) { return true }
            if Set(names).count != names.count { return true }  // uniqueNamespaces (and list-type set)
        }
        return false
    }
}
