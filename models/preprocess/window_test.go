package preprocess

import "testing"

func TestWindowOldestFirst(t *testing.T) {
	w, err := New(Spec{Channels: []int{2, 0}, Rate: 10, Window: 3, Hop: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := w.Push(int64(i), []float64{float64(i), -1, float64(10 * i)}, true); err != nil {
			t.Fatal(err)
		}
	}
	got := w.Window(nil)
	want := [][]float32{{20, 30, 40}, {2, 3, 4}}
	for c := range want {
		for i := range want[c] {
			if got[c][i] != want[c][i] {
				t.Fatalf("Window = %v, want %v", got, want)
			}
		}
	}
}
