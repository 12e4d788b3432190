//go:build !purego

#include "textflag.h"

// Go's arm64 assembler has no mnemonics for SMLAL/SMLAL2 or SXTL, so those
// are WORDs with the instruction in the comment.

// func gemm16NEON(a, wp *int16, acc *int64, n, k, blocks int)
//
// Per step of 16 depths: each depth pair of the activations is one 32-bit
// lane that DUP broadcasts against a pair-layout weight vector
// [c0k0 c0k1 c1k0 c1k1 | c2k0 c2k1 c3k0 c3k1]; SMLAL/SMLAL2 accumulate
// exact int32 products (two accumulator sets for alternate pairs). At the
// end of a block ADDP folds each channel's even and odd lanes, and the
// four sums widen (SXTL) and add to acc.
TEXT ·gemm16NEON(SB), NOSPLIT, $0-48
	MOVD a+0(FP), R0
	MOVD wp+8(FP), R1
	MOVD acc+16(FP), R2
	MOVD n+24(FP), R3
	MOVD k+32(FP), R4
	LSL  $3, R4, R4 // bytes per block
	MOVD blocks+40(FP), R5

w16block:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	MOVD R0, R6
	MOVD R1, R7
	MOVD R3, R8

w16step:
	VLD1.P 32(R6), [V2.H8, V3.H8]
	VLD1.P 64(R7), [V16.H8, V17.H8, V18.H8, V19.H8]
	VLD1.P 64(R7), [V20.H8, V21.H8, V22.H8, V23.H8]
	VDUP V2.S[0], V24.S4
	WORD $0x0E788200 // SMLAL V0.4S, V16.4H, V24.4H
	WORD $0x4E788201 // SMLAL2 V1.4S, V16.8H, V24.8H
	VDUP V2.S[1], V25.S4
	WORD $0x0E79823A // SMLAL V26.4S, V17.4H, V25.4H
	WORD $0x4E79823B // SMLAL2 V27.4S, V17.8H, V25.8H
	VDUP V2.S[2], V24.S4
	WORD $0x0E788240 // SMLAL V0.4S, V18.4H, V24.4H
	WORD $0x4E788241 // SMLAL2 V1.4S, V18.8H, V24.8H
	VDUP V2.S[3], V25.S4
	WORD $0x0E79827A // SMLAL V26.4S, V19.4H, V25.4H
	WORD $0x4E79827B // SMLAL2 V27.4S, V19.8H, V25.8H
	VDUP V3.S[0], V24.S4
	WORD $0x0E788280 // SMLAL V0.4S, V20.4H, V24.4H
	WORD $0x4E788281 // SMLAL2 V1.4S, V20.8H, V24.8H
	VDUP V3.S[1], V25.S4
	WORD $0x0E7982BA // SMLAL V26.4S, V21.4H, V25.4H
	WORD $0x4E7982BB // SMLAL2 V27.4S, V21.8H, V25.8H
	VDUP V3.S[2], V24.S4
	WORD $0x0E7882C0 // SMLAL V0.4S, V22.4H, V24.4H
	WORD $0x4E7882C1 // SMLAL2 V1.4S, V22.8H, V24.8H
	VDUP V3.S[3], V25.S4
	WORD $0x0E7982FA // SMLAL V26.4S, V23.4H, V25.4H
	WORD $0x4E7982FB // SMLAL2 V27.4S, V23.8H, V25.8H
	SUBS $1, R8, R8
	BNE  w16step

	VADD   V26.S4, V0.S4, V0.S4
	VADD   V27.S4, V1.S4, V1.S4
	VADDP  V1.S4, V0.S4, V0.S4 // [c0 c1 c2 c3]
	WORD   $0x0F20A404 // SXTL V4.2D, V0.2S
	WORD   $0x4F20A405 // SXTL2 V5.2D, V0.4S
	VLD1   (R2), [V6.D2, V7.D2]
	VADD   V4.D2, V6.D2, V6.D2
	VADD   V5.D2, V7.D2, V7.D2
	VST1.P [V6.D2, V7.D2], 32(R2)
	ADD    R4, R1, R1
	SUBS   $1, R5, R5
	BNE    w16block
	RET
