import LogitCore

/// The Lua tables every script starts with, generated from the Swift enums, so a script names a field, a state, a
/// counter or a key shape only through them (`F.state`, `S.training`, `STAT.reclaimed`, `prefix .. K.model .. id`)
/// (`P.parsing`) and never spells a name itself. `ScriptNamesTests` fails if a script uses a name the prelude lacks, or a quoted
/// name that should come from it.
enum ScriptPrelude {
    static let text: String =
        [
            table("F", ModelField.allCases.map { ("\($0)", $0.rawValue) }),
            table("S", ModelState.allCases.map { ("\($0)", $0.rawValue) }),
            table("P", TrainingPhase.allCases.map { ("\($0)", $0.rawValue) }),
            table("STAT", StatsField.allCases.map { ("\($0)", $0.rawValue) }),
            table("K", KeySchema.Segment.allCases.map { ("\($0)", $0.rawValue) }),
            table("EV", ModelEvent.Marker.allCases.map { ("\($0)", $0.rawValue) }),
            announce,
        ].joined(separator: "\n") + "\n"

    /// `announce(prefix, id, what)` publishes a `ModelEvent` (`what`: a state from `S`, or `EV.deleted`);
    /// `prefixOf(modelKey, id)` is the key prefix of a model's key.
    private static let announce = """
        local function announce(prefix, id, what) redis.call('PUBLISH', prefix .. K.events, id .. ' ' .. what) end
        local function prefixOf(modelKey, id) return string.sub(modelKey, 1, #modelKey - #K.model - #id) end
        """

    /// The table names and, for each, the entries it defines: what the names test checks scripts against.
    static let tables: [String: Set<String>] = [
        "F": Set(ModelField.allCases.map { "\($0)" }),
        "S": Set(ModelState.allCases.map { "\($0)" }),
        "P": Set(TrainingPhase.allCases.map { "\($0)" }),
        "STAT": Set(StatsField.allCases.map { "\($0)" }),
        "K": Set(KeySchema.Segment.allCases.map { "\($0)" }),
        "EV": Set(ModelEvent.Marker.allCases.map { "\($0)" }),
    ]

    private static func table(_ name: String, _ entries: [(String, String)]) -> String {
        "local \(name) = {" + entries.map { "\($0.0) = '\($0.1)'" }.joined(separator: ", ") + "}"
    }
}
