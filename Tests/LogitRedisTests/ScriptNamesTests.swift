import Foundation
import LogitCore
import Testing

@testable import LogitRedis

/// The Lua scripts and the Swift definitions agree on every name: a script names fields, states, counters and key
/// shapes only through the prelude generated from the Swift enums, and only names the prelude defines.
@Suite struct ScriptNamesTests {
    static let scripts: [(name: String, text: String)] = [
        ("claim", Scripts.claim), ("progress", Scripts.progress), ("finish", Scripts.finish), ("handBack", Scripts.handBack),
        ("reap", Scripts.reap), ("reconcile", Scripts.reconcile), ("enqueue", Scripts.enqueue), ("delete", Scripts.delete),
        ("resolve", Scripts.resolve), ("setAlias", Scripts.setAlias),
    ]

    /// A script's own text, without the prelude(s) it starts with.
    static func body(_ script: String) -> String { script.replacingOccurrences(of: ScriptPrelude.text, with: "") }

    @Test(arguments: scripts.map(\.name))
    func everyNameAScriptUsesIsDefinedInSwift(script name: String) throws {
        let text = try #require(Self.scripts.first { $0.name == name }?.text)
        #expect(text.hasPrefix(ScriptPrelude.text), "the script starts with the prelude")
        let reference = try Regex(#"\b(F|S|P|STAT|K|EV)\.([A-Za-z_]+)"#)
        for match in Self.body(text).matches(of: reference) {
            let table = String(match.output[1].substring!)
            let entry = String(match.output[2].substring!)
            #expect(ScriptPrelude.tables[table]?.contains(entry) == true, "\(name) uses \(table).\(entry), which Swift does not define")
        }
    }

    @Test(arguments: scripts.map(\.name))
    func noScriptSpellsAStoredNameItself(script name: String) throws {
        let text = Self.body(try #require(Self.scripts.first { $0.name == name }?.text))
        let storedNames =
            Set(ModelField.allCases.map(\.rawValue)).union(ModelState.allCases.map(\.rawValue)).union(TrainingPhase.allCases.map(\.rawValue)).union(
                StatsField.allCases.map(\.rawValue)
            )
            .union(KeySchema.Segment.allCases.map(\.rawValue)).union(ModelEvent.Marker.allCases.map(\.rawValue))
        for match in text.matches(of: try Regex(#"'([^']*)'"#)) {
            let literal = String(match.output[1].substring!)
            #expect(!storedNames.contains(literal), "\(name) spells '\(literal)'; take it from the prelude instead")
        }
    }

    @Test func thePreludeSpellsEveryNameAsSwiftDoes() {
        for field in ModelField.allCases { #expect(ScriptPrelude.text.contains("\(field) = '\(field.rawValue)'")) }
        for state in ModelState.allCases { #expect(ScriptPrelude.text.contains("\(state) = '\(state.rawValue)'")) }
        for stat in StatsField.allCases { #expect(ScriptPrelude.text.contains("\(stat) = '\(stat.rawValue)'")) }
        let keys = KeySchema(prefix: "p:")
        let id = ModelID.generate()
        #expect(keys.model(id) == "p:" + KeySchema.Segment.model.rawValue + id.rawValue)
        #expect(ScriptPrelude.text.contains("model = 'model:'"))
    }
}
