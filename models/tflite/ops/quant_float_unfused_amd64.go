//go:build !purego && !amd64.v3

package ops

// quantFused: below GOAMD64=v3 the compiler rounds asymmetricQuantize's
// x*inv before adding fzp, so the vector kernel does too.
const quantFused = false
