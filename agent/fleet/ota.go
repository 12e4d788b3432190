package fleet

// VerbModelPromote ends a model version's probation early (args {"model"}).
const VerbModelPromote = "model.promote"

// Model states of a deployed version in ModelStatus, besides ModelActive
// and ModelFailed.
const (
	ModelProbation  = "probation"   // scoring, its probation gates still watching
	ModelRolledBack = "rolled_back" // a gate tripped or an operator rolled it back; Error says why
)
