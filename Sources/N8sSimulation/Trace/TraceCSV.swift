/// One pod of the Alibaba GPU cluster trace v2023 (`openb_pod_list_*.csv`).
///
/// Columns (upstream README, `cluster-trace-gpu-v2023`): `name`, `cpu_milli` (millicores),
/// `memory_mib` (MiB), `num_gpu` (whole GPUs, 0...8), `gpu_milli` (share of one GPU for sharing
/// pods, 0...1000), `gpu_spec` (allowed models, `|`-separated, empty = any), `qos`, `pod_phase`,
/// `creation_time`, `deletion_time`, `scheduled_time` (seconds from the trace start; empty when
/// the event did not happen).
public struct TracePod: Sendable, Hashable {
    public var name: String
    public var cpuMilli: Int
    public var memoryMiB: Int
    public var numGPU: Int
    public var gpuMilli: Int
    public var gpuSpec: String
    public var qos: String
    public var phase: String
    /// Seconds from the trace start.
    public var creationTime: Int
    public var deletionTime: Int?
    public var scheduledTime: Int?
    /// 1-based line in the file (header = 1), for error messages.
    public var line: Int

    public init(name: String, cpuMilli: Int, memoryMiB: Int, numGPU: Int, gpuMilli: Int, gpuSpec: String = "", qos: String = "",
                phase: String = "", creationTime: Int, deletionTime: Int? = nil, scheduledTime: Int? = nil, line: Int = 0) {
        self.name = name
        self.cpuMilli = cpuMilli
        self.memoryMiB = memoryMiB
        self.numGPU = numGPU
        self.gpuMilli = gpuMilli
        self.gpuSpec = gpuSpec
        self.qos = qos
        self.phase = phase
        self.creationTime = creationTime
        self.deletionTime = deletionTime
        self.scheduledTime = scheduledTime
        self.line = line
    }
}

/// One node of the trace (`openb_node_list_*.csv`): `sn`, `cpu_milli`, `memory_mib`, `gpu` (count), `model`.
public struct TraceNode: Sendable, Hashable {
    public var name: String
    public var cpuMilli: Int
    public var memoryMiB: Int
    public var gpus: Int
    /// The trace's GPU type (`G2`, `T4`, `V100M16`, ...); empty on CPU-only nodes.
    public var model: String
}

/// Reads the trace's CSV files (plain CSV: comma-separated, first line a header naming the
/// columns, in any order; cells may be double-quoted). The data is read from where the user keeps
/// it, never bundled: it is for research use only.
public enum TraceCSV {
    /// - Parameter file: the name used in errors.
    /// - Throws: ``SimulationError/invalidTrace(file:line:column:reason:)`` for a missing column, a
    ///   short row, or a cell that is not a non-negative whole number where one is needed.
    public static func pods(_ text: String, file: String = "pods.csv") throws(SimulationError) -> [TracePod] {
        let table = try Table(text, file: file, required: ["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "creation_time"])
        var out: [TracePod] = []
        for row in table.rows {
            out.append(TracePod(
                name: try table.text(row, "name"), cpuMilli: try table.int(row, "cpu_milli"), memoryMiB: try table.int(row, "memory_mib"),
                numGPU: try table.int(row, "num_gpu"), gpuMilli: try table.int(row, "gpu_milli"),
                gpuSpec: try table.optionalText(row, "gpu_spec") ?? "", qos: try table.optionalText(row, "qos") ?? "",
                phase: try table.optionalText(row, "pod_phase") ?? "", creationTime: try table.int(row, "creation_time"),
                deletionTime: try table.optionalInt(row, "deletion_time"), scheduledTime: try table.optionalInt(row, "scheduled_time"),
                line: row.line
            ))
        }
        return out
    }

    /// - Throws: as ``pods(_:file:)``.
    public static func nodes(_ text: String, file: String = "nodes.csv") throws(SimulationError) -> [TraceNode] {
        let table = try Table(text, file: file, required: ["sn", "cpu_milli", "memory_mib", "gpu"])
        var out: [TraceNode] = []
        for row in table.rows {
            out.append(TraceNode(
                name: try table.text(row, "sn"), cpuMilli: try table.int(row, "cpu_milli"), memoryMiB: try table.int(row, "memory_mib"),
                gpus: try table.int(row, "gpu"), model: try table.optionalText(row, "model") ?? ""
            ))
        }
        return out
    }

    /// A parsed CSV: header index and rows with their line numbers.
    struct Table {
        struct Row {
            var line: Int
            var cells: [String]
        }

        let file: String
        let columns: [String: Int]
        let rows: [Row]

        init(_ text: String, file: String, required: [String]) throws(SimulationError) {
            self.file = file
            var lines: [Row] = []
            var number = 0
            for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                number += 1
                var line = Substring(raw)
                if line.hasSuffix("\r") { line = line.dropLast() }
                if line.allSatisfy({ $0 == " " }) { continue }
                lines.append(Row(line: number, cells: Self.split(line)))
            }
            guard let header = lines.first else { throw .invalidTrace(file: file, line: 1, column: nil, reason: "the file is empty") }
            var columns: [String: Int] = [:]
            for (i, name) in header.cells.enumerated() { columns[name.trimmingSpaces] = i }
            for name in required where columns[name] == nil {
                throw .invalidTrace(file: file, line: header.line, column: name, reason: "the header lacks this column")
            }
            for row in lines.dropFirst() where row.cells.count < header.cells.count {
                throw .invalidTrace(file: file, line: row.line, column: nil, reason: "has \(row.cells.count) cells, the header \(header.cells.count)")
            }
            self.columns = columns
            rows = Array(lines.dropFirst())
        }

        static func split(_ line: Substring) -> [String] {
            var cells: [String] = []
            var current = ""
            var quoted = false
            var iterator = line.makeIterator()
            while let c = iterator.next() {
                if quoted {
                    if c == "\"" { quoted = false } else { current.append(c) }
                } else if c == "\"" {
                    quoted = true
                } else if c == "," {
                    cells.append(current)
                    current = ""
                } else {
                    current.append(c)
                }
            }
            cells.append(current)
            return cells
        }

        func optionalText(_ row: Row, _ column: String) throws(SimulationError) -> String? {
            guard let i = columns[column] else { return nil }
            return row.cells[i].trimmingSpaces
        }

        func text(_ row: Row, _ column: String) throws(SimulationError) -> String {
            guard let value = try optionalText(row, column), !value.isEmpty else {
                throw .invalidTrace(file: file, line: row.line, column: column, reason: "is empty")
            }
            return value
        }

        func optionalInt(_ row: Row, _ column: String) throws(SimulationError) -> Int? {
            guard let value = try optionalText(row, column), !value.isEmpty else { return nil }
            guard let n = Int(value), n >= 0 else {
                throw .invalidTrace(file: file, line: row.line, column: column, reason: "'\(value)' is not a whole number ≥ 0")
            }
            return n
        }

        func int(_ row: Row, _ column: String) throws(SimulationError) -> Int {
            guard let n = try optionalInt(row, column) else { throw .invalidTrace(file: file, line: row.line, column: column, reason: "is empty") }
            return n
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
