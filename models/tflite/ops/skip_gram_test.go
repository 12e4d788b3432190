package ops_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func skipGramModel(t *testing.T, sentence string, ngram, skip int32, all bool) (*tflite.Interpreter, error) {
	t.Helper()
	b := build.New()
	in := b.Const("sentence", models.String, []int{1}, build.Strings(sentence), nil)
	out := b.Tensor("grams", models.String, []int{0}, nil)
	b.Op(ops.OpSkipGram, 1, []int{in}, []int{out}, build.Options{Type: build.OptSkipGram, Fields: []build.Field{
		{Slot: 0, Value: ngram}, {Slot: 1, Value: skip}, {Slot: 2, Value: all}}})
	b.Output(out)
	return ewtLoad(t, b)
}

func TestSkipGram(t *testing.T) {
	const fox = "The quick brown fox jumps over the lazy dog!"
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		sentence string
		ngram    int32
		skip     int32
		all      bool
		want     []string
	}{
		// Enumeration order: the first word moves slowest; each later word
		// starts right after the previous and moves at most skip+1 on.
		{"bigrams skipping 1", fox, 2, 1, false, []string{
			"The quick", "The brown", "quick brown", "quick fox", "brown fox",
			"brown jumps", "fox jumps", "fox over", "jumps over", "jumps the",
			"over the", "over lazy", "the lazy", "the dog!", "lazy dog!"}},
		// With include_all_ngrams a gram is emitted when its stack cannot
		// grow, longest first.
		{"all up to trigrams", "a b c", 3, 0, true, []string{"a b c", "a b", "a", "b c", "b", "c"}},
		{"unigrams, every isspace separator", "x\ty\nz\v\f\rw", 1, 0, false, []string{"x", "y", "z", "w"}},
		{"extra spaces", "   Hello   world    !  ", 1, 1, false, []string{"Hello", "world", "!"}},
		// TFLite never tests byte 0 as a separator: a lone space is a
		// word, and the word before the first separator after a leading
		// space is dropped.
		{"lone space", " ", 1, 0, false, []string{" "}},
		{"leading space drops a word", " ab c", 1, 0, false, []string{"c"}},
		{"fewer words than ngram", "Hi hi", 3, 1, false, []string{}},
		{"empty", "", 1, 1, false, []string{}},
		{"negative ngram", "a b", -1, 0, false, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			it, err := skipGramModel(t, c.sentence, c.ngram, c.skip, c.all)
			if err != nil {
				t.Fatal(err)
			}
			if err := it.Invoke(ctx); err != nil {
				t.Fatal(err)
			}
			r, _ := it.Subgraph(0)
			if got := r.Outputs()[0].Shape; len(got) != 1 || got[0] != len(c.want) {
				t.Errorf("output shape %v, want [%d]", got, len(c.want))
			}
			sameStrings(t, "grams", decodeStrings(t, it.Output(0), len(c.want)), c.want)
			if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); a != 0 {
				t.Errorf("%v allocations per Invoke", a)
			}
		})
	}
}

func TestSkipGramErrors(t *testing.T) {
	err := ewtErr(t, ops.OpSkipGram, 1, build.Options{Type: build.OptSkipGram}, []ewtT{{dt: models.Int32, shape: []int{1}, vals: []float64{1}}}, ewtT{dt: models.String, shape: []int{1}})
	ewtWantErr(t, err, ops.OpSkipGram, "node 0", `input tensor "in0" must be string, got int32`)

	// A string input that nothing wrote (a model input) fails the Invoke.
	b := build.New()
	in := b.Input("sentence", models.String, []int{1}, nil)
	out := b.Tensor("grams", models.String, []int{0}, nil)
	b.Op(ops.OpSkipGram, 1, []int{in}, []int{out}, build.Options{Type: build.OptSkipGram, Fields: []build.Field{{Slot: 0, Value: int32(1)}}})
	b.Output(out)
	it, err := ewtLoad(t, b)
	if err != nil {
		t.Fatal(err)
	}
	err = it.Invoke(context.Background())
	ewtWantErr(t, err, ops.OpSkipGram, "node 0", `input tensor "sentence": string buffer of 0 bytes`)

	// A walk too long for the Invoke's deadline stops with it.
	words := make([]byte, 0, 2*400)
	for range 400 {
		words = append(words, "w "...)
	}
	it, err = skipGramModel(t, string(words), 6, 400, true)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := it.Invoke(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a walk over C(400,6) grams past the Invoke's deadline: error %v, want the deadline", err)
	}
}
