import Foundation
import KubeCore
import Testing
@testable import N8sCore

/// Seeded random quotas and pods: validation, the webhook and the arithmetic answer every input
/// with a value or an error, never a trap, and never admit past `max`.
@Suite("Quota robustness on random input")
struct QuotaRobustnessTests {
    static let names = ["cpu", "memory", "gpu", "nvidia.com/gpu", "n8s.nebuly.ai/gpu-memory", "nvidia.com/mig-1g.10gb", "nvidia.com/mig-x",
                        "requests.cpu", "Bad_Domain/x", "hugepages-2Mi", ""]
    static let amounts: [JSONValue] = ["1", "-1", "1e29", "1e300", "0.000000001", "1Ki", "lots", "", 3, -2, 1.5, true, nil, [], [:]]

    static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        switch rng.below(depth > 2 ? 3 : 5) {
        case 0: return amounts[rng.below(amounts.count)]
        case 1: return .string(names[rng.below(names.count)])
        case 2: return .int(Int64(rng.below(5)) - 1)
        case 3: return .array((0..<rng.below(4)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var o: JSONObject = [:]
            for _ in 0..<rng.below(4) { o[names[rng.below(names.count)]] = randomValue(&rng, depth: depth + 1) }
            return .object(o)
        }
    }

    static func randomQuota(_ rng: inout SplitMix64) -> JSONValue {
        var spec: JSONObject = [:]
        for field in ["min", "max", "namespaces"] where rng.below(3) > 0 {
            if field == "namespaces", rng.below(2) == 0 {
                spec[field] = .array((0..<rng.below(4)).map { _ in .string(["a", "b", "B_", ""][rng.below(4)]) })
                continue
            }
            if rng.below(4) == 0 { spec[field] = randomValue(&rng); continue }
            var map: JSONObject = [:]
            for _ in 0..<rng.below(4) { map[names[rng.below(names.count)]] = amounts[rng.below(amounts.count)] }
            spec[field] = .object(map)
        }
        return ["metadata": ["name": "q", "namespace": "a"], "spec": rng.below(10) == 0 ? randomValue(&rng) : .object(spec)]
    }

    @Test("validation and the webhook answer 2,000 random quotas without trapping; what they accept decodes")
    func validation() throws {
        var rng = SplitMix64(seed: 12)
        for _ in 0..<2_000 {
            let object = Self.randomQuota(&rng)
            for kind in [QuotaID.Kind.elastic, .composite] {
                let problems = QuotaValidation.validate(object, kind: kind)
                #expect(problems.allSatisfy { !$0.field.isEmpty && !$0.message.isEmpty })
                if problems.isEmpty {
                    if kind == .elastic { _ = try KubeJSON.typed(ElasticQuota.self, from: object) } else { _ = try KubeJSON.typed(CompositeElasticQuota.self, from: object) }
                }
                let request = AdmissionReview.Request(
                    uid: "u", kind: .init(group: QuotaNames.group, version: "v1alpha1", kind: kind.rawValue),
                    resource: .init(group: QuotaNames.group, version: "v1alpha1", resource: "x"), namespace: "a", operation: "CREATE", object: object)
                let response = QuotaWebhook.review(request, existing: [QuotaFixtures.elastic("other", in: "b")])
                if !problems.isEmpty { #expect(!response.allowed) }
                #expect(response.uid == "u")
            }
        }
    }

    @Test("random pods and quotas: usage is exact or an error, and admission never passes max")
    func arithmetic() throws {
        var rng = SplitMix64(seed: 7)
        let amounts: [Quantity] = ["0", "1", "2", "10", "500m", "1e29"]
        for _ in 0..<300 {
            var quotas: [Quota] = []
            for (i, namespace) in ["a", "b", "c"].enumerated() where rng.below(4) > 0 {
                var min: [String: Quantity] = [:]
                var max: [String: Quantity]? = rng.below(2) == 0 ? nil : [:]
                for r in ["cpu", QuotaNames.gpuMemory, QuotaNames.gpu] where rng.below(2) == 0 {
                    let m = amounts[rng.below(5)]
                    min[r] = m
                    if max != nil, rng.below(2) == 0 { max?[r] = m + amounts[rng.below(5)] }
                }
                quotas.append(QuotaFixtures.elastic("q\(i)", in: namespace, min: min, max: max, createdAt: i))
            }
            var pods: [Pod] = []
            for i in 0..<rng.below(8) {
                let limits: [String: Quantity] = ["cpu": amounts[rng.below(amounts.count)], "nvidia.com/mig-1g.10gb": Quantity(rng.below(3)),
                                                  QuotaNames.gpu: Quantity(rng.below(2))]
                pods.append(QuotaFixtures.pod("p\(i)", in: ["a", "b", "c", "d"][rng.below(4)], limits, createdAt: rng.below(5)))
            }
            let usage: QuotaUsage
            do { usage = try QuotaFixtures.usage(quotas, pods) } catch { continue }  // 1e29 sums: an error, not a trap
            _ = try? usage.capacities()
            _ = try? usage.fairShares()
            let pod = QuotaFixtures.pod("new", in: ["a", "b", "c"][rng.below(3)], ["nvidia.com/mig-1g.10gb": Quantity(1 + rng.below(2)), "cpu": "1"], node: nil)
            guard let charge = try? QuotaFixtures.rates.charge(of: pod), let decision = try? usage.admit(charge, namespace: pod.namespace ?? ""),
                decision.isAdmissible, let quota = usage.quotas.quota(of: pod)
            else { continue }
            for (resource, amount) in quota.counted(charge) {
                if let cap = quota.maximum(of: resource) { #expect(usage.used(resource, by: quota.id) + amount <= cap) }
            }
        }
    }
}
