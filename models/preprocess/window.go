package preprocess

// Window copies the current window's samples into dst, one slice per
// windowed channel (in Spec.Channels order), oldest sample first, reusing
// dst's storage when it has the shape; for evidence captures of a window.
func (w *Windower) Window(dst [][]float32) [][]float32 {
	nc, n := len(w.spec.Channels), w.spec.Window
	if len(dst) != nc {
		dst = make([][]float32, nc)
	}
	for c := range dst {
		if len(dst[c]) != n {
			dst[c] = make([]float32, n)
		}
	}
	for i := range n {
		s := (w.head + i) % n
		for c := range nc {
			dst[c][i] = float32(w.ring[s*nc+c])
		}
	}
	return dst
}
