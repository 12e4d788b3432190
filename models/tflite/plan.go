package tflite

import (
	"fmt"
	"sort"
)

// maxReusePlan is the number of arena tensors above which the planner stops
// looking for reuse (its cost is quadratic) and lays tensors out one after
// another, so a hostile file with huge tensor counts cannot stall loading.
const maxReusePlan = 8192

type interval struct {
	tensor      int
	size        int64
	first, last int // node range during which the tensor is live
	offset      int64
}

// plan lays out every static tensor in one arena. A tensor lives from the
// node that first touches it to the last node that reads it; subgraph
// inputs and outputs live throughout. Tensors whose lifetimes do not overlap
// may share memory. Placement is greedy, largest first, at the lowest offset
// that does not collide with an already placed, overlapping tensor.
func (s *subgraph) plan() error {
	b := s.it.budget
	n := len(s.tensors)
	first := make([]int, n)
	last := make([]int, n)
	for i := range first {
		first[i], last[i] = -1, -1
	}
	touch := func(x, j int) {
		if x < 0 {
			return
		}
		if first[x] < 0 {
			first[x] = j
		}
		last[x] = j
	}
	end := len(s.nodes)
	for _, x := range s.inputs {
		touch(x, 0)
	}
	for j := range s.nodes {
		nd := &s.nodes[j]
		for _, x := range nd.Inputs {
			touch(x, j)
		}
		for _, x := range nd.Outputs {
			touch(x, j)
		}
		for _, x := range nd.Intermediates {
			touch(x, j)
		}
	}
	for _, x := range s.outputs {
		touch(x, end)
	}
	for _, x := range s.inputs {
		last[x] = end
	}

	var items []interval
	for i := range s.tensors {
		t := &s.tensors[i]
		if first[i] < 0 || t.Const || t.Variable || t.Dynamic {
			continue
		}
		size, ok := tensorBytes(t.Type, s.meta[i].elemSize, t.Shape, b.limit)
		if !ok {
			return fmt.Errorf("subgraph %d: tensor %d (%q) of shape %v is larger than the model's memory limit", s.index, i, t.Name, t.Shape)
		}
		items = append(items, interval{tensor: i, size: (size + 15) &^ 15, first: first[i], last: last[i]})
	}
	sort.SliceStable(items, func(a, b int) bool { return items[a].size > items[b].size })

	var total int64
	if len(items) > maxReusePlan {
		for k := range items {
			items[k].offset = total
			total += items[k].size
			if total > b.limit {
				return fmt.Errorf("subgraph %d: arena exceeds the model's memory limit", s.index)
			}
		}
	} else {
		placed := make([]*interval, 0, len(items))
		live := make([]*interval, 0, len(items))
		for k := range items {
			it := &items[k]
			live = live[:0]
			for _, p := range placed {
				if p.first <= it.last && it.first <= p.last {
					live = append(live, p)
				}
			}
			sort.Slice(live, func(a, b int) bool { return live[a].offset < live[b].offset })
			var off int64
			for _, p := range live {
				if off+it.size <= p.offset {
					break
				}
				off = max(off, p.offset+p.size)
			}
			it.offset = off
			total = max(total, off+it.size)
			if total > b.limit {
				return fmt.Errorf("subgraph %d: arena exceeds the model's memory limit", s.index)
			}
			placed = append(placed, it)
		}
	}

	// Re-plans (resized inputs, control-flow bodies) keep an arena that is
	// large enough, so loops over changing shapes do not allocate each time.
	if s.arena == nil || total > int64(len(s.arena)) {
		b.release(s.arenaCost)
		s.arenaCost, s.arena = 0, nil
		arena, err := b.alloc(total, fmt.Sprintf("subgraph %d arena", s.index))
		if err != nil {
			return err
		}
		s.arena, s.arenaCost = arena, total
	}
	arena := s.arena
	for i := range s.tensors {
		if t := &s.tensors[i]; t.Dynamic {
			t.Data = nil // until a kernel resizes it during Invoke
		}
	}
	for _, it := range items {
		t := &s.tensors[it.tensor]
		size, _ := tensorBytes(t.Type, s.meta[it.tensor].elemSize, t.Shape, b.limit)
		t.Data = arena[it.offset : it.offset+size : it.offset+size]
	}
	return nil
}
