import Foundation
import KubeCore

/// What a client asked for in `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
struct TableRequest {
    /// `Object` (full objects in rows), `Metadata` (default: PartialObjectMetadata) or `None`.
    var includeObject: String

    init?(accept: String?, includeObject: String?) {
        guard let accept, accept.contains("as=Table") else { return nil }
        self.includeObject = includeObject ?? "Metadata"
    }
}

/// `meta.k8s.io/v1` Table responses, which `kubectl get` prints as they come.
enum Table {
    static func list(_ page: ListResult, type: ResourceType, now: Date, request: TableRequest) -> JSONValue {
        var meta: JSONObject = ["resourceVersion": .string(page.resourceVersion)]
        if let token = page.continueToken { meta["continue"] = .string(token) }
        return table(page.items, type: type, now: now, request: request, metadata: .object(meta))
    }

    static func single(_ object: JSONValue, type: ResourceType, now: Date, request: TableRequest) -> JSONValue {
        table([object], type: type, now: now, request: request,
              metadata: ["resourceVersion": object.value(at: ["metadata", "resourceVersion"]) ?? ""])
    }

    static func table(_ items: [JSONValue], type: ResourceType, now: Date, request: TableRequest, metadata: JSONValue) -> JSONValue {
        var columns: [JSONValue] = [["name": "Name", "type": "string", "format": "name", "description": "Name of the object", "priority": 0]]
        let printer = type.printerColumns.isEmpty ? [ResourceType.PrinterColumn(name: "Age", path: "")] : type.printerColumns
        for c in printer {
            columns.append(["name": .string(c.name), "type": .string(c.path.isEmpty ? "date" : c.type), "format": "",
                            "description": .string(c.description.isEmpty ? c.path : c.description), "priority": .int(Int64(c.priority))])
        }
        let rows: [JSONValue] = items.map { item in
            var cells: [JSONValue] = [item.value(at: ["metadata", "name"]) ?? ""]
            for c in printer {
                cells.append(c.path.hasPrefix(".") || c.path.hasPrefix("{") ? customCell(item, column: c, now: now) : .string(cell(item, path: c.path, now: now)))
            }
            var row: JSONObject = ["cells": .array(cells)]
            switch request.includeObject {
            case "None": break
            case "Object": row["object"] = item
            default:
                row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": item["metadata"] ?? [:]]
            }
            return .object(row)
        }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": .array(columns), "rows": .array(rows)]
    }

    /// A cell's text. `conditions[Type].status` selects a condition by type; `""` is the age.
    static func cell(_ item: JSONValue, path: String, now: Date) -> String {
        if path.isEmpty {
            guard let text = item.value(at: ["metadata", "creationTimestamp"])?.stringValue, let created = RFC3339.parse(text) else { return "<unknown>" }
            return humanDuration(now.timeIntervalSince(created))
        }
        if let open = path.firstIndex(of: "["), let close = path.firstIndex(of: "]") {
            let listPath = path[..<open].split(separator: ".").map(String.init)
            let wanted = String(path[path.index(after: open)..<close])
            let rest = path[path.index(after: close)...].split(separator: ".").map(String.init)
            let entry = item.value(at: listPath)?.arrayValue?.first { $0["type"]?.stringValue == wanted }
            return entry?.fieldText(at: rest.joined(separator: ".")) ?? "<none>"
        }
        return item.fieldText(at: path) ?? "<none>"
    }

    /// A CustomResourceDefinition column's cell, as kube-apiserver fills it: `null` when the path
    /// finds nothing; dates as ages; numbers and booleans as themselves; other values as text
    /// (lists and maps in JSON).
    static func customCell(_ item: JSONValue, column: ResourceType.PrinterColumn, now: Date) -> JSONValue {
        guard let value = SimpleJSONPath.evaluate(column.path, in: item), !value.isNull else { return .null }
        switch (column.type, value) {
        case ("date", .string(let text)):
            guard let date = RFC3339.parse(text) else { return .null }
            return .string(humanDuration(now.timeIntervalSince(date)))
        case ("integer", .int), ("number", .int), ("number", .double), ("boolean", .bool):
            return value
        case (_, .string(let text)):
            return .string(text)
        case (_, .int(let i)):
            return .string(String(i))
        case (_, .double(let d)):
            return .string("\(d)")
        case (_, .bool(let b)):
            return .string(String(b))
        default:
            return .string(String(decoding: value.serialized(), as: UTF8.self))
        }
    }

    /// kubectl's short durations: `45s`, `3m20s`, `25m`, `5h10m`, `2d3h`, `40d`, `3y20d`.
    static func humanDuration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 0 { return "0s" }
        if s < 120 { return "\(s)s" }
        let m = s / 60
        if m < 10 { return s % 60 == 0 ? "\(m)m" : "\(m)m\(s % 60)s" }
        if m < 180 { return "\(m)m" }
        let h = m / 60
        if h < 8 { return m % 60 == 0 ? "\(h)h" : "\(h)h\(m % 60)m" }
        if h < 48 { return "\(h)h" }
        if h < 192 { return h % 24 == 0 ? "\(h / 24)d" : "\(h / 24)d\(h % 24)h" }
        if h < 24 * 365 * 2 { return "\(h / 24)d" }
        let y = h / (24 * 365)
        return "\(y)y\((h / 24) % 365)d"
    }
}
