package fleet

// VerbModelPromote ends a model version's probation early (args {"model"}).
const VerbModelPromote = "model.promote"

// Model states of a deployed version in ModelStatus, besides ModelActive
// and ModelFailed.
const (
	ModelProbation  = "probation"   // scoring, its probation gates still watching
	ModelRolledBack = "rolled_back" // a gate tripped or an operator rolled it back; Error says why
)

// DeploymentStatus is a model's deployment in progress in ModelStatus:
// the version on its way, the step it is at and, while fetching, the share
// transferred.
type DeploymentStatus struct {
	Version string `json:"version"`
	Step    string `json:"step"`              // fetch, verify, install, load, self_test, swap, activate
	Percent int64  `json:"percent,omitempty"` // of the transfer, during fetch
}
