//go:build !purego

#include "textflag.h"

// func dwI16AVX2(acc *int32, x *int16, f *int8, n int)
//
// Two groups of 8 channels per step: x and f sign-extended to int32,
// multiplied (VPMULLD: the exact product, at most 2^22) and added.
TEXT ·dwI16AVX2(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ f+16(FP), DX
	MOVQ n+24(FP), CX

dwi16step:
	VPMOVSXWD (SI), Y0
	VPMOVSXWD 16(SI), Y1
	VPMOVSXBD (DX), Y2
	VPMOVSXBD 8(DX), Y3
	VPMULLD   Y2, Y0, Y0
	VPMULLD   Y3, Y1, Y1
	VPADDD    (DI), Y0, Y0
	VPADDD    32(DI), Y1, Y1
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $16, DX
	ADDQ      $64, DI
	DECQ      CX
	JNZ       dwi16step
	VZEROUPPER
	RET
