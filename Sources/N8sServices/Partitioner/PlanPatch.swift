import Foundation
import KubeCore
import N8sCore

/// Builds the one JSON Patch that writes a plan onto a node (design.md section 3).
///
/// Order of operations:
/// 1. `test` of `spec-partitioning-plan` and `status-partitioning-plan` against the values of
///    the node version the plan was computed from. An absent annotation is tested against `null`,
///    which kube-apiserver's JSON Patch treats as "the key is absent". A node without any
///    annotations gets a single `test /metadata/annotations null` instead (it covers both keys).
///    So a deposed leader, a concurrent writer or an agent echo in between makes the whole patch
///    fail (HTTP 422) and nothing is written.
/// 2. `add` / `replace` of every spec key of the new layout and of the new plan id.
/// 3. `remove` of spec keys of the written GPUs that the layout no longer has (stale profiles).
///
/// Pure: no I/O.
public enum PlanPatch {
    /// The patch for `node` (as last seen) writing `gpus` under `planID`.
    ///
    /// - Parameters:
    ///   - gpus: the complete desired layout of every GPU written; spec keys of other GPUs are kept.
    ///   - planID: the new, unique plan id.
    public static func build(for node: Node, gpus: [GPUSpec], planID: String) -> JSONPatch {
        let current = node.metadata.annotations
        let desired = NodeMIGAnnotations.specAnnotations(gpus, planID: planID)
        guard let current else {
            return JSONPatch([
                .test(JSONPatch.pointer("metadata", "annotations"), .null),
                .add(JSONPatch.pointer("metadata", "annotations"), .object(desired.mapValues { .string($0) })),
            ])
        }
        var ops: [JSONPatch.Operation] = []
        for key in [MIGAnnotations.specPartitioningPlan, MIGAnnotations.statusPartitioningPlan] {
            ops.append(.test(pointer(key), current[key].map { .string($0) } ?? .null))
        }
        for (key, value) in desired.sorted(by: { $0.key < $1.key }) {
            switch current[key] {
            case value?: continue
            case nil: ops.append(.add(pointer(key), .string(value)))
            default: ops.append(.replace(pointer(key), .string(value)))
            }
        }
        let written = Set(gpus.map(\.index))
        for key in current.keys.sorted() where desired[key] == nil {
            if let gpu = specGPU(of: key), written.contains(gpu) { ops.append(.remove(pointer(key))) }
        }
        return JSONPatch(ops)
    }

    /// A patch that only re-issues the plan under a new id (retrying a stalled node), with the same tests.
    public static func reissue(for node: Node, planID: String) -> JSONPatch {
        let current = node.metadata.annotations ?? [:]
        var ops: [JSONPatch.Operation] = []
        for key in [MIGAnnotations.specPartitioningPlan, MIGAnnotations.statusPartitioningPlan] {
            ops.append(.test(pointer(key), current[key].map { .string($0) } ?? .null))
        }
        let key = MIGAnnotations.specPartitioningPlan
        ops.append(current[key] == nil ? .add(pointer(key), .string(planID)) : .replace(pointer(key), .string(planID)))
        return JSONPatch(ops)
    }

    /// `/metadata/annotations/<key>` with the key escaped.
    public static func pointer(_ key: String) -> String { JSONPatch.pointer("metadata", "annotations", key) }

    /// The GPU index of a `n8s.nebuly.ai/spec-gpu-<index>-...` key; `nil` for other keys.
    /// Parsed by an anchored prefix, never by splitting on `-`.
    public static func specGPU(of key: String) -> Int? {
        let prefix = MIGAnnotations.prefix + "spec-gpu-"
        guard key.hasPrefix(prefix) else { return nil }
        let rest = key.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 3, rest.dropFirst(digits.count).first == "-" else { return nil }
        return Int(digits)
    }

    /// The spec of every plannable GPU of `view` as it is now (status placements, or the spec
    /// while an echo is awaited), with `changes` applied: the complete layout a plan writes.
    public static func fullSpec(of view: NodeView, changes: [Plan.GPUChange]) -> [GPUSpec] {
        let changed = Dictionary(changes.map { ($0.index, $0.placements) }, uniquingKeysWith: { a, _ in a })
        var out: [GPUSpec] = []
        for gpu in view.gpus where gpu.unplannable == nil || changed[gpu.index] != nil {
            if let target = changed[gpu.index] {
                out.append(GPUSpec(index: gpu.index, layout: target))
            } else if let instances = gpu.instances {
                out.append(GPUSpec(index: gpu.index, layout: instances.map(\.placed)))
            }
        }
        return out
    }

    /// Adoption (case C31): a node whose agent reports MIG instances but which has no spec at all
    /// gets its current layout as spec, so n8s manages it from then on and later plans only change
    /// free devices. `nil` when the node has a spec already or nothing to adopt.
    public static func adoptionSpec(of view: NodeView) -> [GPUSpec]? {
        guard view.annotations.specPlanID == nil, view.annotations.spec.isEmpty else { return nil }
        let gpus = view.gpus.filter { $0.unplannable == nil }.compactMap { g -> GPUSpec? in
            guard let instances = g.instances, !instances.isEmpty else { return nil }
            return GPUSpec(index: g.index, layout: instances.map(\.placed))
        }
        return gpus.isEmpty ? nil : gpus
    }
}
