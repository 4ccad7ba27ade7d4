extension TrainingSummary {
    /// Every member, for callers outside the trainer (API examples, tests). (The synthesized memberwise initializer
    /// is internal, and cannot be redeclared public.)
    public init(
        iterations nIter: Int, converged: Bool, stopReason: StopReason, objective: Double, gradientNorm: Double, objectiveGapBound: Double?,
        objectiveHistory: [Double], dataPasses: Int?, trainAccuracy: Double, validationAccuracy: Double?, trainingSeconds: Double,
        validationMetrics: ClassificationMetrics? = nil
    ) {
        self.nIter = nIter
        self.converged = converged
        self.stopReason = stopReason
        self.objective = objective
        self.gradientNorm = gradientNorm
        self.objectiveGapBound = objectiveGapBound
        self.objectiveHistory = objectiveHistory
        self.dataPasses = dataPasses
        self.trainAccuracy = trainAccuracy
        self.validationAccuracy = validationAccuracy
        self.trainingSeconds = trainingSeconds
        self.validationMetrics = validationMetrics
    }
}
