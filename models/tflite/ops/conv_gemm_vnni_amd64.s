//go:build !purego

#include "textflag.h"

// VPERMD indices: lane 4q+j takes dword q (depths 4q..4q+3) of 16
// activation bytes, for the four channels j of a block.
DATA rowQuadIdx<>+0x00(SB)/8, $0x0000000000000000
DATA rowQuadIdx<>+0x08(SB)/8, $0x0000000000000000
DATA rowQuadIdx<>+0x10(SB)/8, $0x0000000100000001
DATA rowQuadIdx<>+0x18(SB)/8, $0x0000000100000001
DATA rowQuadIdx<>+0x20(SB)/8, $0x0000000200000002
DATA rowQuadIdx<>+0x28(SB)/8, $0x0000000200000002
DATA rowQuadIdx<>+0x30(SB)/8, $0x0000000300000003
DATA rowQuadIdx<>+0x38(SB)/8, $0x0000000300000003
GLOBL rowQuadIdx<>(SB), RODATA|NOPTR, $64

DATA rowOnes<>+0x00(SB)/4, $0x01010101
GLOBL rowOnes<>(SB), RODATA|NOPTR, $4

// Reduce the four 128-bit lanes of a ZMM accumulator into its low lane
// (EVEX forms throughout: the temporary is Z30).
#define FOLD(z, y, x) \
	VEXTRACTI64X4 $1, z, Y30; \
	VPADDD        Y30, y, y;  \
	VEXTRACTI32X4 $1, y, X30; \
	VPADDD        X30, x, x

// 128 * the sum of the four dwords of x, in every lane.
#define HSUM128(x) \
	VPSHUFD $0x4E, x, X30; \
	VPADDD  X30, x, x;     \
	VPSHUFD $0xB1, x, X30; \
	VPADDD  X30, x, x;     \
	VPSLLD  $7, x, x

// func gemm4I8VNNI(a *int8, lda int, wp *int8, acc *int32, ldc, n, q, bstride, blocks int, add bool)
//
// gemmI8VNNI for four activation rows at once: each 64-byte load of
// weights (16 depths of a block) feeds four VPDPBUSD, one per row. Four
// blocks x four rows = 16 ZMM accumulators (Z0..Z15, row r block b in
// Z(4r+b)), activations in Z16..Z19, weights in Z20..Z23; the per-row
// 128*sum(a) corrections of the +128 weight offset sit in X26..X29.
// Leftover blocks go one at a time, four rows each. With add the results
// are added to acc instead of stored (the parts of one patch).
TEXT ·gemm4I8VNNI(SB), NOSPLIT, $0-73
	VMOVDQU64    rowQuadIdx<>(SB), Z24
	VPBROADCASTD rowOnes<>(SB), X25
	MOVQ         a+0(FP), SI
	MOVQ         lda+8(FP), R15
	LEAQ         (R15)(R15*2), AX   // three rows
	MOVQ         wp+16(FP), DI
	MOVQ         acc+24(FP), DX
	MOVQ         ldc+32(FP), R13
	SHLQ         $2, R13            // row stride of acc in bytes
	MOVQ         n+40(FP), CX
	MOVQ         q+48(FP), R14
	MOVQ         bstride+56(FP), R8 // bytes per block
	LEAQ         (R8)(R8*2), BX     // three blocks
	MOVQ         blocks+64(FP), R9

	// Row sums of a[:16n+4q].
	VPXORD X26, X26, X26
	VPXORD X27, X27, X27
	VPXORD X28, X28, X28
	VPXORD X29, X29, X29
	MOVQ   SI, R10
	MOVQ   CX, R12
	TESTQ  R12, R12
	JZ     sumquads

sum16:
	VMOVDQU32 (R10), X16
	VPDPBUSD  X16, X25, X26
	VMOVDQU32 (R10)(R15*1), X17
	VPDPBUSD  X17, X25, X27
	VMOVDQU32 (R10)(R15*2), X18
	VPDPBUSD  X18, X25, X28
	VMOVDQU32 (R10)(AX*1), X19
	VPDPBUSD  X19, X25, X29
	ADDQ      $16, R10
	DECQ      R12
	JNZ       sum16

sumquads:
	MOVQ  R14, R12
	TESTQ R12, R12
	JZ    sumdone

sum4:
	VMOVD        (R10), X16
	VPDPBUSD     X16, X25, X26
	VMOVD        (R10)(R15*1), X17
	VPDPBUSD     X17, X25, X27
	VMOVD        (R10)(R15*2), X18
	VPDPBUSD     X18, X25, X28
	VMOVD        (R10)(AX*1), X19
	VPDPBUSD     X19, X25, X29
	ADDQ         $4, R10
	DECQ         R12
	JNZ          sum4

sumdone:
	HSUM128(X26)
	HSUM128(X27)
	HSUM128(X28)
	HSUM128(X29)

four:
	CMPQ   R9, $4
	JLT    one
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12
	TESTQ  R12, R12
	JZ     fourfold

fourstep:
	VMOVDQU32 (R10), X16
	VPERMD    Z16, Z24, Z16
	VMOVDQU32 (R10)(R15*1), X17
	VPERMD    Z17, Z24, Z17
	VMOVDQU32 (R10)(R15*2), X18
	VPERMD    Z18, Z24, Z18
	VMOVDQU32 (R10)(AX*1), X19
	VPERMD    Z19, Z24, Z19
	VMOVDQU64 (R11), Z20
	VMOVDQU64 (R11)(R8*1), Z21
	VMOVDQU64 (R11)(R8*2), Z22
	VMOVDQU64 (R11)(BX*1), Z23
	VPDPBUSD  Z16, Z20, Z0
	VPDPBUSD  Z16, Z21, Z1
	VPDPBUSD  Z16, Z22, Z2
	VPDPBUSD  Z16, Z23, Z3
	VPDPBUSD  Z17, Z20, Z4
	VPDPBUSD  Z17, Z21, Z5
	VPDPBUSD  Z17, Z22, Z6
	VPDPBUSD  Z17, Z23, Z7
	VPDPBUSD  Z18, Z20, Z8
	VPDPBUSD  Z18, Z21, Z9
	VPDPBUSD  Z18, Z22, Z10
	VPDPBUSD  Z18, Z23, Z11
	VPDPBUSD  Z19, Z20, Z12
	VPDPBUSD  Z19, Z21, Z13
	VPDPBUSD  Z19, Z22, Z14
	VPDPBUSD  Z19, Z23, Z15
	ADDQ      $16, R10
	ADDQ      $64, R11
	DECQ      R12
	JNZ       fourstep

fourfold:
	FOLD(Z0, Y0, X0)
	FOLD(Z1, Y1, X1)
	FOLD(Z2, Y2, X2)
	FOLD(Z3, Y3, X3)
	FOLD(Z4, Y4, X4)
	FOLD(Z5, Y5, X5)
	FOLD(Z6, Y6, X6)
	FOLD(Z7, Y7, X7)
	FOLD(Z8, Y8, X8)
	FOLD(Z9, Y9, X9)
	FOLD(Z10, Y10, X10)
	FOLD(Z11, Y11, X11)
	FOLD(Z12, Y12, X12)
	FOLD(Z13, Y13, X13)
	FOLD(Z14, Y14, X14)
	FOLD(Z15, Y15, X15)
	MOVQ  R14, R12
	TESTQ R12, R12
	JZ    fourdone

fourquad:
	VPBROADCASTD (R10), X16
	VPBROADCASTD (R10)(R15*1), X17
	VPBROADCASTD (R10)(R15*2), X18
	VPBROADCASTD (R10)(AX*1), X19
	VMOVDQU32    (R11), X20
	VMOVDQU32    (R11)(R8*1), X21
	VMOVDQU32    (R11)(R8*2), X22
	VMOVDQU32    (R11)(BX*1), X23
	VPDPBUSD     X16, X20, X0
	VPDPBUSD     X16, X21, X1
	VPDPBUSD     X16, X22, X2
	VPDPBUSD     X16, X23, X3
	VPDPBUSD     X17, X20, X4
	VPDPBUSD     X17, X21, X5
	VPDPBUSD     X17, X22, X6
	VPDPBUSD     X17, X23, X7
	VPDPBUSD     X18, X20, X8
	VPDPBUSD     X18, X21, X9
	VPDPBUSD     X18, X22, X10
	VPDPBUSD     X18, X23, X11
	VPDPBUSD     X19, X20, X12
	VPDPBUSD     X19, X21, X13
	VPDPBUSD     X19, X22, X14
	VPDPBUSD     X19, X23, X15
	ADDQ         $4, R10
	ADDQ         $16, R11
	DECQ         R12
	JNZ          fourquad

fourdone:
	VPSUBD    X26, X0, X0
	VPSUBD    X26, X1, X1
	VPSUBD    X26, X2, X2
	VPSUBD    X26, X3, X3
	VPSUBD    X27, X4, X4
	VPSUBD    X27, X5, X5
	VPSUBD    X27, X6, X6
	VPSUBD    X27, X7, X7
	VPSUBD    X28, X8, X8
	VPSUBD    X28, X9, X9
	VPSUBD    X28, X10, X10
	VPSUBD    X28, X11, X11
	VPSUBD    X29, X12, X12
	VPSUBD    X29, X13, X13
	VPSUBD    X29, X14, X14
	VPSUBD    X29, X15, X15
	LEAQ      (DX)(R13*2), R12
	CMPB      add+72(FP), $0
	JEQ       fourstore
	VPADDD    (DX), X0, X0
	VPADDD    16(DX), X1, X1
	VPADDD    32(DX), X2, X2
	VPADDD    48(DX), X3, X3
	VPADDD    (DX)(R13*1), X4, X4
	VPADDD    16(DX)(R13*1), X5, X5
	VPADDD    32(DX)(R13*1), X6, X6
	VPADDD    48(DX)(R13*1), X7, X7
	VPADDD    (R12), X8, X8
	VPADDD    16(R12), X9, X9
	VPADDD    32(R12), X10, X10
	VPADDD    48(R12), X11, X11
	VPADDD    (R12)(R13*1), X12, X12
	VPADDD    16(R12)(R13*1), X13, X13
	VPADDD    32(R12)(R13*1), X14, X14
	VPADDD    48(R12)(R13*1), X15, X15

fourstore:
	VMOVDQU   X0, (DX)
	VMOVDQU   X1, 16(DX)
	VMOVDQU   X2, 32(DX)
	VMOVDQU   X3, 48(DX)
	VMOVDQU   X4, (DX)(R13*1)
	VMOVDQU   X5, 16(DX)(R13*1)
	VMOVDQU   X6, 32(DX)(R13*1)
	VMOVDQU   X7, 48(DX)(R13*1)
	VMOVDQU   X8, (R12)
	VMOVDQU   X9, 16(R12)
	VMOVDQU   X10, 32(R12)
	VMOVDQU   X11, 48(R12)
	VMOVDQU   X12, (R12)(R13*1)
	VMOVDQU   X13, 16(R12)(R13*1)
	VMOVDQU   X14, 32(R12)(R13*1)
	VMOVDQU   X15, 48(R12)(R13*1)
	ADDQ      $64, DX
	LEAQ      (DI)(R8*4), DI
	SUBQ      $4, R9
	JMP       four

one:
	TESTQ  R9, R9
	JZ     done
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ   SI, R10
	MOVQ   DI, R11
	MOVQ   CX, R12
	TESTQ  R12, R12
	JZ     onefold

onestep:
	VMOVDQU64 (R11), Z20
	VMOVDQU32 (R10), X16
	VPERMD    Z16, Z24, Z16
	VPDPBUSD  Z16, Z20, Z0
	VMOVDQU32 (R10)(R15*1), X17
	VPERMD    Z17, Z24, Z17
	VPDPBUSD  Z17, Z20, Z1
	VMOVDQU32 (R10)(R15*2), X18
	VPERMD    Z18, Z24, Z18
	VPDPBUSD  Z18, Z20, Z2
	VMOVDQU32 (R10)(AX*1), X19
	VPERMD    Z19, Z24, Z19
	VPDPBUSD  Z19, Z20, Z3
	ADDQ      $16, R10
	ADDQ      $64, R11
	DECQ      R12
	JNZ       onestep

onefold:
	FOLD(Z0, Y0, X0)
	FOLD(Z1, Y1, X1)
	FOLD(Z2, Y2, X2)
	FOLD(Z3, Y3, X3)
	MOVQ  R14, R12
	TESTQ R12, R12
	JZ    onedone

onequad:
	VMOVDQU32    (R11), X20
	VPBROADCASTD (R10), X16
	VPDPBUSD     X16, X20, X0
	VPBROADCASTD (R10)(R15*1), X17
	VPDPBUSD     X17, X20, X1
	VPBROADCASTD (R10)(R15*2), X18
	VPDPBUSD     X18, X20, X2
	VPBROADCASTD (R10)(AX*1), X19
	VPDPBUSD     X19, X20, X3
	ADDQ         $4, R10
	ADDQ         $16, R11
	DECQ         R12
	JNZ          onequad

onedone:
	VPSUBD  X26, X0, X0
	VPSUBD  X27, X1, X1
	VPSUBD  X28, X2, X2
	VPSUBD  X29, X3, X3
	LEAQ    (DX)(R13*2), R12
	CMPB    add+72(FP), $0
	JEQ     onestore
	VPADDD  (DX), X0, X0
	VPADDD  (DX)(R13*1), X1, X1
	VPADDD  (R12), X2, X2
	VPADDD  (R12)(R13*1), X3, X3

onestore:
	VMOVDQU X0, (DX)
	VMOVDQU X1, (DX)(R13*1)
	VMOVDQU X2, (R12)
	VMOVDQU X3, (R12)(R13*1)
	ADDQ    $16, DX
	ADDQ    R8, DI
	DECQ    R9
	JMP     one

done:
	VZEROUPPER
	RET
