package ops

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/axle-edge/axle/models"
)

// addControl registers this family's kernels.
func addControl(r *Resolver) {
	r.Builtin[OpWhile] = &Kernel{MaxVersion: 1, Prepare: whilePrepare, Eval: whileEval}
	r.Builtin[OpIf] = &Kernel{MaxVersion: 1, Prepare: ifPrepare, Eval: ifEval}
	r.Builtin[OpCallOnce] = &Kernel{MaxVersion: 1, Prepare: callOncePrepare, Eval: callOnceEval}
	r.Builtin[OpVarHandle] = &Kernel{MaxVersion: 1, Prepare: varHandlePrepare, Eval: varHandleEval}
	r.Builtin[OpReadVariable] = &Kernel{MaxVersion: 1, Prepare: readVariablePrepare, Eval: readVariableEval}
	r.Builtin[OpAssignVariable] = &Kernel{MaxVersion: 1, Prepare: assignVariablePrepare, Eval: assignVariableEval}
}

// Control flow copies tensors between this subgraph and the called ones.
// Outputs of WHILE and IF are dynamic: their shapes are those the called
// subgraph produced. Every control-flow node refuses to be re-entered while it
// runs, which stops a model whose subgraphs call each other in a cycle.

// bodySubgraph is subgraphAt for an index a StableHLO operator's options
// must set: 0, the default of an absent field, would name the main graph.
func bodySubgraph(c Context, n *Node, idx int32, what string) (Subgraph, error) {
	if idx == 0 {
		return nil, n.Errorf("options name no %s subgraph (index 0 is the main graph)", what)
	}
	return subgraphAt(c, n, idx, what)
}

// subgraphAt fetches subgraph idx read from an options field.
func subgraphAt(c Context, n *Node, idx int32, what string) (Subgraph, error) {
	if idx < 0 {
		return nil, n.Errorf("%s subgraph index %d is negative", what, idx)
	}
	sg, err := c.Subgraph(int(idx))
	if err != nil {
		return nil, n.Errorf("%s subgraph %d: %v", what, idx, err)
	}
	return sg, nil
}

// tensorDataBytes is how many bytes of t's data are meaningful.
func tensorDataBytes(t *Tensor) int {
	if t.Type.Size() == 0 {
		// resource handles and other opaque types: whatever the runtime holds
		return len(t.Data)
	}
	return t.Bytes()
}

// copyTensor copies the data of src into dst, which has src's shape.
func copyTensor(dst, src *Tensor) error {
	if dst.Type != src.Type {
		return fmt.Errorf("cannot copy %s tensor %q into %s tensor %q", src.Type, src.Name, dst.Type, dst.Name)
	}
	nb := tensorDataBytes(src)
	if len(src.Data) < nb || len(dst.Data) < nb {
		return fmt.Errorf("copy %q to %q: %d bytes needed, source has %d, destination %d", src.Name, dst.Name, nb, len(src.Data), len(dst.Data))
	}
	if !sameData(dst.Data, src.Data) {
		copy(dst.Data[:nb], src.Data[:nb])
	}
	return nil
}

// feedInputs copies node tensors into the inputs of sg: the node's inputs
// from index from on, or its outputs (the loop state of WHILE). Inputs whose
// shape changes are resized first and sg re-plans (Outputs does that) before
// any data is written, so the data lands in the new plan.
func feedInputs(c Context, n *Node, sg Subgraph, from int, outputs bool) error {
	src := func(i int) *Tensor {
		if outputs {
			return c.Output(n, from+i)
		}
		return c.Input(n, from+i)
	}
	ins := sg.Inputs()
	replan := false
	for i, dst := range ins {
		if s := src(i); !sameShape(dst.Shape, s.Shape) {
			if err := sg.ResizeInput(i, append([]int(nil), s.Shape...)); err != nil {
				return fmt.Errorf("resize input %d of subgraph %d to %v: %w", i, sg.Index(), s.Shape, err)
			}
			replan = true
		}
	}
	if replan {
		sg.Outputs()
	}
	for i, dst := range ins {
		if err := copyTensor(dst, src(i)); err != nil {
			return fmt.Errorf("input %d of subgraph %d: %w", i, sg.Index(), err)
		}
	}
	return nil
}

// takeOutput copies src into the dynamic node output dst, resizing it first.
func takeOutput(c Context, dst, src *Tensor) error {
	if !sameShape(dst.Shape, src.Shape) || len(dst.Data) < tensorDataBytes(src) {
		if err := c.Resize(dst, append([]int(nil), src.Shape...)); err != nil {
			return err
		}
	}
	return copyTensor(dst, src)
}

// flowErr wraps err (possibly a context error) with the node's name.
func flowErr(n *Node, err error, format string, args ...any) error {
	return fmt.Errorf("%s (node %d): %s: %w", n.Name(), n.Index, fmt.Sprintf(format, args...), err)
}

// checkSignature checks that the tensors of a called subgraph match the
// node's in count and type.
func checkSignature(n *Node, what string, sgTensors []*Tensor, nodeTensors []*Tensor) error {
	if len(sgTensors) != len(nodeTensors) {
		return n.Errorf("%s has %d tensors, the node passes %d", what, len(sgTensors), len(nodeTensors))
	}
	for i, t := range nodeTensors {
		if t == nil {
			return n.Errorf("%s: tensor %d is missing", what, i)
		}
		if sgTensors[i].Type != t.Type {
			return n.Errorf("%s: tensor %d is %s, the node's is %s", what, i, sgTensors[i].Type, t.Type)
		}
	}
	return nil
}

func nodeTensors(c Context, n *Node, outputs bool, from int) []*Tensor {
	idx := n.Inputs
	if outputs {
		idx = n.Outputs
	}
	ts := make([]*Tensor, 0, len(idx))
	for i := from; i < len(idx); i++ {
		if outputs {
			ts = append(ts, c.Output(n, i))
		} else {
			ts = append(ts, c.Input(n, i))
		}
	}
	return ts
}

// condTrue reads a boolean scalar (or one-element) tensor.
func condTrue(t *Tensor) (bool, error) {
	if t.Type != models.Bool || t.NumElements() != 1 || len(t.Data) < 1 {
		return false, fmt.Errorf("condition must be a single bool, is %s%v", t.Type, t.Shape)
	}
	return t.Data[0] != 0, nil
}

// WHILE

type whileState struct {
	cond, body Subgraph
	active     bool
}

func whilePrepare(c Context, n *Node) error {
	o := n.Opts.(*WhileOptions)
	ci, bi := o.CondSubgraphIndex, o.BodySubgraphIndex
	if ci == bi {
		return n.Errorf("cond and body are the same subgraph %d", ci)
	}
	if len(n.Outputs) != len(n.Inputs) {
		return n.Errorf("has %d inputs and %d outputs, want the same number", len(n.Inputs), len(n.Outputs))
	}
	cond, err := subgraphAt(c, n, ci, "cond")
	if err != nil {
		return err
	}
	body, err := subgraphAt(c, n, bi, "body")
	if err != nil {
		return err
	}
	ins, outs := nodeTensors(c, n, false, 0), nodeTensors(c, n, true, 0)
	if err := checkSignature(n, "cond inputs", cond.Inputs(), ins); err != nil {
		return err
	}
	if err := checkSignature(n, "body inputs", body.Inputs(), ins); err != nil {
		return err
	}
	if err := checkSignature(n, "body outputs", body.Outputs(), outs); err != nil {
		return err
	}
	if err := checkSignature(n, "outputs", outs, ins); err != nil {
		return err
	}
	if co := cond.Outputs(); len(co) != 1 || co[0].Type != models.Bool {
		return n.Errorf("cond subgraph %d must have one bool output", ci)
	}
	for _, t := range outs {
		c.SetDynamic(t)
	}
	n.State = &whileState{cond: cond, body: body}
	return nil
}

func whileEval(c Context, n *Node) error {
	st := n.State.(*whileState)
	if st.active {
		return n.Errorf("called recursively through its own subgraphs")
	}
	st.active = true
	defer func() { st.active = false }()
	ctx := c.Ctx()
	if ctx == nil {
		ctx = context.Background()
	}
	for i := range n.Inputs {
		if err := takeOutput(c, c.Output(n, i), c.Input(n, i)); err != nil {
			return n.Errorf("output %d: %v", i, err)
		}
	}
	cOut, bOut := st.cond.Outputs(), st.body.Outputs()
	for iter := 0; ; iter++ {
		if err := ctx.Err(); err != nil {
			return flowErr(n, err, "stopped after %d iterations", iter)
		}
		if err := feedInputs(c, n, st.cond, 0, true); err != nil {
			return n.Errorf("cond: %v", err)
		}
		if err := st.cond.Invoke(ctx); err != nil {
			return flowErr(n, err, "iteration %d: cond subgraph %d", iter, st.cond.Index())
		}
		more, err := condTrue(cOut[0])
		if err != nil {
			return n.Errorf("cond subgraph %d: %v", st.cond.Index(), err)
		}
		if !more {
			return nil
		}
		if err := feedInputs(c, n, st.body, 0, true); err != nil {
			return n.Errorf("body: %v", err)
		}
		if err := st.body.Invoke(ctx); err != nil {
			return flowErr(n, err, "iteration %d: body subgraph %d", iter, st.body.Index())
		}
		for i := range bOut {
			if err := takeOutput(c, c.Output(n, i), bOut[i]); err != nil {
				return n.Errorf("iteration %d: output %d: %v", iter, i, err)
			}
		}
	}
}

// IF

type ifState struct {
	then, els Subgraph
	active    bool
}

func ifPrepare(c Context, n *Node) error {
	if len(n.Inputs) < 1 {
		return n.Errorf("has no condition input")
	}
	cond := c.Input(n, 0)
	if cond == nil || cond.Type != models.Bool || cond.NumElements() != 1 {
		return n.Errorf("condition must be a single bool")
	}
	ins, outs := nodeTensors(c, n, false, 1), nodeTensors(c, n, true, 0)
	var branches [2]Subgraph
	o := n.Opts.(*IfOptions)
	idx := [2]int32{o.ThenSubgraphIndex, o.ElseSubgraphIndex}
	for b, what := range []string{"then", "else"} {
		sg, err := subgraphAt(c, n, idx[b], what)
		if err != nil {
			return err
		}
		if err := checkSignature(n, what+" inputs", sg.Inputs(), ins); err != nil {
			return err
		}
		if err := checkSignature(n, what+" outputs", sg.Outputs(), outs); err != nil {
			return err
		}
		branches[b] = sg
	}
	for _, t := range outs {
		c.SetDynamic(t)
	}
	n.State = &ifState{then: branches[0], els: branches[1]}
	return nil
}

func ifEval(c Context, n *Node) error {
	st := n.State.(*ifState)
	if st.active {
		return n.Errorf("called recursively through its own subgraphs")
	}
	st.active = true
	defer func() { st.active = false }()
	ctx := c.Ctx()
	if ctx == nil {
		ctx = context.Background()
	}
	yes, err := condTrue(c.Input(n, 0))
	if err != nil {
		return n.Errorf("%v", err)
	}
	sg := st.els
	if yes {
		sg = st.then
	}
	if err := feedInputs(c, n, sg, 1, false); err != nil {
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

// CALL_ONCE
//
// Whether the init subgraph has run is kept in the model's Variables (under a
// handle no VAR_HANDLE can name), so that a Reset, which clears variables,
// also makes the initialization run again.

// callOnceContainer cannot collide with a container name from a model: names
// read from flatbuffer strings are NUL-free in practice and this one starts
// with NUL.
const callOnceContainer = "\x00axle.call_once"

type callOnceState struct {
	init   Subgraph
	done   int32 // variable handle of the done marker
	marker *Tensor
	active bool
}

func callOncePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 0 || len(n.Outputs) != 0 {
		return n.Errorf("has %d inputs and %d outputs, want none", len(n.Inputs), len(n.Outputs))
	}
	idx := n.Opts.(*CallOnceOptions).InitSubgraphIndex
	sg, err := subgraphAt(c, n, idx, "init")
	if err != nil {
		return err
	}
	if len(sg.Inputs()) != 0 || len(sg.Outputs()) != 0 {
		return n.Errorf("init subgraph %d has %d inputs and %d outputs, want none", idx, len(sg.Inputs()), len(sg.Outputs()))
	}
	vars := c.Variables()
	if vars == nil {
		return n.Errorf("the runtime has no variables")
	}
	n.State = &callOnceState{
		init:   sg,
		done:   vars.Handle(callOnceContainer, strconv.Itoa(int(idx))),
		marker: &Tensor{Name: "call_once_done", Type: models.Bool, Shape: []int{1}, Data: []byte{1}},
	}
	return nil
}

func callOnceEval(c Context, n *Node) error {
	st := n.State.(*callOnceState)
	vars := c.Variables()
	if _, done := vars.Lookup(st.done); done {
		return nil
	}
	if st.active {
		return n.Errorf("called recursively through its own init subgraph")
	}
	st.active = true
	defer func() { st.active = false }()
	ctx := c.Ctx()
	if ctx == nil {
		ctx = context.Background()
	}
	if err := st.init.Invoke(ctx); err != nil {
		return flowErr(n, err, "init subgraph %d", st.init.Index())
	}
	if err := vars.Assign(st.done, st.marker); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// Resource variables

// handleOf reads the variable handle held by a resource (or int32) tensor.
func handleOf(t *Tensor) (int32, error) {
	if t.Type != models.Resource && t.Type != models.Int32 {
		return 0, fmt.Errorf("handle tensor %q is %s, want resource or int32", t.Name, t.Type)
	}
	if len(t.Data) < 4 {
		return 0, fmt.Errorf("handle tensor %q holds no handle (%d bytes)", t.Name, len(t.Data))
	}
	return int32(binary.LittleEndian.Uint32(t.Data)), nil
}

func checkHandleInput(c Context, n *Node) error {
	h := c.Input(n, 0)
	if h == nil {
		return n.Errorf("resource input is missing")
	}
	if h.Type != models.Resource && h.Type != models.Int32 {
		return n.Errorf("resource input is %s, want resource or int32", h.Type)
	}
	if h.NumElements() != 1 {
		return n.Errorf("resource input has shape %v, want one element", h.Shape)
	}
	if c.Variables() == nil {
		return n.Errorf("the runtime has no variables")
	}
	return nil
}

type varHandleState struct{ id int32 }

func varHandlePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 0 || len(n.Outputs) != 1 {
		return n.Errorf("has %d inputs and %d outputs, want 0 and 1", len(n.Inputs), len(n.Outputs))
	}
	out := c.Output(n, 0)
	if out == nil || (out.Type != models.Resource && out.Type != models.Int32) {
		return n.Errorf("output must be a resource tensor")
	}
	o := n.Opts.(*VarHandleOptions)
	container, name := o.Container, o.SharedName
	vars := c.Variables()
	if vars == nil {
		return n.Errorf("the runtime has no variables")
	}
	n.State = &varHandleState{id: vars.Handle(container, name)}
	return nil
}

func varHandleEval(c Context, n *Node) error {
	st := n.State.(*varHandleState)
	out := c.Output(n, 0)
	if len(out.Data) < 4 {
		return n.Errorf("output %q has %d bytes, a handle needs 4", out.Name, len(out.Data))
	}
	binary.LittleEndian.PutUint32(out.Data, uint32(st.id))
	return nil
}

func readVariablePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("has %d inputs and %d outputs, want 1 and 1", len(n.Inputs), len(n.Outputs))
	}
	if err := checkHandleInput(c, n); err != nil {
		return err
	}
	out := c.Output(n, 0)
	if out == nil {
		return n.Errorf("output is missing")
	}
	if out.Dims() == 0 {
		// A scalar and an unknown shape look the same in the file.
		c.SetDynamic(out)
	}
	return nil
}

func readVariableEval(c Context, n *Node) error {
	id, err := handleOf(c.Input(n, 0))
	if err != nil {
		return n.Errorf("%v", err)
	}
	v, ok := c.Variables().Lookup(id)
	if !ok {
		return n.Errorf("variable %d is read before it is assigned", id)
	}
	out := c.Output(n, 0)
	if v.Type != out.Type {
		return n.Errorf("variable %d is %s, output is %s", id, v.Type, out.Type)
	}
	if out.Dynamic {
		if err := takeOutput(c, out, v); err != nil {
			return n.Errorf("%v", err)
		}
		return nil
	}
	if v.NumElements() != out.NumElements() {
		return n.Errorf("variable %d has shape %v, output %v", id, v.Shape, out.Shape)
	}
	if err := copyTensor(out, v); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func assignVariablePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 0 {
		return n.Errorf("has %d inputs and %d outputs, want 2 and 0", len(n.Inputs), len(n.Outputs))
	}
	if err := checkHandleInput(c, n); err != nil {
		return err
	}
	v := c.Input(n, 1)
	if v == nil {
		return n.Errorf("value input is missing")
	}
	if _, err := elemSize(v); err != nil {
		return n.Errorf("value: %v", err)
	}
	return nil
}

func assignVariableEval(c Context, n *Node) error {
	id, err := handleOf(c.Input(n, 0))
	if err != nil {
		return n.Errorf("%v", err)
	}
	v := c.Input(n, 1)
	if len(v.Data) < v.Bytes() {
		return n.Errorf("value has %d bytes, want %d", len(v.Data), v.Bytes())
	}
	if err := c.Variables().Assign(id, v); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}
