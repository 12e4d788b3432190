//go:build !purego && amd64.v3

package ops

// quantFused: with GOAMD64=v3 the compiler fuses asymmetricQuantize's
// fzp + x*inv into one FMA, so the vector kernel does too.
const quantFused = true
