//go:build !purego

#include "textflag.h"

// Go's arm64 assembler has no mnemonics for the signed widening NEON
// instructions or FMLA by element, so those are WORDs with the
// instruction in the comment.

// func gemmI8NEON(a, wp *int8, acc *int32, n, k, blocks int)
//
// Per step of 16 depths: activations widen to int16 (SXTL), so each depth
// pair is one 32-bit lane that DUP broadcasts against a widened pair-layout
// weight vector [c0k0 c0k1 c1k0 c1k1 | c2k0 c2k1 c3k0 c3k1]; SMLAL/SMLAL2
// accumulate exact int32 products, and ADDP folds each channel's even and
// odd lanes at the end.
TEXT ·gemmI8NEON(SB), NOSPLIT, $0-48
	MOVD a+0(FP), R0
	MOVD wp+8(FP), R1
	MOVD acc+16(FP), R2
	MOVD n+24(FP), R3
	MOVD k+32(FP), R4
	LSL  $2, R4, R4             // bytes per block
	MOVD blocks+40(FP), R5

i8block:
	VEOR V0.B16, V0.B16, V0.B16 // c0, c1 lanes
	VEOR V1.B16, V1.B16, V1.B16 // c2, c3 lanes
	MOVD R0, R6
	MOVD R1, R7
	MOVD R3, R8

i8step:
	VLD1.P 16(R6), [V2.B16]
	VLD1.P 64(R7), [V16.B16, V17.B16, V18.B16, V19.B16]
	WORD $0x0F08A443 // SXTL V3.8H, V2.8B
	WORD $0x4F08A444 // SXTL2 V4.8H, V2.16B
	WORD $0x0F08A614 // SXTL V20.8H, V16.8B
	WORD $0x4F08A615 // SXTL2 V21.8H, V16.16B
	VDUP V3.S[0], V22.S4
	VDUP V3.S[1], V23.S4
	WORD $0x0E768280 // SMLAL V0.4S, V20.4H, V22.4H
	WORD $0x4E768281 // SMLAL2 V1.4S, V20.8H, V22.8H
	WORD $0x0E7782A0 // SMLAL V0.4S, V21.4H, V23.4H
	WORD $0x4E7782A1 // SMLAL2 V1.4S, V21.8H, V23.8H
	WORD $0x0F08A634 // SXTL V20.8H, V17.8B
	WORD $0x4F08A635 // SXTL2 V21.8H, V17.16B
	VDUP V3.S[2], V22.S4
	VDUP V3.S[3], V23.S4
	WORD $0x0E768280 // SMLAL V0.4S, V20.4H, V22.4H
	WORD $0x4E768281 // SMLAL2 V1.4S, V20.8H, V22.8H
	WORD $0x0E7782A0 // SMLAL V0.4S, V21.4H, V23.4H
	WORD $0x4E7782A1 // SMLAL2 V1.4S, V21.8H, V23.8H
	WORD $0x0F08A654 // SXTL V20.8H, V18.8B
	WORD $0x4F08A655 // SXTL2 V21.8H, V18.16B
	VDUP V4.S[0], V22.S4
	VDUP V4.S[1], V23.S4
	WORD $0x0E768280 // SMLAL V0.4S, V20.4H, V22.4H
	WORD $0x4E768281 // SMLAL2 V1.4S, V20.8H, V22.8H
	WORD $0x0E7782A0 // SMLAL V0.4S, V21.4H, V23.4H
	WORD $0x4E7782A1 // SMLAL2 V1.4S, V21.8H, V23.8H
	WORD $0x0F08A674 // SXTL V20.8H, V19.8B
	WORD $0x4F08A675 // SXTL2 V21.8H, V19.16B
	VDUP V4.S[2], V22.S4
	VDUP V4.S[3], V23.S4
	WORD $0x0E768280 // SMLAL V0.4S, V20.4H, V22.4H
	WORD $0x4E768281 // SMLAL2 V1.4S, V20.8H, V22.8H
	WORD $0x0E7782A0 // SMLAL V0.4S, V21.4H, V23.4H
	WORD $0x4E7782A1 // SMLAL2 V1.4S, V21.8H, V23.8H
	SUBS $1, R8, R8
	BNE  i8step

	VADDP V1.S4, V0.S4, V0.S4   // [c0 c1 c2 c3]
	VST1.P [V0.S4], 16(R2)
	ADD   R4, R1, R1
	SUBS  $1, R5, R5
	BNE   i8block
	RET

// func gemmF32NEON(a, wp, acc *float32, n, k, blocks int)
//
// Per step of 4 depths: FMLA by element multiplies the 4 channel weights of
// depth i by a[i], into four accumulators summed at the end of the block.
TEXT ·gemmF32NEON(SB), NOSPLIT, $0-48
	MOVD a+0(FP), R0
	MOVD wp+8(FP), R1
	MOVD acc+16(FP), R2
	MOVD n+24(FP), R3
	MOVD k+32(FP), R4
	LSL  $4, R4, R4             // bytes per block
	MOVD blocks+40(FP), R5

f32block:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	MOVD R0, R6
	MOVD R1, R7
	MOVD R3, R8

f32step:
	VLD1.P 16(R6), [V4.S4]
	VLD1.P 64(R7), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD $0x4F841200 // FMLA V0.4S, V16.4S, V4.S[0]
	WORD $0x4FA41221 // FMLA V1.4S, V17.4S, V4.S[1]
	WORD $0x4F841A42 // FMLA V2.4S, V18.4S, V4.S[2]
	WORD $0x4FA41A63 // FMLA V3.4S, V19.4S, V4.S[3]
	SUBS $1, R8, R8
	BNE  f32step

	WORD $0x4E21D400 // FADD V0.4S, V0.4S, V1.4S
	WORD $0x4E23D442 // FADD V2.4S, V2.4S, V3.4S
	WORD $0x4E22D400 // FADD V0.4S, V0.4S, V2.4S
	VST1.P [V0.S4], 16(R2)
	ADD    R4, R1, R1
	SUBS   $1, R5, R5
	BNE    f32block
	RET
