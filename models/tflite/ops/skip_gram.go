package ops

import "github.com/axle-edge/axle/models"

// SKIP_GRAM splits the first string of its input into words and writes
// every skip-gram: ngram_size words (every size up to it with
// include_all_ngrams) in order, skipping at most max_skip_size words
// between neighbours, joined by one space, in TFLite's enumeration order.
//
// Words follow TFLite's splitter, quirks included: it never looks at the
// first byte as a separator, so " a" is the single word " a" and the word
// before the first separator of " ab c" is dropped; separators are C's
// isspace bytes.
//
// The enumeration keeps a stack of ngram_size words (index, start, end),
// allocated at Prepare; a word's successor is found by scanning on from
// its end, so no word table is built. Eval runs the enumeration twice:
// once for the output's size, once to write it; the output is Dynamic and
// allocates only when it outgrows its largest size so far. The count is
// bounded by TFLite's int32 string offsets and the model's memory limit,
// and the walk checks the Invoke's context, since its length grows as
// words^ngram_size.

func addSkipGram(r *Resolver) {
	r.Builtin[OpSkipGram] = &Kernel{MaxVersion: 1, Prepare: skipGramPrepare, Eval: skipGramEval}
}

type skipGramState struct {
	ngram, skip int
	all         bool
	stack       []int32 // 3 per level: word index, start, end
	shape       [1]int  // the output's, kept here so resizing allocates nothing
}

func skipGramPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("takes 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("input and output tensors are required")
	}
	if in.Type != models.String {
		return n.Errorf("input tensor %q must be string, got %s", in.Name, in.Type)
	}
	if out.Type != models.String {
		return n.Errorf("output tensor %q must be string, got %s", out.Name, out.Type)
	}
	o := n.Opts.(*SkipGramOptions)
	st, _ := n.State.(*skipGramState)
	if st == nil {
		st = &skipGramState{}
	}
	st.ngram, st.skip, st.all = int(o.NgramSize), int(o.MaxSkipSize), o.IncludeAllNgrams
	st.stack = nil
	if st.ngram > maxTensorBytes/12 {
		return n.Errorf("options: ngram_size %d is too large", st.ngram)
	}
	if st.ngram > 0 {
		var err error
		if st.stack, err = allocSlice[int32](c, 3*st.ngram); err != nil {
			return n.Errorf("options: ngram_size %d: %v", st.ngram, err)
		}
	}
	c.SetDynamic(out)
	n.State = st
	return nil
}

func isCSpace(b byte) bool {
	return b == ' ' || (b >= '\t' && b <= '\r')
}

// sgWord finds the next word of s as TFLite's splitter does, resuming with
// prev (start of the candidate word) and i (next byte to look at); the
// first word is sgWord(s, 0, 1), the one after a word ending at hi is
// sgWord(s, hi+1, hi+1).
func sgWord(s []byte, prev, i int) (lo, hi int, ok bool) {
	for ; i < len(s); i++ {
		if isCSpace(s[i]) {
			if i > prev && !isCSpace(s[prev]) {
				return prev, i, true
			}
			prev = i + 1
		}
	}
	if len(s) > prev {
		return prev, len(s), true
	}
	return 0, 0, false
}

// sgCountPoll is how many enumeration steps run between checks of the
// Invoke's context.
const sgCountPoll = 1 << 14

// walk enumerates the grams, calling emit with the stack depth of each;
// it stops when emit returns false or the Invoke's context ends.
func (st *skipGramState) walk(c Context, s []byte, words int, emit func(depth int) bool) error {
	k := st.ngram
	stk := st.stack
	lo, hi, _ := sgWord(s, 0, 1)
	for d := range k {
		stk[3*d], stk[3*d+1], stk[3*d+2] = 0, int32(lo), int32(hi)
	}
	ctx := c.Ctx()
	steps := 0
	for idx := 1; idx >= 0; {
		if steps++; steps%sgCountPoll == 0 && ctx != nil {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		step := idx < k && int(stk[3*idx])+1 < words && (idx == 0 || stk[3*idx]-stk[3*(idx-1)] <= int32(st.skip))
		if step {
			// Advance this level to its next word, then go one deeper,
			// starting from the same word.
			h := int(stk[3*idx+2])
			lo, hi, _ := sgWord(s, h+1, h+1)
			stk[3*idx]++
			stk[3*idx+1], stk[3*idx+2] = int32(lo), int32(hi)
			idx++
			if idx < k {
				copy(stk[3*idx:3*idx+3], stk[3*(idx-1):3*idx])
			}
			continue
		}
		if idx > 0 && (idx == k || (st.all && idx < k)) {
			if !emit(idx) {
				return nil
			}
		}
		idx--
	}
	return nil
}

func skipGramEval(c Context, n *Node) error {
	st := n.State.(*skipGramState)
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := checkStringTensor(n, in, "input"); err != nil {
		return err
	}
	var s []byte
	if in.NumElements() > 0 {
		s = in.StringAt(0)
	}
	words := 0
	for _, hi, ok := sgWord(s, 0, 1); ok; _, hi, ok = sgWord(s, hi+1, hi+1) {
		words++
	}
	// TFLite compares the word count with ngram_size as unsigned, so a
	// negative ngram_size also gives no grams.
	if st.ngram <= 0 || words < st.ngram {
		st.shape[0] = 0
		if err := c.ResizeBytes(out, st.shape[:], 8); err != nil {
			return n.Errorf("%v", err)
		}
		newStringWriter(out.Data, 0)
		return nil
	}

	var count, total int64
	var tooBig bool
	err := st.walk(c, s, words, func(depth int) bool {
		count++
		total += int64(depth - 1)
		for d := range depth {
			total += int64(st.stack[3*d+2] - st.stack[3*d+1])
		}
		_, ok := stringBytes(count, total)
		tooBig = !ok
		return ok
	})
	if tooBig {
		return n.Errorf("output %q: more than 2^31-1 bytes of skip-grams from %d words", out.Name, words)
	}
	if err != nil {
		return err
	}
	size, _ := stringBytes(count, total)
	st.shape[0] = int(count)
	if err := c.ResizeBytes(out, st.shape[:], size); err != nil {
		return n.Errorf("%v", err)
	}
	w := newStringWriter(out.Data, int(count))
	return st.walk(c, s, words, func(depth int) bool {
		for d := range depth {
			if d > 0 {
				w.data[w.off] = ' '
				w.off++
			}
			w.off += copy(w.data[w.off:], s[st.stack[3*d+1]:st.stack[3*d+2]])
		}
		w.add(nil)
		return true
	})
}
