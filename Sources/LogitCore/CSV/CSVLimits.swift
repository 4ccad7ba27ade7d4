/// Upper bounds on what one CSV body may hold; past them parsing stops with `CSVError.Kind.tooLarge`.
public struct CSVLimits: Sendable, Equatable {
    public var maxRows: Int
    public var maxColumns: Int
    public var maxClasses: Int

    public init(maxRows: Int = 50_000_000, maxColumns: Int = 10_000, maxClasses: Int = 1_000) {
        self.maxRows = maxRows
        self.maxColumns = maxColumns
        self.maxClasses = maxClasses
    }
}
