//go:build !purego

#include "textflag.h"

// Dword indices for VPERMD: 128-bit lane L takes depth pair L (idx16lo)
// or 4+L (idx16hi) of the 16 activations, for the four channels of a
// block.
DATA idx16lo<>+0x00(SB)/8, $0x0000000000000000
DATA idx16lo<>+0x08(SB)/8, $0x0000000000000000
DATA idx16lo<>+0x10(SB)/8, $0x0000000100000001
DATA idx16lo<>+0x18(SB)/8, $0x0000000100000001
DATA idx16lo<>+0x20(SB)/8, $0x0000000200000002
DATA idx16lo<>+0x28(SB)/8, $0x0000000200000002
DATA idx16lo<>+0x30(SB)/8, $0x0000000300000003
DATA idx16lo<>+0x38(SB)/8, $0x0000000300000003
GLOBL idx16lo<>(SB), RODATA|NOPTR, $64

DATA idx16hi<>+0x00(SB)/8, $0x0000000400000004
DATA idx16hi<>+0x08(SB)/8, $0x0000000400000004
DATA idx16hi<>+0x10(SB)/8, $0x0000000500000005
DATA idx16hi<>+0x18(SB)/8, $0x0000000500000005
DATA idx16hi<>+0x20(SB)/8, $0x0000000600000006
DATA idx16hi<>+0x28(SB)/8, $0x0000000600000006
DATA idx16hi<>+0x30(SB)/8, $0x0000000700000007
DATA idx16hi<>+0x38(SB)/8, $0x0000000700000007
GLOBL idx16hi<>(SB), RODATA|NOPTR, $64

// Reduce the four 128-bit lanes of an accumulator into its low lane.
#define FOLD(z, y, x, ty, tx) \
	VEXTRACTI64X4 $1, z, ty; \
	VPADDD        ty, y, y;  \
	VEXTRACTI128  $1, y, tx; \
	VPADDD tx, x, x

// Widen the four int32 sums in x to int64 and add them to 32 bytes at off(DX).
#define STORE(x, y, off) \
	VPMOVSXDQ x, y;           \
	VPADDQ    off(DX), y, y; \
	VMOVDQU y, off(DX)

// func gemm16x8AVX512(a *int16, wp *int8, acc *int64, n, k, blocks int)
//
// gemm16x8AVX2 on ZMM: per step of 16 depths, two permutes put depth pairs
// 0-3 and 4-7 of the activations in the four 128-bit lanes, the weights of
// a block widen (VPMOVSXBW) to two ZMM of 4 pairs x 4 channels, and
// VPDPWSSD adds each pair's two products into an int32 lane (two
// accumulators per block). Four blocks share the permutes; leftover blocks
// go one at a time. The lanes fold to one int32 per channel, which widens
// and adds to acc.
TEXT ·gemm16x8AVX512(SB), NOSPLIT, $0-48
	MOVQ      a+0(FP), SI
	MOVQ      wp+8(FP), DI
	MOVQ      acc+16(FP), DX
	MOVQ      n+24(FP), CX
	MOVQ      k+32(FP), R8
	SHLQ      $2, R8 // bytes per block
	LEAQ      (R8)(R8*2), BX // three blocks
	MOVQ      blocks+40(FP), R9
	VMOVDQU64 idx16lo<>(SB), Z12
	VMOVDQU64 idx16hi<>(SB), Z13

z8four:
	CMPQ   R9, $4
	JLT    z8one
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12

z8fourstep:
	VMOVDQU   (R10), Y8
	VPERMD    Z8, Z12, Z4
	VPERMD    Z8, Z13, Z5
	VPMOVSXBW (R11), Z6
	VPDPWSSD  Z6, Z4, Z0
	VPMOVSXBW 32(R11), Z7
	VPDPWSSD  Z7, Z5, Z16
	VPMOVSXBW (R11)(R8*1), Z6
	VPDPWSSD  Z6, Z4, Z1
	VPMOVSXBW 32(R11)(R8*1), Z7
	VPDPWSSD  Z7, Z5, Z17
	VPMOVSXBW (R11)(R8*2), Z6
	VPDPWSSD  Z6, Z4, Z2
	VPMOVSXBW 32(R11)(R8*2), Z7
	VPDPWSSD  Z7, Z5, Z18
	VPMOVSXBW (R11)(BX*1), Z6
	VPDPWSSD  Z6, Z4, Z3
	VPMOVSXBW 32(R11)(BX*1), Z7
	VPDPWSSD  Z7, Z5, Z19
	ADDQ      $32, R10
	ADDQ      $64, R11
	DECQ      R12
	JNZ       z8fourstep

	VPADDD    Z16, Z0, Z0
	VPADDD    Z17, Z1, Z1
	VPADDD    Z18, Z2, Z2
	VPADDD    Z19, Z3, Z3
	FOLD(Z0,  Y0, X0, Y9, X9)
	FOLD(Z1,  Y1, X1, Y9, X9)
	FOLD(Z2,  Y2, X2, Y9, X9)
	FOLD(Z3,  Y3, X3, Y9, X9)
	STORE(X0, Y0, 0)
	STORE(X1, Y1, 32)
	STORE(X2, Y2, 64)
	STORE(X3, Y3, 96)
	ADDQ      $128, DX
	LEAQ      (DI)(R8*4), DI
	SUBQ      $4, R9
	JMP       z8four

z8one:
	TESTQ  R9, R9
	JZ     z8done
	VPXORD Z0, Z0, Z0
	VPXORD Z16, Z16, Z16
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12

z8onestep:
	VMOVDQU   (R10), Y8
	VPERMD    Z8, Z12, Z4
	VPERMD    Z8, Z13, Z5
	VPMOVSXBW (R11), Z6
	VPDPWSSD  Z6, Z4, Z0
	VPMOVSXBW 32(R11), Z7
	VPDPWSSD  Z7, Z5, Z16
	ADDQ      $32, R10
	ADDQ      $64, R11
	DECQ      R12
	JNZ       z8onestep

	VPADDD    Z16, Z0, Z0
	FOLD(Z0,  Y0, X0, Y9, X9)
	STORE(X0, Y0, 0)
	ADDQ      $32, DX
	ADDQ      R8, DI
	DECQ      R9
	JMP       z8one

z8done:
	VZEROUPPER
	RET

// func gemm16x16AVX512(a, wp *int16, acc *int64, n, k, blocks int)
//
// gemm16x8AVX512 for int16 weights, which VPDPWSSD reads from memory.
TEXT ·gemm16x16AVX512(SB), NOSPLIT, $0-48
	MOVQ      a+0(FP), SI
	MOVQ      wp+8(FP), DI
	MOVQ      acc+16(FP), DX
	MOVQ      n+24(FP), CX
	MOVQ      k+32(FP), R8
	SHLQ      $3, R8 // bytes per block
	LEAQ      (R8)(R8*2), BX // three blocks
	MOVQ      blocks+40(FP), R9
	VMOVDQU64 idx16lo<>(SB), Z12
	VMOVDQU64 idx16hi<>(SB), Z13

z16four:
	CMPQ   R9, $4
	JLT    z16one
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12

z16fourstep:
	VMOVDQU  (R10), Y8
	VPERMD   Z8, Z12, Z4
	VPERMD   Z8, Z13, Z5
	VPDPWSSD (R11), Z4, Z0
	VPDPWSSD 64(R11), Z5, Z16
	VPDPWSSD (R11)(R8*1), Z4, Z1
	VPDPWSSD 64(R11)(R8*1), Z5, Z17
	VPDPWSSD (R11)(R8*2), Z4, Z2
	VPDPWSSD 64(R11)(R8*2), Z5, Z18
	VPDPWSSD (R11)(BX*1), Z4, Z3
	VPDPWSSD 64(R11)(BX*1), Z5, Z19
	ADDQ     $32, R10
	ADDQ     $128, R11
	DECQ     R12
	JNZ      z16fourstep

	VPADDD    Z16, Z0, Z0
	VPADDD    Z17, Z1, Z1
	VPADDD    Z18, Z2, Z2
	VPADDD    Z19, Z3, Z3
	FOLD(Z0,  Y0, X0, Y9, X9)
	FOLD(Z1,  Y1, X1, Y9, X9)
	FOLD(Z2,  Y2, X2, Y9, X9)
	FOLD(Z3,  Y3, X3, Y9, X9)
	STORE(X0, Y0, 0)
	STORE(X1, Y1, 32)
	STORE(X2, Y2, 64)
	STORE(X3, Y3, 96)
	ADDQ      $128, DX
	LEAQ      (DI)(R8*4), DI
	SUBQ      $4, R9
	JMP       z16four

z16one:
	TESTQ  R9, R9
	JZ     z16done
	VPXORD Z0, Z0, Z0
	VPXORD Z16, Z16, Z16
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12

z16onestep:
	VMOVDQU  (R10), Y8
	VPERMD   Z8, Z12, Z4
	VPERMD   Z8, Z13, Z5
	VPDPWSSD (R11), Z4, Z0
	VPDPWSSD 64(R11), Z5, Z16
	ADDQ     $32, R10
	ADDQ     $128, R11
	DECQ     R12
	JNZ      z16onestep

	VPADDD    Z16, Z0, Z0
	FOLD(Z0,  Y0, X0, Y9, X9)
	STORE(X0, Y0, 0)
	ADDQ      $32, DX
	ADDQ      R8, DI
	DECQ      R9
	JMP       z16one

z16done:
	VZEROUPPER
	RET
