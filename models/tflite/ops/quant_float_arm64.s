//go:build !purego

#include "textflag.h"

// The WORDs are NEON instructions Go's assembler does not spell; each
// carries its GNU syntax. FCVTAS rounds half away from zero and
// saturates (NaN to 0) exactly as the compiler's FRINTAD+FCVTZSSW does
// for the scalar loop; the SQXTN narrowing saturates like the clamp.

// func absMaxBitsNEON(v *float32, n int) uint32
TEXT ·absMaxBitsNEON(SB), NOSPLIT, $0-20
	MOVD v+0(FP), R0
	MOVD n+8(FP), R2
	WORD $0x6f04641f // mvni v31.4s, #0x80, lsl #24
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16

amb16:
	CMP    $16, R2
	BLT    amb4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4e3f1c00 // and v0.16b, v0.16b, v31.16b
	WORD   $0x4e3f1c21 // and v1.16b, v1.16b, v31.16b
	WORD   $0x4e3f1c42 // and v2.16b, v2.16b, v31.16b
	WORD   $0x4e3f1c63 // and v3.16b, v3.16b, v31.16b
	WORD   $0x6ea06610 // umax v16.4s, v16.4s, v0.4s
	WORD   $0x6ea16631 // umax v17.4s, v17.4s, v1.4s
	WORD   $0x6ea26652 // umax v18.4s, v18.4s, v2.4s
	WORD   $0x6ea36673 // umax v19.4s, v19.4s, v3.4s
	SUB    $16, R2
	B      amb16

amb4:
	CMP    $4, R2
	BLT    ambdone
	VLD1.P 16(R0), [V0.S4]
	WORD   $0x4e3f1c00 // and v0.16b, v0.16b, v31.16b
	WORD   $0x6ea06610 // umax v16.4s, v16.4s, v0.4s
	SUB    $4, R2
	B      amb4

ambdone:
	WORD  $0x6eb16610 // umax v16.4s, v16.4s, v17.4s
	WORD  $0x6eb36652 // umax v18.4s, v18.4s, v19.4s
	WORD  $0x6eb26610 // umax v16.4s, v16.4s, v18.4s
	WORD  $0x6eb0aa10 // umaxv s16, v16.4s
	FMOVS F16, ret+16(FP)
	RET

// func minMaxNEON(v *float32, n int) (lo, hi float32)
TEXT ·minMaxNEON(SB), NOSPLIT, $0-24
	MOVD v+0(FP), R0
	MOVD n+8(FP), R2
	VEOR V16.B16, V16.B16, V16.B16 // lo
	VEOR V17.B16, V17.B16, V17.B16 // lo
	VEOR V20.B16, V20.B16, V20.B16 // hi
	VEOR V21.B16, V21.B16, V21.B16 // hi

mm16:
	CMP    $16, R2
	BLT    mm4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4ea0f610 // fmin v16.4s, v16.4s, v0.4s
	WORD   $0x4ea1f631 // fmin v17.4s, v17.4s, v1.4s
	WORD   $0x4e20f694 // fmax v20.4s, v20.4s, v0.4s
	WORD   $0x4e21f6b5 // fmax v21.4s, v21.4s, v1.4s
	WORD   $0x4ea2f610 // fmin v16.4s, v16.4s, v2.4s
	WORD   $0x4ea3f631 // fmin v17.4s, v17.4s, v3.4s
	WORD   $0x4e22f694 // fmax v20.4s, v20.4s, v2.4s
	WORD   $0x4e23f6b5 // fmax v21.4s, v21.4s, v3.4s
	SUB    $16, R2
	B      mm16

mm4:
	CMP    $4, R2
	BLT    mmdone
	VLD1.P 16(R0), [V0.S4]
	WORD   $0x4ea0f610 // fmin v16.4s, v16.4s, v0.4s
	WORD   $0x4e20f694 // fmax v20.4s, v20.4s, v0.4s
	SUB    $4, R2
	B      mm4

mmdone:
	WORD  $0x4eb1f610 // fmin v16.4s, v16.4s, v17.4s
	WORD  $0x4e35f694 // fmax v20.4s, v20.4s, v21.4s
	WORD  $0x6eb0fa10 // fminv s16, v16.4s
	WORD  $0x6e30fa94 // fmaxv s20, v20.4s
	FMOVS F16, lo+16(FP)
	FMOVS F20, hi+20(FP)
	RET

// func quantSymNEON(v *float32, q *int8, n int, inv float32)
TEXT ·quantSymNEON(SB), NOSPLIT, $0-28
	MOVD  v+0(FP), R0
	MOVD  q+8(FP), R1
	MOVD  n+16(FP), R2
	FMOVS inv+24(FP), F31
	WORD  $0x4e0407ff // dup v31.4s, v31.s[0]
	WORD  $0x4f04e43e // movi v30.16b, #0x81 (-127)

qs16:
	CMP    $16, R2
	BLT    qs4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x6e3fdc00 // fmul v0.4s, v0.4s, v31.4s
	WORD   $0x6e3fdc21 // fmul v1.4s, v1.4s, v31.4s
	WORD   $0x6e3fdc42 // fmul v2.4s, v2.4s, v31.4s
	WORD   $0x6e3fdc63 // fmul v3.4s, v3.4s, v31.4s
	WORD   $0x4e21c800 // fcvtas v0.4s, v0.4s
	WORD   $0x4e21c821 // fcvtas v1.4s, v1.4s
	WORD   $0x4e21c842 // fcvtas v2.4s, v2.4s
	WORD   $0x4e21c863 // fcvtas v3.4s, v3.4s
	WORD   $0x0e614810 // sqxtn v16.4h, v0.4s
	WORD   $0x4e614830 // sqxtn2 v16.8h, v1.4s
	WORD   $0x0e614851 // sqxtn v17.4h, v2.4s
	WORD   $0x4e614871 // sqxtn2 v17.8h, v3.4s
	WORD   $0x0e214a12 // sqxtn v18.8b, v16.8h
	WORD   $0x4e214a32 // sqxtn2 v18.16b, v17.8h
	WORD   $0x4e3e6652 // smax v18.16b, v18.16b, v30.16b
	VST1.P [V18.B16], 16(R1)
	SUB    $16, R2
	B      qs16

qs4:
	CMP    $4, R2
	BLT    qsdone
	VLD1.P 16(R0), [V0.S4]
	WORD   $0x6e3fdc00 // fmul v0.4s, v0.4s, v31.4s
	WORD   $0x4e21c800 // fcvtas v0.4s, v0.4s
	WORD   $0x0e614810 // sqxtn v16.4h, v0.4s
	WORD   $0x0e214a12 // sqxtn v18.8b, v16.8h
	WORD   $0x0e3e6652 // smax v18.8b, v18.8b, v30.8b
	FMOVS  F18, (R1)
	ADD    $4, R1
	SUB    $4, R2
	B      qs4

qsdone:
	RET

// func quantAsymNEON(v *float32, q *int8, n int, inv, fzp float32)
TEXT ·quantAsymNEON(SB), NOSPLIT, $0-32
	MOVD  v+0(FP), R0
	MOVD  q+8(FP), R1
	MOVD  n+16(FP), R2
	FMOVS inv+24(FP), F31
	FMOVS fzp+28(FP), F29
	WORD  $0x4e0407ff // dup v31.4s, v31.s[0]
	WORD  $0x4e0407bd // dup v29.4s, v29.s[0]

qa16:
	CMP    $16, R2
	BLT    qa4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x4ebd1fa4 // mov v4.16b, v29.16b
	WORD   $0x4ebd1fa5 // mov v5.16b, v29.16b
	WORD   $0x4ebd1fa6 // mov v6.16b, v29.16b
	WORD   $0x4ebd1fa7 // mov v7.16b, v29.16b
	WORD   $0x4e3fcc04 // fmla v4.4s, v0.4s, v31.4s
	WORD   $0x4e3fcc25 // fmla v5.4s, v1.4s, v31.4s
	WORD   $0x4e3fcc46 // fmla v6.4s, v2.4s, v31.4s
	WORD   $0x4e3fcc67 // fmla v7.4s, v3.4s, v31.4s
	WORD   $0x4e21c884 // fcvtas v4.4s, v4.4s
	WORD   $0x4e21c8a5 // fcvtas v5.4s, v5.4s
	WORD   $0x4e21c8c6 // fcvtas v6.4s, v6.4s
	WORD   $0x4e21c8e7 // fcvtas v7.4s, v7.4s
	WORD   $0x0e614890 // sqxtn v16.4h, v4.4s
	WORD   $0x4e6148b0 // sqxtn2 v16.8h, v5.4s
	WORD   $0x0e6148d1 // sqxtn v17.4h, v6.4s
	WORD   $0x4e6148f1 // sqxtn2 v17.8h, v7.4s
	WORD   $0x0e214a12 // sqxtn v18.8b, v16.8h
	WORD   $0x4e214a32 // sqxtn2 v18.16b, v17.8h
	VST1.P [V18.B16], 16(R1)
	SUB    $16, R2
	B      qa16

qa4:
	CMP    $4, R2
	BLT    qadone
	VLD1.P 16(R0), [V0.S4]
	WORD   $0x4ebd1fa4 // mov v4.16b, v29.16b
	WORD   $0x4e3fcc04 // fmla v4.4s, v0.4s, v31.4s
	WORD   $0x4e21c884 // fcvtas v4.4s, v4.4s
	WORD   $0x0e614890 // sqxtn v16.4h, v4.4s
	WORD   $0x0e214a12 // sqxtn v18.8b, v16.8h
	FMOVS  F18, (R1)
	ADD    $4, R1
	SUB    $4, R2
	B      qa4

qadone:
	RET
