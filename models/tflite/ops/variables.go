package ops

import "fmt"

// Variables holds the resource variables of one model (VAR_HANDLE,
// ASSIGN_VARIABLE, READ_VARIABLE). A handle tensor holds an int32 id; ids are
// stable for a (container, shared name) pair. Values survive invocations
// until Reset.
type Variables struct {
	ids    map[string]int32
	values map[int32]*Tensor
	limit  func(bytes int) ([]byte, error)
	tables map[int32]*hashTable // static hashtables by table_id (hashtable.go)
}

// NewVariables makes an empty set whose values are allocated with alloc
// (which enforces the model's memory limit).
func NewVariables(alloc func(bytes int) ([]byte, error)) *Variables {
	return &Variables{ids: map[string]int32{}, values: map[int32]*Tensor{}, limit: alloc}
}

// Handle returns the id of the variable (container, name), creating it.
func (v *Variables) Handle(container, name string) int32 {
	key := container + "\x00" + name
	id, ok := v.ids[key]
	if !ok {
		id = int32(len(v.ids))
		v.ids[key] = id
	}
	return id
}

// Lookup returns the value of variable id; ok is false before the first
// assignment.
func (v *Variables) Lookup(id int32) (*Tensor, bool) {
	t, ok := v.values[id]
	return t, ok
}

// Assign copies src into variable id. The first assignment fixes the type
// and shape; later ones must match them (so no allocation after the first).
func (v *Variables) Assign(id int32, src *Tensor) error {
	if id < 0 || int(id) >= len(v.ids) {
		return fmt.Errorf("variable handle %d does not exist", id)
	}
	t, ok := v.values[id]
	if !ok {
		data, err := v.limit(len(src.Data))
		if err != nil {
			return fmt.Errorf("variable %d: %w", id, err)
		}
		t = &Tensor{Name: src.Name, Type: src.Type, Shape: append([]int(nil), src.Shape...), Quant: src.Quant, Data: data}
		v.values[id] = t
	}
	if t.Type != src.Type || !sameShape(t.Shape, src.Shape) {
		return fmt.Errorf("variable %d holds %s%v, cannot assign %s%v", id, t.Type, t.Shape, src.Type, src.Shape)
	}
	copy(t.Data, src.Data)
	return nil
}

// Reset forgets every value (handles stay valid).
func (v *Variables) Reset() { clear(v.values) }

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
