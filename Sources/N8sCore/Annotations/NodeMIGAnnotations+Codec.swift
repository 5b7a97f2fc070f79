extension NodeMIGAnnotations {
    /// Parses a node's annotations; keys outside `n8s.nebuly.ai/status-` / `spec-` are ignored.
    ///
    /// Never throws and never guesses: a malformed key or value is recorded in ``errors`` (and its
    /// GPU is left unplanned by the caller), never read as zero.
    public init(parsing annotations: [String: String]) {
        self.init()
        for (key, value) in annotations.sorted(by: { $0.key < $1.key }) where key.hasPrefix(MIGAnnotations.prefix) {
            parse(key: key, value: value)
        }
        for (index, report) in status.sorted(by: { $0.key < $1.key }) {
            guard let instances = report.instances, !(report.free.isEmpty && report.used.isEmpty) else { continue }
            var free: [String: Int] = [:]
            var used: [String: Int] = [:]
            for i in instances {
                if i.isUsed { used[i.placed.profile, default: 0] += 1 } else { free[i.placed.profile, default: 0] += 1 }
            }
            if free != report.free || used != report.used {
                errors.append(AnnotationError(
                    key: MIGAnnotations.statusPlacements(gpu: index), value: Self.encode(instances),
                    reason: "disagrees with the -free/-used counts \(Geometries.describe(report.free)) / \(Geometries.describe(report.used))"))
            }
        }
    }

    private mutating func parse(key: String, value: String) {
        func bad(_ reason: String) { errors.append(AnnotationError(key: key, value: value, reason: reason)) }
        switch key {
        case MIGAnnotations.autoMIGEnabled: return
        case MIGAnnotations.statusPartitioningPlan: statusPlanID = value; return
        case MIGAnnotations.specPartitioningPlan: specPlanID = value; return
        case MIGAnnotations.statusPartitioningSpecHash: statusSpecHash = value; return
        case MIGAnnotations.statusPartitioningOutcome:
            if let o = PartitioningOutcome(rawValue: value) { outcome = o } else { bad("must be Applied, PartiallyApplied or Failed") }
            return
        default: break
        }
        let statusKey = ProfileGrammar.gpuKey(key, kind: "status")
        if let (gpu, rest) = statusKey, rest == "placements" || rest == "model" || rest == "mig-mode" {
            // In place: copying the report out and back would copy its count dictionaries per key.
            if status[gpu] == nil { status[gpu] = GPUStatusReport(index: gpu) }
            switch rest {
            case "placements":
                do { status[gpu]?.instances = try Self.parseStatusPlacements(value) } catch { bad(error.reason) }
            case "model":
                if value.isEmpty { bad("must name the GPU product") } else { status[gpu]?.model = value }
            default:
                if let mode = MIGMode(rawValue: value) { status[gpu]?.migMode = mode } else { bad("must be enabled, disabled or pending") }
            }
        } else if let (gpu, rest) = statusKey, rest.hasSuffix("-free") || rest.hasSuffix("-used"),
            ProfileGrammar.parse(rest.dropLast(5), allowPlus: false) != nil
        {
            guard let n = ProfileGrammar.count(value[...]) else { return bad("must be a whole count") }
            if status[gpu] == nil { status[gpu] = GPUStatusReport(index: gpu) }
            let profile = MIGAnnotations.nvidiaName(fromResourceForm: String(rest.dropLast(5)))
            // Zero counts are not kept.
            if rest.hasSuffix("-free") { status[gpu]?.free[profile] = n > 0 ? n : nil } else { status[gpu]?.used[profile] = n > 0 ? n : nil }
        } else if let (gpu, rest) = ProfileGrammar.gpuKey(key, kind: "spec"), rest == "placements" {
            var spec = self.spec[gpu] ?? GPUSpec(index: gpu, counts: [:], placements: nil)
            do {
                let items = try Self.parsePlacementItems(value)
                guard items.allSatisfy({ $0.1 == nil }) else { return bad("spec placements carry no ':used' or ':free'") }
                spec.placements = items.map(\.0).sorted()
            } catch { return bad(error.reason) }
            self.spec[gpu] = spec
        } else if let (gpu, rest) = ProfileGrammar.gpuKey(key, kind: "spec"), ProfileGrammar.parse(rest, allowPlus: false) != nil {
            guard let n = ProfileGrammar.count(value[...]) else { return bad("must be a whole count") }
            var spec = self.spec[gpu] ?? GPUSpec(index: gpu, counts: [:], placements: nil)
            if n > 0 { spec.counts[MIGAnnotations.nvidiaName(fromResourceForm: String(rest))] = n }
            self.spec[gpu] = spec
        } else if key.hasPrefix(MIGAnnotations.prefix + "status-") || key.hasPrefix(MIGAnnotations.prefix + "spec-") {
            bad("is not an n8s annotation key (design.md section 3)")
        }
    }

    struct ValueError: Error { var reason: String }

    static func parsePlacementItems(_ value: String) throws(ValueError) -> [(PlacedInstance, Bool?)] {
        if value.isEmpty { return [] }
        var out: [(PlacedInstance, Bool?)] = []
        for item in value.split(separator: ",", omittingEmptySubsequences: false) {
            let text = trimmingSpaces(item)
            var failure: ValueError { ValueError(reason: "item '\(text)' is not <profile>@<start>[:used|free]") }
            // <profile>@<start>[:<used|free>], exactly one '@' and at most one ':' after it.
            guard let at = text.firstIndex(of: "@") else { throw failure }
            let name = text[..<at]
            let after = text[text.index(after: at)...]
            guard !after.contains("@"), let parsed = ProfileGrammar.parse(name) else { throw failure }
            let colon = after.firstIndex(of: ":")
            guard let start = ProfileGrammar.count(after[..<(colon ?? after.endIndex)], maxDigits: 2) else { throw failure }
            var used: Bool?
            if let colon {
                let state = after[after.index(after: colon)...]
                guard state == "used" || state == "free" else { throw failure }
                used = state == "used"
            }
            // A base name is already the NVIDIA name; suffixes go through the resource form.
            let profile = parsed.suffix.isEmpty
                ? String(name) : MIGAnnotations.nvidiaName(fromResourceForm: MIGProfile.resourceForm(of: String(name)))
            out.append((PlacedInstance(profile, at: start), used))
        }
        return out
    }

    /// `text` without leading and trailing tabs and Unicode space separators (general category
    /// Zs): what Foundation's `trimmingCharacters(in: .whitespaces)` removes, without bridging.
    static func trimmingSpaces(_ text: Substring) -> Substring {
        func isSpace(_ u: Unicode.Scalar) -> Bool { u == "\t" || u.properties.generalCategory == .spaceSeparator }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else {
            return text[text.endIndex...]
        }
        return Substring(scalars[first...last])
    }

    static func parseStatusPlacements(_ value: String) throws(ValueError) -> [InstanceState] {
        let items = try parsePlacementItems(value)
        var out: [InstanceState] = []
        for (placed, used) in items {
            guard let used else { throw ValueError(reason: "item '\(placed)' lacks ':used' or ':free'") }
            out.append(InstanceState(placed, isUsed: used))
        }
        return out.sorted { $0.placed < $1.placed }
    }

    /// `<profile>@<start>:<used|free>,...` sorted by start (NVIDIA profile names).
    public static func encode(_ instances: [InstanceState]) -> String {
        instances.sorted { $0.placed < $1.placed }.map { "\($0.placed):\($0.isUsed ? "used" : "free")" }.joined(separator: ",")
    }

    /// The status annotations the agent writes for these GPUs (placements, counts, model, mode).
    public static func statusAnnotations(_ reports: [GPUStatusReport]) -> [String: String] {
        var out: [String: String] = [:]
        for r in reports {
            if let model = r.model { out[MIGAnnotations.statusModel(gpu: r.index)] = model }
            if let mode = r.migMode { out[MIGAnnotations.statusMIGMode(gpu: r.index)] = mode.rawValue }
            guard let instances = r.instances else { continue }
            out[MIGAnnotations.statusPlacements(gpu: r.index)] = encode(instances)
            for i in instances {
                let key = i.isUsed ? MIGAnnotations.statusUsed(gpu: r.index, profile: i.placed.profile)
                    : MIGAnnotations.statusFree(gpu: r.index, profile: i.placed.profile)
                out[key] = String((Int(out[key] ?? "0") ?? 0) + 1)
            }
        }
        return out
    }

    /// The spec annotations for a plan: counts and exact placements per GPU, and the plan id.
    public static func specAnnotations(_ gpus: [GPUSpec], planID: String) -> [String: String] {
        var out: [String: String] = [MIGAnnotations.specPartitioningPlan: planID]
        for g in gpus {
            for (profile, n) in g.counts where n > 0 { out[MIGAnnotations.specCount(gpu: g.index, profile: profile)] = String(n) }
            if let p = g.placements {
                out[MIGAnnotations.specPlacements(gpu: g.index)] = p.sorted().map(\.description).joined(separator: ",")
            }
        }
        return out
    }

    /// A stable hash of the spec annotations in `annotations` (the value of
    /// `status-partitioning-spec-hash`): FNV-1a 64 over sorted `key=value` lines, 16 hex digits.
    public static func specHash(of annotations: [String: String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (k, v) in annotations.sorted(by: { $0.key < $1.key }) where k.hasPrefix(MIGAnnotations.prefix + "spec-") {
            for byte in "\(k)=\(v)\n".utf8 {
                h ^= UInt64(byte)
                h &*= 0x0000_0100_0000_01b3
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
