import KubeCore
import Testing

@Suite("LabelSelector")
struct LabelSelectorTests {
    let labels = ["app": "web", "tier": "front", "gen": "5"]

    @Test("string form matches as kube-apiserver does", arguments: [
        ("app=web", true), ("app==web", true), ("app!=web", false), ("app!=db", true), ("missing!=x", true),
        ("app in (web,db)", true), ("app notin (web)", false), ("missing notin (x)", true), ("app", true),
        ("!app", false), ("!missing", true), ("app=web,tier=front", true), ("app=web,tier=back", false),
        ("gen>4", true), ("gen<5", false), ("", true), ("app in (db, web)", true), ("app in ()", false),
    ])
    func matches(text: String, expected: Bool) throws {
        #expect(try LabelSelector(parsing: text).matches(labels) == expected)
    }

    @Test("round-trips through its string form")
    func roundTrip() throws {
        let text = "app=web,tier!=db,env in (a,b),gpu notin (x),canary,!legacy,gen>3"
        let selector = try LabelSelector(parsing: text)
        #expect(try LabelSelector(parsing: selector.description) == selector)
    }

    @Test("malformed selectors are errors that quote the selector", arguments: [
        "app in (a", "app in a,b)", "=x", "app>x", "a b c",
        // Kubernetes' label syntax (found by fuzzing: such values printed back as other selectors).
        "b/c-d==x==y", "app=a b", "app in (ok,-bad)", "app=\u{00e9}t\u{00e9}", "-app=x", "Bad_Prefix/app=x",
        "app=\(String(repeating: "v", count: 64))",
    ])
    func malformed(text: String) {
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: text) }
    }

    @Test("structured form converts and rejects unknown operators")
    func structured() throws {
        let spec = LabelSelectorSpec(matchLabels: ["app": "web"], matchExpressions: [.init(key: "tier", operator: "In", values: ["front"])])
        #expect(try spec.selector().matches(labels))
        let bad = LabelSelectorSpec(matchExpressions: [.init(key: "tier", operator: "Near", values: ["x"])])
        #expect(throws: SelectorError.self) { try bad.selector() }
        let missingValues = LabelSelectorSpec(matchExpressions: [.init(key: "tier", operator: "In")])
        #expect(throws: SelectorError.self) { try missingValues.selector() }
    }
}

@Suite("FieldSelector")
struct FieldSelectorTests {
    @Test("equality and inequality; absent fields read as empty")
    func matches() throws {
        let fields = ["spec.nodeName": "n1", "status.phase": "Running"]
        #expect(try FieldSelector(parsing: "spec.nodeName=n1").matches { fields[$0] })
        #expect(try FieldSelector(parsing: "spec.nodeName==n1,status.phase!=Failed").matches { fields[$0] })
        #expect(try !FieldSelector(parsing: "spec.nodeName!=n1").matches { fields[$0] })
        #expect(try FieldSelector(parsing: "spec.nodeName=").matches { _ in nil })
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: "spec.nodeName") }
    }

    @Test("values escape backslash, comma and equals as kube-apiserver does, and print back the same")
    func escaping() throws {
        let selector = try FieldSelector(parsing: #"metadata.name==a\,b\=c\\d,spec.nodeName!=n1"#)
        #expect(selector.requirements.map(\.value) == [#"a,b=c\d"#, "n1"])
        #expect(selector.description == #"metadata.name=a\,b\=c\\d,spec.nodeName!=n1"#)
        #expect(try FieldSelector(parsing: selector.description) == selector)
    }

    // Found by fuzzing: `f=v==` split at the later `==` after printing; an unescaped `=` is an error.
    @Test("unescaped reserved characters, unknown escapes and odd field names are errors", arguments: [
        "metadata.name=a==", "metadata.name=a=b", #"metadata.name=a\x"#, #"metadata.name=a\"#, "met\u{0}a=x", "a! =b",
    ])
    func malformed(text: String) {
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: text) }
    }
}
