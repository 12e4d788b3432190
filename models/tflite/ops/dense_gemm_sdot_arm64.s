//go:build !purego

#include "textflag.h"

// func gemmI8SDOT(a, wp *int8, acc *int32, n, q, k, blocks int)
//
// SDOT by element adds, in each int32 lane j, the four products of channel
// j's depth quadruple with one activation quadruple (a lane of V2); with
// the quad layout of packRowsI8On(pathSDOT) one 16-byte weight vector is
// one quadruple of all four channels of a block, so the accumulator holds
// the block's four sums directly. n steps of 16 depths, then q of 4; two
// accumulators keep consecutive SDOTs independent. Products of int8 fit,
// and the int32 sums wrap like the portable loop's. (Go's assembler has no
// SDOT mnemonic: WORDs with the instruction in the comment.)
TEXT ·gemmI8SDOT(SB), NOSPLIT, $0-56
	MOVD a+0(FP), R0
	MOVD wp+8(FP), R1
	MOVD acc+16(FP), R2
	MOVD n+24(FP), R3
	MOVD q+32(FP), R9
	MOVD k+40(FP), R4
	LSL  $2, R4, R4             // bytes per block
	MOVD blocks+48(FP), R5

sdblock:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	MOVD R0, R6
	MOVD R1, R7
	MOVD R3, R8
	CBZ  R8, sdquads

sdstep:
	VLD1.P 16(R6), [V2.B16]
	VLD1.P 64(R7), [V16.B16, V17.B16, V18.B16, V19.B16]
	WORD   $0x4F82E200          // SDOT V0.4S, V16.16B, V2.4B[0]
	WORD   $0x4FA2E221          // SDOT V1.4S, V17.16B, V2.4B[1]
	WORD   $0x4F82EA40          // SDOT V0.4S, V18.16B, V2.4B[2]
	WORD   $0x4FA2EA61          // SDOT V1.4S, V19.16B, V2.4B[3]
	SUBS   $1, R8, R8
	BNE    sdstep

sdquads:
	MOVD R9, R8
	CBZ  R8, sddone

sdquad:
	MOVWU.P 4(R6), R10
	VMOV    R10, V2.S[0]
	VLD1.P  16(R7), [V16.B16]
	WORD    $0x4F82E200         // SDOT V0.4S, V16.16B, V2.4B[0]
	SUBS    $1, R8, R8
	BNE     sdquad

sddone:
	VADD   V1.S4, V0.S4, V0.S4
	VST1.P [V0.S4], 16(R2)
	ADD    R4, R1, R1
	SUBS   $1, R5, R5
	BNE    sdblock
	RET
