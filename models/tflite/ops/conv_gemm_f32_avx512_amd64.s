//go:build !purego

#include "textflag.h"

// quadIdx spreads four floats over a ZMM, each repeated four times, to
// match a packRows block read four depths at a time (depth-major, four
// channels per depth).
DATA quadIdx<>+0x00(SB)/8, $0x0000000000000000
DATA quadIdx<>+0x08(SB)/8, $0x0000000000000000
DATA quadIdx<>+0x10(SB)/8, $0x0000000100000001
DATA quadIdx<>+0x18(SB)/8, $0x0000000100000001
DATA quadIdx<>+0x20(SB)/8, $0x0000000200000002
DATA quadIdx<>+0x28(SB)/8, $0x0000000200000002
DATA quadIdx<>+0x30(SB)/8, $0x0000000300000003
DATA quadIdx<>+0x38(SB)/8, $0x0000000300000003
GLOBL quadIdx<>(SB), RODATA|NOPTR, $64

// func gemm4F32AVX512(a *float32, lda int, wp, acc *float32, ldc, kk, bstride, blocks int, add bool)
//
// Per step of four depths: one ZMM load takes a block's 16 weights (4
// depths x 4 channels), each row's four inputs are loaded and spread
// (VPERMPS) to the same shape, and 16 FMAs update 16 accumulators (4 rows
// x 4 blocks), each holding four partial sums per channel. Three 128-bit
// lane shuffles and adds per row fold them into the 16 channels in order.
// The last kk%4 depths load under masks, so nothing past them is read.
// Leftover blocks go one at a time.
TEXT ·gemm4F32AVX512(SB), NOSPLIT, $0-65
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R15
	SHLQ $2, R15                    // row stride in bytes
	LEAQ (R15)(R15*2), AX           // three rows
	MOVQ wp+16(FP), DI
	MOVQ acc+24(FP), DX
	MOVQ ldc+32(FP), R13
	SHLQ $2, R13
	MOVQ kk+40(FP), R14
	MOVQ bstride+48(FP), R8
	SHLQ $2, R8                     // bytes per block
	LEAQ (R8)(R8*2), BX             // three blocks
	MOVQ blocks+56(FP), R9
	TESTQ R9, R9
	JZ    q4done

	// K2 masks the last kk%4 inputs, K1 their 4*(kk%4) weights.
	MOVQ  R14, CX
	ANDQ  $3, CX
	MOVL  $1, R12
	SHLL  CX, R12
	DECL  R12
	KMOVW R12, K2
	SHLL  $2, CX
	MOVL  $1, R12
	SHLL  CX, R12
	DECL  R12
	KMOVW R12, K1
	SHRQ  $2, R14                   // whole steps of four depths
	VMOVDQU32 quadIdx<>(SB), Z31
	MOVQ  R8, CX
	SHLQ  $1, CX                    // two blocks
	MOVL  $0xffff, R12
	KMOVW R12, K3                   // channels stored

q4four:
	CMPQ   R9, $4
	JGE    q4pass

	// The last 1-3 blocks: the missing ones re-read block 0 (offset 0)
	// and K3 stores only the 4*R9 real channels.
	MOVQ  R9, CX
	SHLQ  $2, CX
	MOVL  $1, R12
	SHLL  CX, R12
	DECL  R12
	KMOVW R12, K3
	XORQ  BX, BX
	MOVQ  R8, CX
	SHLQ  $1, CX
	CMPQ  R9, $3
	JEQ   q4pass
	XORQ  CX, CX
	CMPQ  R9, $2
	JEQ   q4pass
	XORQ  R8, R8

q4pass:
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12
	VXORPS Z13, Z13, Z13
	VXORPS Z14, Z14, Z14
	VXORPS Z15, Z15, Z15
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   R14, R12
	TESTQ  R12, R12
	JZ     q4fourtail

q4fourstep:
	VMOVUPS     (R11), Z16
	VMOVUPS     (R11)(R8*1), Z17
	VMOVUPS     (R11)(CX*1), Z18
	VMOVUPS     (R11)(BX*1), Z19
	VMOVUPS     (R10), X20
	VPERMPS     Z20, Z31, Z20
	VMOVUPS     (R10)(R15*1), X21
	VPERMPS     Z21, Z31, Z21
	VMOVUPS     (R10)(R15*2), X22
	VPERMPS     Z22, Z31, Z22
	VMOVUPS     (R10)(AX*1), X23
	VPERMPS     Z23, Z31, Z23
	VFMADD231PS Z16, Z20, Z0
	VFMADD231PS Z17, Z20, Z1
	VFMADD231PS Z18, Z20, Z2
	VFMADD231PS Z19, Z20, Z3
	VFMADD231PS Z16, Z21, Z4
	VFMADD231PS Z17, Z21, Z5
	VFMADD231PS Z18, Z21, Z6
	VFMADD231PS Z19, Z21, Z7
	VFMADD231PS Z16, Z22, Z8
	VFMADD231PS Z17, Z22, Z9
	VFMADD231PS Z18, Z22, Z10
	VFMADD231PS Z19, Z22, Z11
	VFMADD231PS Z16, Z23, Z12
	VFMADD231PS Z17, Z23, Z13
	VFMADD231PS Z18, Z23, Z14
	VFMADD231PS Z19, Z23, Z15
	ADDQ        $16, R10
	ADDQ        $64, R11
	DECQ        R12
	JNZ         q4fourstep

q4fourtail:
	KORTESTW    K2, K2
	JZ          q4foursum
	VMOVUPS.Z   (R11), K1, Z16
	VMOVUPS.Z   (R11)(R8*1), K1, Z17
	VMOVUPS.Z   (R11)(CX*1), K1, Z18
	VMOVUPS.Z   (R11)(BX*1), K1, Z19
	VMOVUPS.Z   (R10), K2, X20
	VPERMPS     Z20, Z31, Z20
	VMOVUPS.Z   (R10)(R15*1), K2, X21
	VPERMPS     Z21, Z31, Z21
	VMOVUPS.Z   (R10)(R15*2), K2, X22
	VPERMPS     Z22, Z31, Z22
	VMOVUPS.Z   (R10)(AX*1), K2, X23
	VPERMPS     Z23, Z31, Z23
	VFMADD231PS Z16, Z20, Z0
	VFMADD231PS Z17, Z20, Z1
	VFMADD231PS Z18, Z20, Z2
	VFMADD231PS Z19, Z20, Z3
	VFMADD231PS Z16, Z21, Z4
	VFMADD231PS Z17, Z21, Z5
	VFMADD231PS Z18, Z21, Z6
	VFMADD231PS Z19, Z21, Z7
	VFMADD231PS Z16, Z22, Z8
	VFMADD231PS Z17, Z22, Z9
	VFMADD231PS Z18, Z22, Z10
	VFMADD231PS Z19, Z22, Z11
	VFMADD231PS Z16, Z23, Z12
	VFMADD231PS Z17, Z23, Z13
	VFMADD231PS Z18, Z23, Z14
	VFMADD231PS Z19, Z23, Z15

q4foursum:
	// Per row, blocks A..D: [A0 A1 B0 B1]+[A2 A3 B2 B3], the same for C,
	// D, then [P0 P2 Q0 Q2]+[P1 P3 Q1 Q3] = the four blocks' sums.
	VSHUFF32X4 $0x44, Z1, Z0, Z16
	VSHUFF32X4 $0xEE, Z1, Z0, Z17
	VADDPS     Z17, Z16, Z16
	VSHUFF32X4 $0x44, Z3, Z2, Z18
	VSHUFF32X4 $0xEE, Z3, Z2, Z19
	VADDPS     Z19, Z18, Z18
	VSHUFF32X4 $0x88, Z18, Z16, Z0
	VSHUFF32X4 $0xDD, Z18, Z16, Z1
	VADDPS     Z1, Z0, Z0

	VSHUFF32X4 $0x44, Z5, Z4, Z16
	VSHUFF32X4 $0xEE, Z5, Z4, Z17
	VADDPS     Z17, Z16, Z16
	VSHUFF32X4 $0x44, Z7, Z6, Z18
	VSHUFF32X4 $0xEE, Z7, Z6, Z19
	VADDPS     Z19, Z18, Z18
	VSHUFF32X4 $0x88, Z18, Z16, Z4
	VSHUFF32X4 $0xDD, Z18, Z16, Z5
	VADDPS     Z5, Z4, Z4

	VSHUFF32X4 $0x44, Z9, Z8, Z16
	VSHUFF32X4 $0xEE, Z9, Z8, Z17
	VADDPS     Z17, Z16, Z16
	VSHUFF32X4 $0x44, Z11, Z10, Z18
	VSHUFF32X4 $0xEE, Z11, Z10, Z19
	VADDPS     Z19, Z18, Z18
	VSHUFF32X4 $0x88, Z18, Z16, Z8
	VSHUFF32X4 $0xDD, Z18, Z16, Z9
	VADDPS     Z9, Z8, Z8

	VSHUFF32X4 $0x44, Z13, Z12, Z16
	VSHUFF32X4 $0xEE, Z13, Z12, Z17
	VADDPS     Z17, Z16, Z16
	VSHUFF32X4 $0x44, Z15, Z14, Z18
	VSHUFF32X4 $0xEE, Z15, Z14, Z19
	VADDPS     Z19, Z18, Z18
	VSHUFF32X4 $0x88, Z18, Z16, Z12
	VSHUFF32X4 $0xDD, Z18, Z16, Z13
	VADDPS     Z13, Z12, Z12

	LEAQ      (DX)(R13*2), R12
	CMPB      add+64(FP), $0
	JEQ       q4fourstore
	VMOVUPS.Z (DX), K3, Z16
	VADDPS    Z16, Z0, Z0
	VMOVUPS.Z (DX)(R13*1), K3, Z16
	VADDPS    Z16, Z4, Z4
	VMOVUPS.Z (R12), K3, Z16
	VADDPS    Z16, Z8, Z8
	VMOVUPS.Z (R12)(R13*1), K3, Z16
	VADDPS    Z16, Z12, Z12

q4fourstore:
	VMOVUPS Z0, K3, (DX)
	VMOVUPS Z4, K3, (DX)(R13*1)
	VMOVUPS Z8, K3, (R12)
	VMOVUPS Z12, K3, (R12)(R13*1)
	ADDQ    $64, DX
	LEAQ    (DI)(R8*4), DI
	SUBQ    $4, R9
	JG      q4four

q4done:
	VZEROUPPER
	RET

// func gemmF32AVX512(a, wp, acc *float32, k, blocks int)
//
// The one-row form of gemm4F32AVX512, one block at a time (a block is one
// contiguous stream of weights, which a single row reads only once): per
// 16 depths, four inputs spread per four depths against four ZMM of
// weights into four accumulators, so the FMAs do not wait on each other.
TEXT ·gemmF32AVX512(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ wp+8(FP), DI
	MOVQ acc+16(FP), DX
	MOVQ k+24(FP), R14
	MOVQ R14, R8
	SHLQ $4, R8                     // bytes per block
	MOVQ blocks+32(FP), R9

	MOVQ  R14, CX
	ANDQ  $3, CX
	MOVL  $1, R12
	SHLL  CX, R12
	DECL  R12
	KMOVW R12, K2
	SHLL  $2, CX
	MOVL  $1, R12
	SHLL  CX, R12
	DECL  R12
	KMOVW R12, K1
	SHRQ  $2, R14                   // whole steps of four depths
	VMOVDQU32 quadIdx<>(SB), Z31

r1one:
	TESTQ  R9, R9
	JZ     r1done
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   R14, R12
	SHRQ   $2, R12
	JZ     r1onequad

r1onestep16:
	VMOVUPS     (R10), X20
	VPERMPS     Z20, Z31, Z20
	VMOVUPS     16(R10), X21
	VPERMPS     Z21, Z31, Z21
	VMOVUPS     32(R10), X22
	VPERMPS     Z22, Z31, Z22
	VMOVUPS     48(R10), X23
	VPERMPS     Z23, Z31, Z23
	VFMADD231PS (R11), Z20, Z0
	VFMADD231PS 64(R11), Z21, Z1
	VFMADD231PS 128(R11), Z22, Z2
	VFMADD231PS 192(R11), Z23, Z3
	ADDQ        $64, R10
	ADDQ        $256, R11
	DECQ        R12
	JNZ         r1onestep16

r1onequad:
	MOVQ R14, R12
	ANDQ $3, R12
	JZ   r1onetail

r1onestep:
	VMOVUPS     (R10), X20
	VPERMPS     Z20, Z31, Z20
	VFMADD231PS (R11), Z20, Z0
	ADDQ        $16, R10
	ADDQ        $64, R11
	DECQ        R12
	JNZ         r1onestep

r1onetail:
	KORTESTW    K2, K2
	JZ          r1onesum
	VMOVUPS.Z   (R10), K2, X20
	VPERMPS     Z20, Z31, Z20
	VMOVUPS.Z   (R11), K1, Z16
	VFMADD231PS Z16, Z20, Z0

r1onesum:
	VADDPS        Z1, Z0, Z0
	VADDPS        Z3, Z2, Z2
	VADDPS        Z2, Z0, Z0
	VEXTRACTF32X8 $1, Z0, Y16
	VADDPS        Y16, Y0, Y0
	VEXTRACTF32X4 $1, Y0, X16
	VADDPS        X16, X0, X0
	VMOVUPS       X0, (DX)
	ADDQ          $16, DX
	ADDQ          R8, DI
	DECQ          R9
	JMP           r1one

r1done:
	VZEROUPPER
	RET
