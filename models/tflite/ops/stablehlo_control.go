package ops

import (
	"context"
	"fmt"

	"github.com/axle-edge/axle/models"
)

// STABLEHLO_COMPOSITE and STABLEHLO_CASE run other subgraphs, as IF does
// (control.go): the node's operands are copied into the called subgraph's
// inputs and its results into the node's outputs, which are dynamic.
//
// COMPOSITE stands for a named operation and runs its decomposition
// subgraph (StableHLOCompositeOptions.decomposition_subgraph_index, slot
// 1); the name and attributes only matter to delegates. CASE picks branch
// index among branch_subgraph_indices (StablehloCaseOptions, slot 0); an
// index outside the branches runs the last one, as StableHLO defines.

func addStablehloControl(r *Resolver) {
	r.Builtin[OpStablehloComposite] = &Kernel{MaxVersion: 1, Prepare: shloCompositePrepare, Eval: shloCallEval}
	r.Builtin[OpStablehloCase] = &Kernel{MaxVersion: 1, Prepare: shloCasePrepare, Eval: shloCallEval}
}

// shloCallState holds the subgraphs a node may run; CASE picks one by its
// index input, COMPOSITE has one.
type shloCallState struct {
	branches []Subgraph
	from     int // first node input passed to the subgraph
	active   bool
}

func shloCompositePrepare(c Context, n *Node) error {
	idx := n.Opts.(*StableHLOCompositeOptions).DecompositionSubgraphIndex
	if idx == 0 {
		return n.Errorf("options name no decomposition subgraph (decomposition_subgraph_index 0 is the main graph)")
	}
	return shloCallPrepare(c, n, []int32{idx}, 0, "decomposition")
}

func shloCasePrepare(c Context, n *Node) error {
	if len(n.Inputs) < 1 {
		return n.Errorf("has no index input")
	}
	index := c.Input(n, 0)
	if index == nil || index.Type != models.Int32 || index.NumElements() != 1 {
		return n.Errorf("index must be a single int32")
	}
	idx := n.Opts.(*StablehloCaseOptions).BranchSubgraphIndices
	if len(idx) == 0 {
		return n.Errorf("branch_subgraph_indices is empty")
	}
	return shloCallPrepare(c, n, idx, 1, "branch")
}

// shloCallPrepare resolves the subgraphs and checks each against the node's
// operands (inputs from on) and outputs.
func shloCallPrepare(c Context, n *Node, idx []int32, from int, what string) error {
	st, _ := n.State.(*shloCallState)
	if st == nil {
		st = &shloCallState{}
	}
	if err := c.Reserve(16 * len(idx)); err != nil {
		return n.Errorf("%s subgraphs: %v", what, err)
	}
	st.branches, st.from = make([]Subgraph, len(idx)), from
	ins, outs := nodeTensors(c, n, false, from), nodeTensors(c, n, true, 0)
	for b, i := range idx {
		name := fmt.Sprintf("%s %d", what, b)
		sg, err := subgraphAt(c, n, i, name)
		if err != nil {
			return err
		}
		if err := checkSignature(n, name+" inputs", sg.Inputs(), ins); err != nil {
			return err
		}
		if err := checkSignature(n, name+" outputs", sg.Outputs(), outs); err != nil {
			return err
		}
		st.branches[b] = sg
	}
	for _, t := range outs {
		c.SetDynamic(t)
	}
	n.State = st
	return nil
}

func shloCallEval(c Context, n *Node) error {
	st, ok := n.State.(*shloCallState)
	if !ok {
		return n.Errorf("not prepared")
	}
	if st.active {
		return n.Errorf("called recursively through its own subgraphs")
	}
	st.active = true
	defer func() { st.active = false }()
	ctx := c.Ctx()
	if ctx == nil {
		ctx = context.Background()
	}
	sg := st.branches[0]
	if st.from == 1 {
		idx := c.Input(n, 0)
		if len(idx.Data) < 4 {
			return n.Errorf("index tensor %q has no data", idx.Name)
		}
		b := int(view[int32](idx.Data)[0])
		if b < 0 || b >= len(st.branches) {
			b = len(st.branches) - 1
		}
		sg = st.branches[b]
	}
	if err := feedInputs(c, n, sg, st.from, false); err != nil {
		return n.Errorf("%v", err)
	}
	if err := sg.Invoke(ctx); err != nil {
		return flowErr(n, err, "subgraph %d", sg.Index())
	}
	for i, t := range sg.Outputs() {
		if err := takeOutput(c, c.Output(n, i), t); err != nil {
			return n.Errorf("output %d: %v", i, err)
		}
	}
	return nil
}
